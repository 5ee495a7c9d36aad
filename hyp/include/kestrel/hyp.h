/* SPDX-License-Identifier: Apache-2.0 */
/* Machine-wide settings kestrel chooses at boot and every VM shares. */
#ifndef KESTREL_HYP_H
#define KESTREL_HYP_H

#include <kestrel/console.h>
#include <kestrel/platform.h>

struct hyp_config {
	unsigned ipa_bits;
	unsigned vmid_bits;
	uint64_t vtcr;
	uint64_t vcpu_hcr, vcpu_cptr, vcpu_mdcr;
	uint64_t cntfrq;
	bool has_ras; /* FEAT_RAS: VDISR_EL2 exists and is switched per vCPU */
	bool has_pac; /* FEAT_PAuth: guests see it, their keys switched (kestrel/pac.h) */
	bool has_mte; /* FEAT_MTE2: guests see it, tags zeroed with RAM (kestrel/mte.h) */
	bool has_pmu; /* PMUv3p5 with its interrupt on PPI 23: guests get it (kestrel/pmu.h) */
	unsigned pmu_counters; /* its event counters (PMCR_EL0.N), all the guests' */
	/* Breakpoints and watchpoints (ID_AA64DFR0_EL1.BRPs, WRPs): guests see as many. */
	unsigned debug_brps, debug_wrps;
	/* FEAT_SVE: the vector lengths the CPU implements, bit vq - 1 each (kestrel/sve.h);
	   0 without SVE */
	uint32_t sve_vqs;
	/* VTTBR_EL2 of a CPU with no vCPU loaded: VMID 0 (never a VM's), an empty stage 2 */
	uint64_t park_vttbr;
};

extern struct hyp_config hyp;
extern struct platform platform;

/* Milliseconds since the counter started. */
uint64_t uptime_ms(void);

#endif
