/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The GIC CPU interface's virtual state that is saved with a vCPU rather than folded back
 * like the list registers (hyp/vdev/vgic_lr.c): ICH_VMCR_EL2 and the active priorities.
 */
#include <kestrel/arch.h>
#include <kestrel/sysreg_defs.h>
#include <kestrel/vgic.h>

#define ICH_VMCR_EL2 S3_4_C12_C11_7

/* ICH_AP0R<n>_EL2 is S3_4_C12_C8_n, ICH_AP1R<n>_EL2 S3_4_C12_C9_n: one pair per case, the
   higher ones falling through to the lower ones that every CPU interface has. */
static void write_aprs(const struct vgic_cpuif *s, unsigned count)
{
	switch (count) {
	case 4:
		write_sysreg(S3_4_C12_C8_3, s->ap0r[3]);
		write_sysreg(S3_4_C12_C9_3, s->ap1r[3]);
		write_sysreg(S3_4_C12_C8_2, s->ap0r[2]);
		write_sysreg(S3_4_C12_C9_2, s->ap1r[2]);
		/* fall through */
	case 2:
		write_sysreg(S3_4_C12_C8_1, s->ap0r[1]);
		write_sysreg(S3_4_C12_C9_1, s->ap1r[1]);
		/* fall through */
	default:
		write_sysreg(S3_4_C12_C8_0, s->ap0r[0]);
		write_sysreg(S3_4_C12_C9_0, s->ap1r[0]);
	}
}

static void read_aprs(struct vgic_cpuif *s, unsigned count)
{
	switch (count) {
	case 4:
		s->ap0r[3] = (uint32_t)read_sysreg(S3_4_C12_C8_3);
		s->ap1r[3] = (uint32_t)read_sysreg(S3_4_C12_C9_3);
		s->ap0r[2] = (uint32_t)read_sysreg(S3_4_C12_C8_2);
		s->ap1r[2] = (uint32_t)read_sysreg(S3_4_C12_C9_2);
		/* fall through */
	case 2:
		s->ap0r[1] = (uint32_t)read_sysreg(S3_4_C12_C8_1);
		s->ap1r[1] = (uint32_t)read_sysreg(S3_4_C12_C9_1);
		/* fall through */
	default:
		s->ap0r[0] = (uint32_t)read_sysreg(S3_4_C12_C8_0);
		s->ap1r[0] = (uint32_t)read_sysreg(S3_4_C12_C9_0);
	}
}

void arch_vgic_cpuif_load(const struct vgic_cpuif *s, unsigned naprs)
{
	write_sysreg(ICH_VMCR_EL2, s->vmcr);
	write_aprs(s, naprs);
}

void arch_vgic_cpuif_save(struct vgic_cpuif *s, unsigned naprs)
{
	s->vmcr = read_sysreg(ICH_VMCR_EL2);
	read_aprs(s, naprs);
}

uint64_t arch_ich_vtr(void)
{
	return read_sysreg(ICH_VTR_EL2);
}
