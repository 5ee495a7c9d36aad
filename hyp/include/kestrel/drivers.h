/* SPDX-License-Identifier: Apache-2.0 */
/* Physical device drivers: the PL011 UART, the GICv3, PSCI firmware calls. */
#ifndef KESTREL_DRIVERS_H
#define KESTREL_DRIVERS_H

#include <kestrel/types.h>

void pl011_init(paddr_t base);
void pl011_putc(char c);
int pl011_getc(void); /* -1 when no input is waiting */
void pl011_enable_rx_irq(void);

struct gic_info;
MUST_CHECK int gicv3_init_dist(const struct gic_info *gic);
MUST_CHECK int gicv3_init_cpu(uint64_t mpidr); /* this CPU's redistributor and CPU interface */
void gicv3_enable_ppi(unsigned intid);
void gicv3_send_sgi(uint64_t target_mpidr, unsigned intid);
void gicv3_send_sgi_others(unsigned intid); /* to every CPU but this one */
unsigned gicv3_ack(void);		    /* INTID, 1023 if none */
void gicv3_eoi(unsigned intid);		    /* priority drop and deactivate */
void gicv3_priority_drop(unsigned intid);
void gicv3_deactivate(unsigned intid);
void gicv3_activate_ppi(unsigned intid); /* on this CPU: it cannot fire until deactivated */
void gicv3_route_spi(unsigned intid, uint64_t mpidr); /* enable an SPI to one CPU */
void gicv3_disable_spi(unsigned intid);
unsigned gicv3_list_regs(void);

#define SGI_KICK 0 /* another CPU wants this one to look at its vCPU */
#define SGI_HALT 1 /* kestrel panicked on another CPU: stop here too */

int64_t psci_fw_call(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3);
int64_t psci_fw_smc(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3);
NORETURN void psci_fw_system_off(void);

#endif
