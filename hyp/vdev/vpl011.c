/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Virtual PL011. Enough of the PrimeCell for Linux's amba-pl011 driver and for polled
 * bare-metal consoles: data, flags, the line/control registers read back, interrupt mask
 * and status, and the identification registers the AMBA bus probes.
 */
#include <kestrel/lib.h>
#include <kestrel/pl011_regs.h>
#include <kestrel/vpl011.h>

/* PeriphID0..3 then CellID0..3: part 0x011, designer ARM, revision r1p5. */
static const uint8_t id_bytes[8] = {0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1};

static void push_rx(struct vpl011 *u, uint8_t c)
{
	if (u->rx_count < VPL011_RX_SIZE) {
		u->rx[(u->rx_head + u->rx_count) % VPL011_RX_SIZE] = c;
		u->rx_count++;
	}
}

/* The receive interrupts are raised while the FIFO holds anything. */
static void rx_status(struct vpl011 *u)
{
	if (u->rx_count)
		u->ris |= INT_RX | INT_RT;
	else
		u->ris &= ~(uint32_t)(INT_RX | INT_RT);
}

/* The line follows RIS & IMSC, like the real UART's combined interrupt. */
static void update_line(struct vpl011 *u)
{
	bool level = (u->ris & u->imsc) != 0;

	if (level != u->line && u->irq_line) {
		u->line = level;
		u->irq_line(u, level);
	}
}

static uint32_t read_reg(struct vpl011 *u, uint64_t off)
{
	switch (off) {
	case UARTDR:
		if (!u->rx_count)
			return 0;
		uint8_t c = u->rx[u->rx_head];
		u->rx_head = (u->rx_head + 1) % VPL011_RX_SIZE;
		u->rx_count--;
		rx_status(u);
		return c;
	case UARTIBRD:
		return u->ibrd;
	case UARTFBRD:
		return u->fbrd;
	case UARTLCR_H:
		return u->lcr_h;
	case UARTCR:
		return u->cr;
	case UARTIFLS:
		return u->ifls;
	case UARTIMSC:
		return u->imsc;
	case UARTRIS:
		return u->ris;
	case UARTMIS:
		return u->ris & u->imsc;
	default:
		if (off >= UARTID && off < UARTID + 32)
			return id_bytes[(off - UARTID) / 4];
		return 0; /* reserved and write-only registers read as zero */
	}
}

static void write_reg(struct vpl011 *u, uint64_t off, uint32_t val)
{
	switch (off) {
	case UARTDR:
		if (u->output)
			u->output(u, (char)(val & 0xff));
		u->ris |= INT_TX; /* the FIFO drains at once */
		break;
	case UARTIBRD:
		u->ibrd = val & 0xffff;
		break;
	case UARTFBRD:
		u->fbrd = val & 0x3f;
		break;
	case UARTLCR_H:
		u->lcr_h = val & 0xff;
		break;
	case UARTCR:
		u->cr = val & 0xff87;
		break;
	case UARTIFLS:
		u->ifls = val & 0x3f;
		break;
	case UARTIMSC:
		u->imsc = val & INT_ALL;
		break;
	case UARTICR:
		u->ris &= ~(val & INT_ALL);
		break;
	default:
		break; /* read-only and reserved registers ignore writes */
	}
}

static bool access_ok(uint64_t off, unsigned width)
{
	/* The registers are at most 16 bits wide: Linux uses 16-bit accesses, others 32. */
	return IS_ALIGNED(off, width) && width <= 4;
}

static bool vpl011_read(struct mmio_dev *dev, struct vcpu *vcpu, uint64_t off, unsigned width,
			uint64_t *val)
{
	struct vpl011 *u = (struct vpl011 *)dev;

	(void)vcpu;
	if (!access_ok(off, width))
		return false;
	/* The flag register is what polled consoles spin on before every byte: it changes
	   nothing, so it is answered without the lock (FR's bits all fit in a byte). */
	if (off == UARTFR) {
		*val = FR_TXFE | (u->rx_count ? 0 : FR_RXFE);
		return true;
	}
	spin_lock(&u->lock);
	*val = read_reg(u, off) & (uint32_t)(BIT(8 * width) - 1); /* only the bytes read */
	update_line(u);
	spin_unlock(&u->lock);
	return true;
}

static bool vpl011_write(struct mmio_dev *dev, struct vcpu *vcpu, uint64_t off, unsigned width,
			 uint64_t val)
{
	struct vpl011 *u = (struct vpl011 *)dev;

	(void)vcpu;
	if (!access_ok(off, width))
		return false;
	spin_lock(&u->lock);
	write_reg(u, off, (uint32_t)val);
	update_line(u);
	spin_unlock(&u->lock);
	return true;
}

void vpl011_receive(struct vpl011 *u, char c)
{
	spin_lock(&u->lock);
	push_rx(u, (uint8_t)c);
	rx_status(u);
	update_line(u);
	spin_unlock(&u->lock);
}

static const struct mmio_ops vpl011_ops = {vpl011_read, vpl011_write};

void vpl011_init(struct vpl011 *u, ipaddr_t base, void (*output)(struct vpl011 *u, char c))
{
	memset(u, 0, sizeof(*u));
	u->dev.base = base;
	u->dev.size = 0x1000;
	u->dev.name = "pl011";
	u->dev.ops = &vpl011_ops;
	u->cr = 0x300; /* TXE | RXE, as after reset */
	u->output = output;
}
