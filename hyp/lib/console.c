/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kestrel's console output: whole messages, formatted under one fair lock into a ring, so
 * CPUs never interleave mid-line; the UART is written outside that lock. A CPU that wrote
 * into the ring then sends the ring's bytes, up to its own last one, to the UART, unless
 * another CPU is sending them already, in which case it waits until that CPU has sent its
 * bytes too. So no CPU ever polls the UART while it holds the lock every CPU and every VM's
 * output needs, output keeps its order, and a writer's wait is bounded by what was queued
 * before it (a 130-character line takes some 11 ms at 115200 baud).
 */
#include <kestrel/console.h>
#include <kestrel/pl011.h>
#include <kestrel/halt.h>
#include <kestrel/hyp.h>
#include <kestrel/lib.h>
#include <kestrel/mm.h>
#include <kestrel/spinlock.h>

static ticketlock_t console_lock;

/* What is formatted and not yet sent: written under console_lock at out_head, sent from
   out_tail by the one CPU that holds "sending". Free-running indices, masked on use. */
#define OUT_RING 16384
_Static_assert((OUT_RING & (OUT_RING - 1)) == 0, "a power of two");
static char out_ring[OUT_RING];
static uint32_t out_head, out_tail, sending;

/* Sends the ring's bytes to the UART until out_tail reaches end: this CPU does it, or waits
   for the CPU that is doing it. */
static void send_to(uint32_t end)
{
	while ((int32_t)(end - __atomic_load_n(&out_tail, __ATOMIC_ACQUIRE)) > 0) {
		if (__atomic_exchange_n(&sending, 1, __ATOMIC_ACQUIRE))
			continue;
		uint32_t tail = out_tail;
		while ((int32_t)(end - tail) > 0) {
			pl011_putc(out_ring[tail % OUT_RING]);
			__atomic_store_n(&out_tail, ++tail, __ATOMIC_RELEASE);
		}
		__atomic_store_n(&sending, 0, __ATOMIC_RELEASE);
	}
}

/* Into the ring (console_lock held). Full (16 KiB not sent yet): room is made by sending,
   the only time the UART is waited for under the lock; nothing is dropped. */
static void emit(char c)
{
	while (out_head - __atomic_load_n(&out_tail, __ATOMIC_ACQUIRE) == OUT_RING)
		send_to(out_tail + 1);
	out_ring[out_head % OUT_RING] = c;
	__atomic_store_n(&out_head, out_head + 1, __ATOMIC_RELEASE);
}

static void console_lock_take(void)
{
	ticket_lock(&console_lock);
}

/* Lets go of the lock, then sends what this CPU wrote (and what was queued before it). */
static void console_lock_give(void)
{
	uint32_t end = out_head;

	ticket_unlock(&console_lock);
	send_to(end);
}

#ifdef KESTREL_HOST_TEST
bool console_lock_held(void)
{
	return ticket_held(&console_lock);
}
#endif
/* Whose line is unfinished on the screen (NULL: the cursor is at the start of a line). */
static const void *midline;
static bool prefix_lines;

/*
 * With several VMs, the focus VM's unfinished line (a prompt, a half-printed message) is cut
 * when another VM's line or a kestrel message comes; it is then shown again, whole, below
 * that output, so a line of the focus VM is always readable on one screen line.
 */
#define KEEP_MAX 160
static const void *keep_owner, *cut_owner;
static const struct console_label *keep_label;
static char keep[KEEP_MAX];
static size_t keep_len;
/* The colour the unfinished line is in: it is reset before anything else is written. */
static unsigned midline_color;

void console_set_prefix(bool on)
{
	prefix_lines = on;
}

static void write_unlocked(const char *s, size_t len);

static void end_color(void)
{
	if (midline_color)
		write_unlocked("\x1b[0m", 4);
	midline_color = 0;
}

/* The start of a labelled line: its colour, then its prefix. */
static void write_label(const struct console_label *label)
{
	if (label->color) {
		char esc[8] = {'\x1b', '[', (char)('0' + label->color / 10),
			       (char)('0' + label->color % 10), 'm'};
		write_unlocked(esc, 5);
		midline_color = label->color;
	}
	if (label->prefix) {
		write_unlocked("[", 1);
		write_unlocked(label->name, strlen(label->name));
		write_unlocked("] ", 2);
	}
}

/* Before output of another owner: finish the line someone else left open. */
static void break_line(const void *owner)
{
	if (midline && midline != owner) {
		end_color();
		emit('\r');
		emit('\n');
		cut_owner = midline;
		midline = NULL;
	}
}

static void write_unlocked(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n')
			emit('\r');
		emit(s[i]);
	}
}

/* After a whole-line message: show the cut line again, as far as it had come. */
static void resume_line(void)
{
	if (cut_owner && cut_owner == keep_owner && !midline) {
		write_label(keep_label);
		write_unlocked(keep, keep_len);
		midline = keep_owner;
	}
	cut_owner = NULL;
}

void console_forget_line(void)
{
	console_lock_take();
	keep_owner = NULL;
	keep_len = 0;
	cut_owner = NULL;
	console_lock_give();
}

void console_write(const char *s, size_t len)
{
	console_lock_take();
	break_line(NULL);
	write_unlocked(s, len);
	if (len && s[len - 1] == '\n')
		resume_line();
	console_lock_give();
}

static void vprint(const char *prefix, const char *fmt, va_list ap)
{
	char buf[KPRINTF_LINE_MAX + 2];
	size_t n = strlcpy(buf, prefix, sizeof(buf));
	int m = vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);

	n = MIN(n + (size_t)(m < 0 ? 0 : m), sizeof(buf) - 2);
	if (n == 0 || buf[n - 1] != '\n')
		buf[n++] = '\n';
	console_write(buf, n);
}

void kprintf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint(KPRINTF_PREFIX, fmt, ap);
	va_end(ap);
}

void fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint(FATAL_PREFIX, fmt, ap);
	va_end(ap);
	console_write("kestrel: halted.\n", 17);
	halt_forever();
}

void panic(const char *fmt, ...)
{
	va_list ap;
	unsigned running, stopped;

	va_start(ap, fmt);
	vprint("kestrel: PANIC: ", fmt, ap);
	va_end(ap);
	stopped = halt_other_cpus(&running);
	if (stopped == running)
		kprintf("halted on every CPU (%u other%s stopped)", running,
			running == 1 ? "" : "s");
	else
		kprintf("halted; %u of %u other CPUs did not stop within %u ms", running - stopped,
			running, HALT_WAIT_MS);
	halt_forever();
}

/* libfdt and the compiler's stack protector need these from their host. */
uint64_t __stack_chk_guard = 0x5b8c2e7a9d3f1046ull;

NORETURN void __stack_chk_fail(void);
void __stack_chk_fail(void)
{
	panic("stack smashing detected");
}

/*
 * With several VMs, a VM's output must not drive the terminal: an escape sequence, a carriage
 * return or a backspace would let it move the cursor over its label and write another VM's
 * line, or kestrel's, where it pleases (or recolour them, or set the terminal's title). Its
 * control characters are dropped but for tab and newline; a backspace erases only its own
 * text on the current line (console_vm_putc). One VM alone has the terminal to itself, as it
 * would on its own machine, and its output goes through untouched (a shell's line editing).
 */
static bool vm_may_print(char c)
{
	unsigned char u = (unsigned char)c;

	return (u >= 0x20 && u != 0x7f) || c == '\t' || c == '\n';
}

void console_vm_line(const void *vm, const struct console_label *label, const char *text,
		     size_t len)
{
	console_lock_take();
	break_line(NULL);
	write_label(label);
	for (size_t i = 0; i < len; i++)
		if (vm_may_print(text[i]))
			emit(text[i]);
	end_color();
	write_unlocked("\n", 1);
	(void)vm;
	resume_line();
	console_lock_give();
}

void console_vm_putc(const void *vm, const struct console_label *label, char c)
{
	console_lock_take();
	if (!prefix_lines) {
		/* One VM: its output goes through untouched. */
		emit(c);
		midline = c == '\n' ? NULL : vm;
	} else if (c == '\b') {
		/* Only over what this VM printed on this line since its label. */
		if (midline == vm && keep_owner == vm && keep_len) {
			emit(c);
			keep_len--;
		}
	} else if (vm_may_print(c)) {
		/* Several VMs: every line says whose it is; kestrel ends lines itself. */
		break_line(vm);
		if (!midline)
			write_label(label);
		if (keep_owner != vm) {
			keep_owner = vm;
			keep_len = 0;
		}
		keep_label = label;
		cut_owner = NULL;
		if (c == '\n') {
			end_color();
			write_unlocked("\n", 1);
			keep_len = 0;
		} else {
			emit(c);
			if (keep_len < KEEP_MAX)
				keep[keep_len++] = c;
		}
		midline = c == '\n' ? NULL : vm;
	}
	console_lock_give();
}
