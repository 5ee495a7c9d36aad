/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The physical drivers (kestrel/gicv3.h, pl011.h, psci_fw.h) on the host: each records what core
 * code asked of the GIC, the PSCI firmware and the UART, for a test to read, and answers as a test
 * says.
 */
#ifndef KESTREL_FAKE_DRIVERS_H
#define KESTREL_FAKE_DRIVERS_H

#include <kestrel/types.h>

#define FAKE_SGI_MAX  32
#define FAKE_UART_MAX 65536

struct fake_sgi {
	uint64_t target_mpidr; /* ~0: every CPU but the sender */
	unsigned intid;
};

struct fake_drivers {
	/* the GIC */
	struct fake_sgi sgis[FAKE_SGI_MAX]; /* oldest first, up to FAKE_SGI_MAX */
	unsigned nsgis;
	unsigned list_regs;	 /* gicv3_list_regs() */
	unsigned pending_intid;	 /* what the next gicv3_ack() returns (0: none, 1023) */
	uint64_t ppis_enabled;	 /* bit n: PPI n enabled */
	uint64_t ppis_activated; /* bit n: gicv3_activate_ppi(n) since the last deactivation */
	unsigned deactivations, eois, priority_drops, last_deactivated;
	unsigned spi_routed, spi_disabled; /* the last of each */
	uint64_t spi_target;
	/* the PSCI firmware */
	unsigned psci_calls, system_offs;
	uint64_t psci_last_fn;
	int64_t psci_result;	  /* what psci_fw_call answers */
	void (*system_off)(void); /* what psci_fw_system_off does then; must not return */
	/* the UART */
	char uart_out[FAKE_UART_MAX]; /* what kestrel sent, NUL-terminated */
	unsigned uart_len;
	void (*uart_observer)(char c); /* called with every byte sent, if set */
	const char *uart_in;	       /* what pl011_getc gives, up to its NUL */
	bool uart_rx_irq;
};

extern struct fake_drivers fake_drivers;

/* Everything back to power-on: nothing sent, nothing received. */
void fake_drivers_reset(void);

#endif
