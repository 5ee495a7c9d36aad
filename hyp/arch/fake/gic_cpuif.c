/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The fake CPUs' GIC CPU interface, virtual side: list registers a test can read after a
 * flush and empty (ICH_ELRSR_EL2) as a guest that completed an interrupt would.
 */
#include <arch/fake_arch.h>

uint64_t fake_ich_lr_read(unsigned n)
{
	return n < FAKE_LRS ? fake_cpu()->ich_lr[n] : 0;
}

void fake_ich_lr_write(unsigned n, uint64_t v)
{
	if (n < FAKE_LRS)
		fake_cpu()->ich_lr[n] = v;
	/* one with neither pending nor active state is empty, as the hardware keeps them */
	if (v >> LR_STATE_SHIFT)
		fake_cpu()->ich_elrsr &= ~BIT(n);
	else
		fake_cpu()->ich_elrsr |= BIT(n);
}

uint64_t fake_ich_elrsr(void)
{
	return fake_cpu()->ich_elrsr;
}

void fake_ich_hcr_write(uint64_t hcr)
{
	fake_cpu()->ich_hcr = hcr;
}

void fake_icc_deactivate(unsigned intid)
{
	fake_cpu()->deactivations++;
	fake_cpu()->last_deactivated = intid;
}

void arch_vgic_cpuif_load(const struct vgic_cpuif *s, unsigned naprs)
{
	(void)naprs;
	fake_cpu()->cpuif = *s;
}

void arch_vgic_cpuif_save(struct vgic_cpuif *s, unsigned naprs)
{
	(void)naprs;
	*s = fake_cpu()->cpuif;
}

uint64_t arch_ich_vtr(void)
{
	return fake_arch.ich_vtr;
}
