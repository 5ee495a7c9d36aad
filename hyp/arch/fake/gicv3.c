/* SPDX-License-Identifier: Apache-2.0 */
/* The physical GICv3 driver on the host: it records SGIs, enables and deactivations. */
#include <string.h>

#include <kestrel/gicv3.h>

#include <arch/fake_drivers.h>

#define NO_INTERRUPT 1023

struct fake_drivers fake_drivers;

void fake_drivers_reset(void)
{
	memset(&fake_drivers, 0, sizeof(fake_drivers));
}

int gicv3_init_dist(const struct gic_info *gic)
{
	(void)gic;
	return E_OK;
}

int gicv3_init_cpu(uint64_t mpidr)
{
	(void)mpidr;
	return E_OK;
}

static void record_sgi(uint64_t target, unsigned intid)
{
	if (fake_drivers.nsgis < FAKE_SGI_MAX)
		fake_drivers.sgis[fake_drivers.nsgis] = (struct fake_sgi){target, intid};
	fake_drivers.nsgis++;
}

void gicv3_send_sgi(uint64_t target_mpidr, unsigned intid)
{
	record_sgi(target_mpidr, intid);
}

void gicv3_send_sgi_others(unsigned intid)
{
	record_sgi(~0ull, intid);
}

void gicv3_enable_ppi(unsigned intid)
{
	fake_drivers.ppis_enabled |= 1ull << (intid & 63);
}

unsigned gicv3_ack(void)
{
	unsigned intid = fake_drivers.pending_intid;

	fake_drivers.pending_intid = 0;
	return intid ? intid : NO_INTERRUPT;
}

void gicv3_eoi(unsigned intid)
{
	fake_drivers.eois++;
	gicv3_deactivate(intid);
}

void gicv3_priority_drop(unsigned intid)
{
	(void)intid;
	fake_drivers.priority_drops++;
}

void gicv3_deactivate(unsigned intid)
{
	fake_drivers.deactivations++;
	fake_drivers.last_deactivated = intid;
	if (intid < 32)
		fake_drivers.ppis_activated &= ~(1ull << intid);
}

void gicv3_activate_ppi(unsigned intid)
{
	fake_drivers.ppis_activated |= 1ull << (intid & 63);
}

void gicv3_route_spi(unsigned intid, uint64_t mpidr)
{
	fake_drivers.spi_routed = intid;
	fake_drivers.spi_target = mpidr;
}

void gicv3_disable_spi(unsigned intid)
{
	fake_drivers.spi_disabled = intid;
}

unsigned gicv3_list_regs(void)
{
	return fake_drivers.list_regs;
}
