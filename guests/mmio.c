/* SPDX-License-Identifier: Apache-2.0 */
/* mmio: the virtual PL011's registers, as a guest driver would see them. */
#include "boot_info.h"
#include "check.h"
#include "mmio.h"
#include "pl011.h"
#include "printf.h"
#include "runtime.h"

static uintptr_t uart;

static uint32_t reg(unsigned offset)
{
	return mmio_read32(uart + offset);
}

static void check_reg(const char *name, unsigned offset, uint32_t expected)
{
	uint32_t val = reg(offset);

	if (val == expected)
		check(true, "%s (0x%03x) = 0x%x", name, offset, val);
	else
		check(false, "%s (0x%03x) = 0x%x (expected 0x%x)", name, offset, val, expected);
}

/* A line written straight to DR, one access of the given width per character. */
static void write_line(const char *s, unsigned width)
{
	for (; *s; s++) {
		while (reg(PL011_FR) & PL011_FR_TXFF)
			;
		if (width == 8)
			mmio_write8(uart + PL011_DR, (uint8_t)*s);
		else if (width == 16)
			mmio_write16(uart + PL011_DR, (uint8_t)*s);
		else
			mmio_write32(uart + PL011_DR, (uint8_t)*s);
	}
}

int main(const void *dtb)
{
	(void)dtb;
	uart = boot_info.uart_base;
	check(boot_info.uart_in_dtb, "PL011 at 0x%lx, from the device tree", (uint64_t)uart);

	write_line("mmio: this line went through 32-bit writes to UARTDR\n", 32);
	write_line("mmio: this line went through 16-bit writes to UARTDR\n", 16);
	write_line("mmio: this line went through 8-bit writes to UARTDR\n", 8);

	uint32_t fr = reg(PL011_FR);
	check(!(fr & PL011_FR_TXFF), "UARTFR = 0x%x: TXFF clear (can always send)", fr);
	check(fr & PL011_FR_RXFE, "UARTFR = 0x%x: RXFE set (no input)", fr);
	check(fr & PL011_FR_TXFE, "UARTFR = 0x%x: TXFE set (nothing pending)", fr);

	/* These only have to be readable without a fault. */
	printf("IBRD 0x%x FBRD 0x%x LCR_H 0x%x CR 0x%x\n", reg(PL011_IBRD), reg(PL011_FBRD),
	       reg(PL011_LCR_H), reg(PL011_CR));

	uint32_t imsc = reg(PL011_IMSC);
	mmio_write32(uart + PL011_IMSC, 0x50);
	check_eq("IMSC after writing 0x50", reg(PL011_IMSC), 0x50);
	mmio_write32(uart + PL011_IMSC, 0xffffffff);
	check_eq("IMSC after writing 0xffffffff (11 bits kept)", reg(PL011_IMSC), PL011_INT_MASK);
	mmio_write32(uart + PL011_IMSC, imsc);
	check_eq("IMSC after restoring it", reg(PL011_IMSC), imsc & PL011_INT_MASK);

	uint32_t ris = reg(PL011_RIS), mis = reg(PL011_MIS);
	check(mis == (ris & reg(PL011_IMSC)), "MIS 0x%x = RIS 0x%x & IMSC", mis, ris);
	mmio_write32(uart + PL011_ICR, PL011_INT_MASK);
	check(true, "ICR written");

	check_reg("PeriphID0", PL011_PERIPHID(0), 0x11);
	check_reg("PeriphID1", PL011_PERIPHID(1), 0x10);
	check_reg("CellID0", PL011_CELLID(0), 0x0d);
	check_reg("CellID1", PL011_CELLID(1), 0xf0);
	check_reg("CellID2", PL011_CELLID(2), 0x05);
	check_reg("CellID3", PL011_CELLID(3), 0xb1);

	check_reg("reserved offset", 0x100, 0);
	mmio_write32(uart + 0x100, 0xdeadbeef);
	check_reg("reserved offset after writing 0xdeadbeef", 0x100, 0);

	test_finish();
}
