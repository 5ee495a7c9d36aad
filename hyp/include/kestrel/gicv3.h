/* SPDX-License-Identifier: Apache-2.0 */
/* The physical GICv3: distributor, this CPU's redistributor and CPU interface (gicv3.c). */
#ifndef KESTREL_GICV3_H
#define KESTREL_GICV3_H

#include <kestrel/types.h>

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

/* The SGIs kestrel sends itself; gicv3_init_cpu enables them. */
#define SGI_KICK 0 /* another CPU wants this one to look at its vCPU */
#define SGI_HALT 1 /* kestrel panicked on another CPU: stop here too */

#endif
