/* SPDX-License-Identifier: Apache-2.0 */
/* Lazy FP/SIMD and SVE switching, and kestrel's own use of FP (fpsimd.c). */
#ifndef KESTREL_FPSIMD_H
#define KESTREL_FPSIMD_H

#include <kestrel/vm.h>

exit_fn fpsimd_exit; /* a guest's first FP/SIMD use since its vCPU was loaded */
/* Its first SVE instruction or ZCR_EL1 access (EC 0x19) since it was loaded, or ever: its
   FP state becomes its SVE state (kestrel/sve.h); an UNDEF in a VM without SVE. */
exit_fn fpsimd_sve_exit;

/* kestrel itself needs FP (libfdt): park any guest state first. */
void fpsimd_claim_for_kestrel(void);
void fpsimd_release_from_kestrel(void);
/* On the vCPU's own CPU only (CPU_OFF): another CPU's FP owner is that CPU's to change. */
void fpsimd_forget(struct vcpu *vcpu);

#endif
