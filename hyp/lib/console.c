/* kestrel's console output: whole messages under one lock, so CPUs never interleave mid-line. */
#include <kestrel/drivers.h>
#include <kestrel/lib.h>
#include <kestrel/mm.h>
#include <kestrel/hyp.h>
#include <kestrel/spinlock.h>

static spinlock_t console_lock;
/* Whose line is unfinished on the screen (NULL: the cursor is at the start of a line). */
static const void *midline;
static bool prefix_lines;

void console_set_prefix(bool on)
{
	prefix_lines = on;
}

/* Before output of another owner: finish the line someone else left open. */
static void break_line(const void *owner)
{
	if (midline && midline != owner) {
		pl011_putc('\r');
		pl011_putc('\n');
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

void console_write(const char *s, size_t len)
{
	spin_lock(&console_lock);
	break_line(NULL);
	write_unlocked(s, len);
	spin_unlock(&console_lock);
}

static void vprint(const char *prefix, const char *fmt, va_list ap)
{
	char buf[320];
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
	vprint("kestrel: ", fmt, ap);
	va_end(ap);
}

void fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint("kestrel: fatal: ", fmt, ap);
	va_end(ap);
	console_write("kestrel: halted.\n", 17);
	halt_forever();
}

void panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint("kestrel: PANIC: ", fmt, ap);
	va_end(ap);
	console_write("kestrel: halted.\n", 17);
	halt_forever();
}

/* libfdt and the compiler's stack protector need these from their host. */
uint64_t __stack_chk_guard = 0x5b8c2e7a9d3f1046ull;

NORETURN void __stack_chk_fail(void);
void __stack_chk_fail(void)
{
	panic("stack smashing detected");
}

void console_vm_line(const void *vm, const char *name, const char *text, size_t len)
{
	spin_lock(&console_lock);
	break_line(NULL);
	write_unlocked("[", 1);
	write_unlocked(name, strlen(name));
	write_unlocked("] ", 2);
	write_unlocked(text, len);
	write_unlocked("\n", 1);
	(void)vm;
	spin_unlock(&console_lock);
}

void console_vm_putc(const void *vm, const char *name, char c)
{
	spin_lock(&console_lock);
	if (!prefix_lines) {
		/* One VM: its output goes through untouched. */
		pl011_putc(c);
		midline = c == '\n' ? NULL : vm;
	} else if (c != '\r') {
		/* Several VMs: every line says whose it is; kestrel ends lines itself. */
		break_line(vm);
		if (!midline) {
			write_unlocked("[", 1);
			write_unlocked(name, strlen(name));
			write_unlocked("] ", 2);
		}
		if (c == '\n')
			write_unlocked("\n", 1);
		else
			pl011_putc(c);
		midline = c == '\n' ? NULL : vm;
	}
	spin_unlock(&console_lock);
}
