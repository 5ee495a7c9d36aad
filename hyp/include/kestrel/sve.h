/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SVE for guests: a vector length per VM, and each vCPU's Z0-Z31, P0-P15, FFR and ZCR_EL1
 * switched lazily with its FP/SIMD state, which they subsume (V<n> is the low 128 bits of
 * Z<n>). SVE is trapped (CPTR_EL2.TZ) for every vCPU but one with SVE state that owns the
 * registers; a vCPU's first SVE instruction or ZCR_EL1 access traps (fpsimd.c, fpsimd_sve_exit)
 * and from then on its FP state is its SVE state, taken and given back whole by the same lazy
 * switch as FP.
 *   hyp/core/fpsimd.c          the first use and the lazy switch;
 *   hyp/core/vm_build.c        the VM's vector length and the vCPUs' storage;
 *   hyp/arch/aarch64/sve.c, .S the registers, ZCR_EL2 and the lengths the CPU implements;
 *   hyp/arch/fake/sve.c        a register file in memory, for unit tests.
 */
#ifndef KESTREL_SVE_H
#define KESTREL_SVE_H

#include <kestrel/types.h>

struct vcpu;

/* A vector length in quadwords (VQ: 128 bits each): the architecture allows 1..16. */
#define SVE_VQ_MAX   16u
#define SVE_VQ_BYTES 16u

/*
 * A vCPU's SVE registers in memory, at its VM's vector length, as STR (vector) and STR
 * (predicate) lay them out: Z0-Z31 (VQ * 16 bytes each), then P0-P15 and FFR (VQ * 2 bytes
 * each). FPSR and FPCR stay in its struct fpsimd_state, ZCR_EL1 in vcpu->zcr.
 */
#define SVE_P_OFFSET(vq) (32u * (vq)*SVE_VQ_BYTES)
/* 16-byte aligned, so the next vCPU's area is too. */
#define SVE_STATE_SIZE(vq) ((SVE_P_OFFSET(vq) + 17u * (vq) * (SVE_VQ_BYTES / 8) + 15u) & ~15u)

/* The arch side. The vector lengths this CPU implements: bit vq - 1 for each (0: no SVE). */
uint32_t sve_probe_vqs(void);
/* The vCPU's SVE registers, FPSR, FPCR and ZCR_EL1 out of and into the CPU, with ZCR_EL2 at its
   VM's length (which it keeps while the vCPU owns the registers: the guest's vector length).
   Called with no trap of FP or SVE at EL2 (arch_cpu_traps(ARCH_TRAPS_NONE, false)). */
void sve_save(struct vcpu *vcpu);
void sve_restore(const struct vcpu *vcpu);

#endif
