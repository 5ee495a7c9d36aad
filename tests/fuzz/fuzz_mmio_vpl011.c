/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz-sources: hyp/vdev/vpl011.c */
/*
 * The virtual PL011 driven by a guest through its MMIO ops, with input arriving from the UART
 * interrupt (vpl011_receive, one byte or a burst) in any interleaving with the accesses.
 * Each operation starts with one byte whose low 3 bits say what it is:
 *   0, 1  read:  offset selector, width 1 << bits 3..4
 *   2, 3  write: offset selector, width 1 << bits 3..4, value (8 bytes, masked to the width
 *         as abort.c does)
 *   4     vpl011_receive(next byte)
 *   5     vpl011_receive of 1 + bits 3..7 bytes (taken from the input), a burst
 *   6, 7  a 32-bit read of UARTFR, UARTRIS, UARTDR or UARTMIS (bits 3..4)
 * An offset selector is one byte: with bit 7 set it picks a register (bits 0..4) and adds
 * bits 5..6 to its offset; otherwise it and the next byte are any offset inside the device.
 *
 * A reference model (receive FIFO, registers, interrupt status, output) must agree with every
 * value the device returns, reads must fit their width, the FIFO and the interrupt line must
 * stay consistent with the data received, and refused accesses must change nothing.
 */
#include <string.h>

#include <kestrel/pl011_regs.h>
#include <kestrel/vpl011.h>

#include "harness.h"

#define SIZE	0x1000
#define PENDING 4096

static const uint16_t regs[32] = {
    UARTDR,	 UARTRSR,    UARTFR,	 UARTILPR,    UARTIBRD,	   UARTFBRD,	UARTLCR_H,
    UARTCR,	 UARTIFLS,   UARTIMSC,	 UARTRIS,     UARTMIS,	   UARTICR,	UARTDMACR,
    UARTID,	 UARTID + 4, UARTID + 8, UARTID + 12, UARTID + 16, UARTID + 20, UARTID + 24,
    UARTID + 28, 0x00c,	     0x010,	 0x014,	      0x01c,	   0x04c,	0x800,
    0xfd0,	 0xffc,	     0xffe,	 0xfff,
};
static const uint8_t id_bytes[8] = {0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1};

static struct vpl011 uart;

/* What the device should hold, computed from the PL011's behaviour alone. */
static struct {
	uint8_t fifo[VPL011_RX_SIZE];
	unsigned head, count;
	uint32_t ibrd, fbrd, lcr_h, cr, ifls, imsc, ris;
	uint8_t out[PENDING];
	unsigned nout;
} m;

/* What the device did through its callbacks. */
static struct {
	bool line;
	unsigned changes;
	uint8_t out[PENDING];
	unsigned nout;
} seen;

static void fake_output(struct vpl011 *u, char c)
{
	FUZZ_CHECK(u == &uart, "output of another UART");
	FUZZ_CHECK(seen.nout < PENDING, "too much output");
	seen.out[seen.nout++] = (uint8_t)c;
}

static void fake_line(struct vpl011 *u, bool level)
{
	FUZZ_CHECK(u == &uart, "line of another UART");
	FUZZ_CHECK(level != seen.line, "line reported %d twice", level);
	seen.line = level;
	seen.changes++;
}

static void model_push(uint8_t c)
{
	if (m.count < VPL011_RX_SIZE) {
		m.fifo[(m.head + m.count) % VPL011_RX_SIZE] = c;
		m.count++;
	}
}

/* RX and RT follow the FIFO level. */
static void model_status(void)
{
	if (m.count)
		m.ris |= INT_RX | INT_RT;
	else
		m.ris &= ~(uint32_t)(INT_RX | INT_RT);
}

static uint32_t model_read(uint64_t off)
{
	uint8_t c;

	switch (off) {
	case UARTDR:
		if (!m.count)
			return 0;
		c = m.fifo[m.head];
		m.head = (m.head + 1) % VPL011_RX_SIZE;
		m.count--;
		model_status();
		return c;
	case UARTFR:
		return FR_TXFE | (m.count ? 0 : FR_RXFE);
	case UARTIBRD:
		return m.ibrd;
	case UARTFBRD:
		return m.fbrd;
	case UARTLCR_H:
		return m.lcr_h;
	case UARTCR:
		return m.cr;
	case UARTIFLS:
		return m.ifls;
	case UARTIMSC:
		return m.imsc;
	case UARTRIS:
		return m.ris;
	case UARTMIS:
		return m.ris & m.imsc;
	default:
		return off >= UARTID && off < UARTID + 32 ? id_bytes[(off - UARTID) / 4] : 0;
	}
}

static void model_write(uint64_t off, uint32_t val)
{
	switch (off) {
	case UARTDR:
		m.out[m.nout++] = (uint8_t)val;
		m.ris |= INT_TX;
		break;
	case UARTIBRD:
		m.ibrd = val & 0xffff;
		break;
	case UARTFBRD:
		m.fbrd = val & 0x3f;
		break;
	case UARTLCR_H:
		m.lcr_h = val & 0xff;
		break;
	case UARTCR:
		m.cr = val & 0xff87;
		break;
	case UARTIFLS:
		m.ifls = val & 0x3f;
		break;
	case UARTIMSC:
		m.imsc = val & INT_ALL;
		break;
	case UARTICR:
		m.ris &= ~(val & INT_ALL);
		break;
	default:
		break;
	}
}

static uint64_t width_mask(unsigned width)
{
	return width < 8 ? BIT(8 * width) - 1 : ~0ull;
}

static void guest_access(uint64_t off, unsigned width, bool write, uint64_t val)
{
	bool ok_expected = off % width == 0 && width <= 4;
	struct vpl011 before = uart;
	uint64_t got = 0xdeadbeefdeadbeefull;
	bool ok;

	if (write) {
		val &= width_mask(width); /* abort.c hands devices the access's bytes only */
		ok = uart.dev.ops->write(&uart.dev, NULL, off, width, val);
	} else {
		ok = uart.dev.ops->read(&uart.dev, NULL, off, width, &got);
	}
	FUZZ_CHECK(ok == ok_expected, "%s of width %u at 0x%llx: %d", write ? "write" : "read",
		   width, (unsigned long long)off, ok);
	if (!ok) {
		FUZZ_CHECK(!memcmp(&before, &uart, sizeof(uart)),
			   "refused access changed the UART");
		return;
	}
	if (write) {
		model_write(off, (uint32_t)val);
		return;
	}
	uint64_t expect = model_read(off) & width_mask(width);
	FUZZ_CHECK(!(got & ~width_mask(width)),
		   "read of width %u at 0x%llx returned 0x%llx, wider than the access", width,
		   (unsigned long long)off, (unsigned long long)got);
	FUZZ_CHECK(got == expect, "read of width %u at 0x%llx: 0x%llx, expected 0x%llx", width,
		   (unsigned long long)off, (unsigned long long)got, (unsigned long long)expect);
}

static uint64_t offset(struct fuzz_in *in)
{
	uint8_t b = fuzz_u8(in);

	if (b & 0x80)
		return (regs[b & 0x1f] + ((b >> 5) & 3)) % SIZE;
	return ((uint64_t)b | (uint64_t)fuzz_u8(in) << 8) % SIZE;
}

/* The device and the model agree, and the line shows UARTRIS & UARTIMSC. */
static void check_state(void)
{
	FUZZ_CHECK(uart.rx_count == m.count && uart.rx_head < VPL011_RX_SIZE,
		   "FIFO holds %u (head %u), expected %u", uart.rx_count, uart.rx_head, m.count);
	for (unsigned i = 0; i < m.count; i++)
		FUZZ_CHECK(uart.rx[(uart.rx_head + i) % VPL011_RX_SIZE] ==
			       m.fifo[(m.head + i) % VPL011_RX_SIZE],
			   "FIFO byte %u differs", i);
	FUZZ_CHECK(uart.ris == m.ris, "RIS 0x%x, expected 0x%x", uart.ris, m.ris);
	FUZZ_CHECK(seen.line == ((m.ris & m.imsc) != 0), "line %d with RIS 0x%x IMSC 0x%x",
		   seen.line, m.ris, m.imsc);
	FUZZ_CHECK(seen.nout == m.nout && !memcmp(seen.out, m.out, m.nout), "output differs");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = fuzz_in(data, size);

	memset(&m, 0, sizeof(m));
	memset(&seen, 0, sizeof(seen));
	vpl011_init(&uart, 0x09000000, fake_output);
	uart.irq_line = fake_line;
	m.cr = 0x300; /* TXE | RXE after reset */
	FUZZ_CHECK(uart.dev.size == SIZE && uart.dev.ops, "device not set up");

	while (!fuzz_done(&in) && m.nout < PENDING) {
		uint8_t op = fuzz_u8(&in);
		unsigned width = 1u << ((op >> 3) & 3), n;
		uint64_t off;
		uint8_t c;

		switch (op & 7) {
		case 0:
		case 1:
			off = offset(&in);
			guest_access(off, width, false, 0);
			break;
		case 2:
		case 3:
			off = offset(&in);
			guest_access(off, width, true, fuzz_u64(&in));
			break;
		case 4:
			c = fuzz_u8(&in);
			vpl011_receive(&uart, (char)c);
			model_push(c);
			model_status();
			break;
		case 5:
			for (n = 1 + (op >> 3); n--;) {
				c = fuzz_u8(&in);
				vpl011_receive(&uart, (char)c);
				model_push(c);
				model_status();
			}
			break;
		default: {
			static const uint16_t polled[4] = {UARTFR, UARTRIS, UARTDR, UARTMIS};
			guest_access(polled[(op >> 3) & 3], 4, false, 0);
			break;
		}
		}
		check_state();
	}
	return 0;
}
