/* SPDX-License-Identifier: Apache-2.0 */
/* kestrel's console output: whole messages under one lock, so CPUs never interleave mid-line. */
#include <kestrel/drivers.h>
#include <kestrel/halt.h>
#include <kestrel/lib.h>
#include <kestrel/mm.h>
#include <kestrel/hyp.h>
#include <kestrel/spinlock.h>

static spinlock_t console_lock;
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
		pl011_putc('\r');
		pl011_putc('\n');
		cut_owner = midline;
		midline = NULL;
	}
}

static void write_unlocked(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n')
			pl011_putc('\r');
		pl011_putc(s[i]);
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
	spin_lock(&console_lock);
	keep_owner = NULL;
	keep_len = 0;
	cut_owner = NULL;
	spin_unlock(&console_lock);
}

void console_write(const char *s, size_t len)
{
	spin_lock(&console_lock);
	break_line(NULL);
	write_unlocked(s, len);
	if (len && s[len - 1] == '\n')
		resume_line();
	spin_unlock(&console_lock);
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
	spin_lock(&console_lock);
	break_line(NULL);
	write_label(label);
	for (size_t i = 0; i < len; i++)
		if (vm_may_print(text[i]))
			pl011_putc(text[i]);
	end_color();
	write_unlocked("\n", 1);
	(void)vm;
	resume_line();
	spin_unlock(&console_lock);
}

void console_vm_putc(const void *vm, const struct console_label *label, char c)
{
	spin_lock(&console_lock);
	if (!prefix_lines) {
		/* One VM: its output goes through untouched. */
		pl011_putc(c);
		midline = c == '\n' ? NULL : vm;
	} else if (c == '\b') {
		/* Only over what this VM printed on this line since its label. */
		if (midline == vm && keep_owner == vm && keep_len) {
			pl011_putc(c);
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
			pl011_putc(c);
			if (keep_len < KEEP_MAX)
				keep[keep_len++] = c;
		}
		midline = c == '\n' ? NULL : vm;
	}
	spin_unlock(&console_lock);
}
