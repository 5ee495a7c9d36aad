/* SPDX-License-Identifier: Apache-2.0 */
/* The virtual PL011, driven through its MMIO ops, with input received and output captured. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <kestrel/pl011_regs.h>
#include <kestrel/vpl011.h>

static struct vpl011 uart;

static struct {
	char buf[256];
	unsigned len;
} output;

static struct {
	unsigned changes;
	bool level;
} line;

static void fake_line(struct vpl011 *u, bool level)
{
	assert_ptr_equal(u, &uart);
	line.changes++;
	line.level = level;
}

static void fake_output(struct vpl011 *u, char c)
{
	(void)u;
	assert_true(output.len < sizeof(output.buf));
	output.buf[output.len++] = c;
}

/* Bytes from the physical UART's interrupt, as vconsole.c hands them over. */
static void type(const char *s)
{
	while (*s)
		vpl011_receive(&uart, *s++);
}

static int setup(void **state)
{
	(void)state;
	memset(&output, 0, sizeof(output));
	memset(&line, 0, sizeof(line));
	vpl011_init(&uart, 0x09000000, fake_output);
	return 0;
}

static bool rd(uint64_t off, unsigned width, uint64_t *val)
{
	return uart.dev.ops->read(&uart.dev, NULL, off, width, val);
}

static bool wr(uint64_t off, unsigned width, uint64_t val)
{
	return uart.dev.ops->write(&uart.dev, NULL, off, width, val);
}

static uint64_t rd32(uint64_t off)
{
	uint64_t v = 0xbadbadbadull;

	assert_true(rd(off, 4, &v));
	return v;
}

static void wr32(uint64_t off, uint64_t val)
{
	assert_true(wr(off, 4, val));
}

static void init_describes_a_4k_device_at_base(void **state)
{
	(void)state;
	assert_int_equal(uart.dev.base, 0x09000000);
	assert_int_equal(uart.dev.size, 0x1000);
	assert_string_equal(uart.dev.name, "pl011");
	assert_non_null(uart.dev.ops);
	assert_int_equal(rd32(UARTCR), 0x300); /* TXE | RXE after reset */
	assert_int_equal(rd32(UARTIMSC), 0);
}

static void data_register_write_reaches_the_output(void **state)
{
	(void)state;
	wr32(UARTDR, 'h');
	wr32(UARTDR, 0x100 | 'i'); /* only the data byte goes out */
	assert_int_equal(output.len, 2);
	assert_memory_equal(output.buf, "hi", 2);
	assert_true(rd32(UARTRIS) & INT_TX);
}

static void data_register_allows_8_and_16_bit_accesses(void **state)
{
	uint64_t v = 0;

	(void)state;
	assert_true(wr(UARTDR, 1, 'a'));
	assert_true(wr(UARTDR, 2, 'b'));
	assert_int_equal(output.len, 2);
	assert_memory_equal(output.buf, "ab", 2);
	type("xy");
	assert_true(rd(UARTDR, 1, &v));
	assert_int_equal(v, 'x');
	assert_true(rd(UARTDR, 2, &v));
	assert_int_equal(v, 'y');
}

/* Found by fuzz_mmio_vpl011: a byte read of UARTCR (0x300) gave 0x300, and abort.c puts what the
   device returns into the register as it is, so an LDRB loaded a value no byte can hold. */
static void narrow_reads_return_only_the_bytes_read(void **state)
{
	uint64_t v = 0;

	(void)state;
	assert_true(wr(UARTIBRD, 4, 0xabcd));
	assert_true(rd(UARTCR, 1, &v));
	assert_int_equal(v, 0x00);
	assert_true(rd(UARTIBRD, 1, &v));
	assert_int_equal(v, 0xcd);
	assert_true(rd(UARTIBRD, 2, &v));
	assert_int_equal(v, 0xabcd);
	assert_true(rd(UARTCR, 2, &v));
	assert_int_equal(v, 0x300);
}

static void flags_say_empty_without_input(void **state)
{
	uint64_t fr;

	(void)state;
	fr = rd32(UARTFR);
	assert_true(fr & FR_RXFE);
	assert_true(fr & FR_TXFE);
	assert_false(fr & FR_TXFF);
	assert_false(fr & FR_RXFF);
	assert_int_equal(rd32(UARTDR), 0);
}

static void flags_say_data_waiting_with_input(void **state)
{
	(void)state;
	type("k");
	assert_false(rd32(UARTFR) & FR_RXFE);
	assert_true(rd32(UARTFR) & FR_TXFE);
	assert_int_equal(rd32(UARTDR), 'k');
	assert_true(rd32(UARTFR) & FR_RXFE);
}

static void received_bytes_come_out_in_order(void **state)
{
	(void)state;
	type("abc");
	assert_int_equal(rd32(UARTDR), 'a');
	type("d");
	assert_int_equal(rd32(UARTDR), 'b');
	assert_int_equal(rd32(UARTDR), 'c');
	assert_int_equal(rd32(UARTDR), 'd');
	assert_true(rd32(UARTFR) & FR_RXFE);
}

static void input_bytes_are_not_sign_extended(void **state)
{
	(void)state;
	type("\xe9");
	assert_int_equal(rd32(UARTDR), 0xe9);
}

static void receive_interrupt_follows_the_fifo(void **state)
{
	(void)state;
	assert_false(rd32(UARTRIS) & (INT_RX | INT_RT));
	type("z");
	assert_int_equal(rd32(UARTRIS) & (INT_RX | INT_RT), INT_RX | INT_RT);
	assert_int_equal(rd32(UARTDR), 'z');
	assert_false(rd32(UARTRIS) & (INT_RX | INT_RT));
}

static void interrupt_mask_keeps_11_bits(void **state)
{
	(void)state;
	wr32(UARTIMSC, 0xffffffff);
	assert_int_equal(rd32(UARTIMSC), 0x7ff);
	wr32(UARTIMSC, INT_RX);
	assert_int_equal(rd32(UARTIMSC), INT_RX);
}

static void masked_status_is_raw_status_and_mask(void **state)
{
	(void)state;
	type("q");
	wr32(UARTDR, 'o'); /* raises TX */
	assert_int_equal(rd32(UARTRIS) & (INT_RX | INT_TX | INT_RT), INT_RX | INT_TX | INT_RT);
	assert_int_equal(rd32(UARTMIS), 0);
	wr32(UARTIMSC, INT_TX);
	assert_int_equal(rd32(UARTMIS), INT_TX);
	wr32(UARTIMSC, INT_RX | INT_RT);
	assert_int_equal(rd32(UARTMIS), INT_RX | INT_RT);
}

static void interrupt_clear_clears_raw_status(void **state)
{
	(void)state;
	wr32(UARTDR, 'o');
	assert_true(rd32(UARTRIS) & INT_TX);
	wr32(UARTICR, INT_RX); /* another bit: TX stays */
	assert_true(rd32(UARTRIS) & INT_TX);
	wr32(UARTICR, INT_TX);
	assert_false(rd32(UARTRIS) & INT_TX);
	assert_int_equal(rd32(UARTICR), 0); /* write-only */
}

static void control_registers_read_back_their_implemented_bits(void **state)
{
	(void)state;
	wr32(UARTIBRD, 0xffffffff);
	wr32(UARTFBRD, 0xffffffff);
	wr32(UARTLCR_H, 0xffffffff);
	wr32(UARTCR, 0xffffffff);
	wr32(UARTIFLS, 0xffffffff);
	assert_int_equal(rd32(UARTIBRD), 0xffff);
	assert_int_equal(rd32(UARTFBRD), 0x3f);
	assert_int_equal(rd32(UARTLCR_H), 0xff);
	assert_int_equal(rd32(UARTCR), 0xff87);
	assert_int_equal(rd32(UARTIFLS), 0x3f);
	wr32(UARTIBRD, 13);
	wr32(UARTFBRD, 1);
	wr32(UARTLCR_H, 0x70); /* 8N1, FIFOs on */
	assert_int_equal(rd32(UARTIBRD), 13);
	assert_int_equal(rd32(UARTFBRD), 1);
	assert_int_equal(rd32(UARTLCR_H), 0x70);
}

static void identification_registers_describe_a_pl011(void **state)
{
	static const uint8_t id[8] = {0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1};

	(void)state;
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(rd32(0xfe0 + 4 * i), id[i]);
	/* The PrimeCell part number, as an AMBA bus probe assembles it. */
	assert_int_equal((rd32(0xfe4) & 0xf) << 8 | rd32(0xfe0), 0x011);
}

static void reserved_offsets_read_as_zero_and_ignore_writes(void **state)
{
	static const uint64_t offs[] = {UARTRSR, 0x008, 0x01c, 0x020, UARTDMACR,
					0x04c,	 0x100, 0x800, 0xfd0, 0xfdc};

	(void)state;
	wr32(UARTIMSC, 0x12);
	for (unsigned i = 0; i < ARRAY_SIZE(offs); i++) {
		wr32(offs[i], 0xffffffff);
		assert_int_equal(rd32(offs[i]), 0);
	}
	assert_int_equal(output.len, 0);
	assert_int_equal(rd32(UARTIMSC), 0x12);
	assert_int_equal(rd32(UARTCR), 0x300);
	assert_int_equal(rd32(UARTIBRD), 0);
}

static void wide_and_unaligned_accesses_are_refused(void **state)
{
	uint64_t v = 0x55;

	(void)state;
	assert_false(rd(UARTFR, 8, &v));
	assert_false(rd(UARTDR, 8, &v));
	assert_false(rd(UARTFR + 1, 4, &v));
	assert_false(rd(UARTIMSC + 1, 2, &v));
	assert_false(rd(UARTIMSC + 2, 4, &v));
	assert_int_equal(v, 0x55);
	assert_false(wr(UARTDR, 8, 'x'));
	assert_false(wr(UARTDR + 1, 2, 'x'));
	assert_false(wr(UARTIMSC, 8, 0x7ff));
	assert_false(wr(UARTIMSC + 1, 4, 0x7ff));
	assert_int_equal(output.len, 0);
	assert_int_equal(rd32(UARTIMSC), 0);
}

static void registers_take_16_bit_accesses_as_linux_makes_them(void **state)
{
	uint64_t v = 0;

	(void)state;
	assert_true(wr(UARTIBRD, 2, 0x1234));
	assert_true(rd(UARTIBRD, 2, &v));
	assert_int_equal(v, 0x1234);
	assert_true(wr(UARTIMSC, 2, INT_RX | INT_RT));
	assert_int_equal(rd32(UARTIMSC), INT_RX | INT_RT);
	assert_true(rd(UARTFR, 2, &v));
	assert_true(v & FR_RXFE);
	assert_true(rd(0xfe0, 2, &v));
	assert_int_equal(v, 0x11);
}

static void no_output_callback_is_tolerated(void **state)
{
	(void)state;
	vpl011_init(&uart, 0x09000000, NULL);
	wr32(UARTDR, 'x');
	assert_true(rd32(UARTFR) & FR_RXFE);
	assert_int_equal(rd32(UARTDR), 0);
	assert_int_equal(output.len, 0);
}

static void interrupt_line_follows_the_masked_status(void **state)
{
	(void)state;
	uart.irq_line = fake_line;
	wr32(UARTIMSC, INT_RX | INT_RT);
	assert_int_equal(line.changes, 0); /* nothing pending yet */
	vpl011_receive(&uart, 'x');
	assert_int_equal(line.changes, 1);
	assert_true(line.level);
	assert_int_equal(rd32(UARTFR) & FR_RXFE, 0);
	assert_int_equal(line.changes, 1); /* no change, no call */
	assert_int_equal(rd32(UARTDR), 'x');
	assert_int_equal(line.changes, 2);
	assert_false(line.level);
}

static void transmit_interrupt_raises_the_line_until_cleared(void **state)
{
	(void)state;
	uart.irq_line = fake_line;
	wr32(UARTDR, 'a'); /* TX raised but masked */
	assert_int_equal(line.changes, 0);
	wr32(UARTIMSC, INT_TX);
	assert_int_equal(line.changes, 1);
	assert_true(line.level);
	wr32(UARTICR, INT_TX);
	assert_int_equal(line.changes, 2);
	assert_false(line.level);
}

static void received_bytes_beyond_the_fifo_are_dropped(void **state)
{
	(void)state;
	for (unsigned i = 0; i < VPL011_RX_SIZE + 6; i++)
		vpl011_receive(&uart, (char)('0' + i % 64));
	for (unsigned i = 0; i < VPL011_RX_SIZE; i++)
		assert_int_equal(rd32(UARTDR), '0' + i % 64);
	assert_true(rd32(UARTFR) & FR_RXFE);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, NULL)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(init_describes_a_4k_device_at_base),
	    T(data_register_write_reaches_the_output),
	    T(data_register_allows_8_and_16_bit_accesses),
	    T(narrow_reads_return_only_the_bytes_read),
	    T(flags_say_empty_without_input),
	    T(flags_say_data_waiting_with_input),
	    T(received_bytes_come_out_in_order),
	    T(input_bytes_are_not_sign_extended),
	    T(receive_interrupt_follows_the_fifo),
	    T(interrupt_mask_keeps_11_bits),
	    T(masked_status_is_raw_status_and_mask),
	    T(interrupt_clear_clears_raw_status),
	    T(control_registers_read_back_their_implemented_bits),
	    T(identification_registers_describe_a_pl011),
	    T(reserved_offsets_read_as_zero_and_ignore_writes),
	    T(wide_and_unaligned_accesses_are_refused),
	    T(registers_take_16_bit_accesses_as_linux_makes_them),
	    T(no_output_callback_is_tolerated),
	    T(interrupt_line_follows_the_masked_status),
	    T(transmit_interrupt_raises_the_line_until_cleared),
	    T(received_bytes_beyond_the_fifo_are_dropped),
	};

	return cmocka_run_group_tests_name("vpl011", tests, NULL, NULL);
}
