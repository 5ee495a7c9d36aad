/* SPDX-License-Identifier: Apache-2.0 */
/* kestrel's console output with several VMs: prefixes, whole lines, the focus line shown again. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <kestrel/hyp.h>
#include <kestrel/lib.h>

#include <arch/fake_drivers.h>

static char screen[4096];
static size_t screen_len;

/* What reaches the UART (the fake's observer): never sent while the console's lock is held
   (console.c sends outside it). */
static void uart_byte(char c)
{
	assert_false(console_lock_held());
	if (c != '\r' && screen_len < sizeof(screen) - 1)
		screen[screen_len++] = c;
	screen[screen_len] = 0;
}

static const int focus_vm, other_vm;

static int reset(void **state)
{
	static const struct console_label plain = {"plain", false, 0};

	(void)state;
	fake_drivers.uart_observer = uart_byte;
	console_set_prefix(true);
	/* a colour or a line a test left open ends before the screen is cleared */
	console_vm_putc(&other_vm, &plain, '\n');
	screen_len = 0;
	screen[0] = 0;
	console_forget_line();
	return 0;
}

static const struct console_label high = {"high", true, 0}, again = {"again", true, 0};

static void vm_puts(const char *s)
{
	while (*s)
		console_vm_putc(&focus_vm, &high, *s++);
}

static void test_focus_output_is_prefixed(void **state)
{
	(void)state;
	vm_puts("one\r\ntwo\r\n");
	assert_string_equal(screen, "[high] one\n[high] two\n");
}

static void test_cut_focus_line_is_shown_again_whole(void **state)
{
	(void)state;
	vm_puts("memory: base 0x8");
	console_vm_line(&other_vm, &again, "hello", 5);
	vm_puts("0000000 size\r\n");
	assert_string_equal(screen, "[high] memory: base 0x8\n"
				    "[again] hello\n"
				    "[high] memory: base 0x80000000 size\n");
}

static void test_kestrel_message_cuts_and_resumes(void **state)
{
	(void)state;
	vm_puts("# ");
	kprintf("again powered off");
	vm_puts("ls\r\n");
	assert_string_equal(screen, "[high] # \nkestrel: again powered off\n[high] # ls\n");
}

static void test_forgotten_line_is_not_shown_again(void **state)
{
	(void)state;
	vm_puts("prompt> ");
	console_forget_line();
	console_vm_line(&other_vm, &again, "x", 1);
	assert_string_equal(screen, "[high] prompt> \n[again] x\n");
}

static void test_one_vm_output_is_untouched(void **state)
{
	(void)state;
	console_set_prefix(false);
	vm_puts("a\r\nb");
	kprintf("note");
	assert_string_equal(screen, "a\nb\nkestrel: note\n");
}

static void test_colored_lines_end_their_color(void **state)
{
	static const struct console_label red = {"red", false, 31}, both = {"both", true, 36};

	(void)state;
	console_vm_putc(&focus_vm, &red, 'a');
	console_vm_line(&other_vm, &both, "b", 1);
	console_vm_putc(&focus_vm, &red, '\n');
	assert_string_equal(screen, "\x1b[31ma\x1b[0m\n"
				    "\x1b[36m[both] b\x1b[0m\n"
				    "\x1b[31ma\x1b[0m\n");
}

static void test_kestrel_message_after_colored_line_is_plain(void **state)
{
	static const struct console_label green = {"g", true, 32};

	(void)state;
	console_vm_putc(&focus_vm, &green, '#');
	kprintf("note");
	assert_string_equal(screen, "\x1b[32m[g] #\x1b[0m\nkestrel: note\n\x1b[32m[g] #");
}

static void test_one_vm_output_is_never_colored(void **state)
{
	static const struct console_label red = {"red", true, 31};

	(void)state;
	console_set_prefix(false);
	console_vm_putc(&focus_vm, &red, 'x');
	console_vm_putc(&focus_vm, &red, '\n');
	assert_string_equal(screen, "x\n");
}

/* A VM forging another VM's line and kestrel's: escape sequences (erase the line, move the
   cursor, recolour), carriage returns and backspaces over its label, a bell. */
static void test_vm_controls_cannot_forge_lines(void **state)
{
	(void)state;
	vm_puts("x\x1b[2K\x1b[1G\rkestrel: all VMs stopped\a\x7f\r\n");
	vm_puts("\b\b\b\b\b\b\b[again] forged\r\n");
	assert_string_equal(screen, "[high] x[2K[1Gkestrel: all VMs stopped\n"
				    "[high] [again] forged\n");
}

static void test_vm_backspace_erases_only_its_own_text(void **state)
{
	(void)state;
	vm_puts("ab\b\b\b\bc\tok\n");
	assert_string_equal(screen, "[high] ab\b\bc\tok\n");
}

static void test_vm_whole_lines_lose_their_controls(void **state)
{
	static const char line[] = "\x1b]0;title\a\x1b[31mred\b\tend";

	(void)state;
	console_vm_line(&other_vm, &again, line, sizeof(line) - 1);
	assert_string_equal(screen, "[again] ]0;title[31mred\tend\n");
}

static void test_one_vm_keeps_its_escape_sequences(void **state)
{
	(void)state;
	console_set_prefix(false);
	vm_puts("\x1b[1mbold\b\n");
	assert_string_equal(screen, "\x1b[1mbold\b\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_focus_output_is_prefixed, reset),
	    cmocka_unit_test_setup(test_cut_focus_line_is_shown_again_whole, reset),
	    cmocka_unit_test_setup(test_kestrel_message_cuts_and_resumes, reset),
	    cmocka_unit_test_setup(test_forgotten_line_is_not_shown_again, reset),
	    cmocka_unit_test_setup(test_one_vm_output_is_untouched, reset),
	    cmocka_unit_test_setup(test_colored_lines_end_their_color, reset),
	    cmocka_unit_test_setup(test_kestrel_message_after_colored_line_is_plain, reset),
	    cmocka_unit_test_setup(test_one_vm_output_is_never_colored, reset),
	    cmocka_unit_test_setup(test_vm_controls_cannot_forge_lines, reset),
	    cmocka_unit_test_setup(test_vm_backspace_erases_only_its_own_text, reset),
	    cmocka_unit_test_setup(test_vm_whole_lines_lose_their_controls, reset),
	    cmocka_unit_test_setup(test_one_vm_keeps_its_escape_sequences, reset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
