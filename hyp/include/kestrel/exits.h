/* SPDX-License-Identifier: Apache-2.0 */
/* Exit handlers, one per exception class, each in the file that owns that behaviour. */
#ifndef KESTREL_EXITS_H
#define KESTREL_EXITS_H

#include <kestrel/exit_result.h>
#include <kestrel/vm.h>

typedef exit_result exit_fn(struct vcpu *vcpu, uint64_t esr);

exit_fn wfx_exit;	/* wfx.c */
exit_fn fpsimd_exit;	/* fpsimd.c */
exit_fn smccc_hvc_exit; /* smccc.c */
exit_fn smccc_smc_exit;
exit_fn sysreg_exit; /* The modules whose exits these are, each with its own header. */
#include <kestrel/fpsimd.h>
#include <kestrel/id_regs.h>
#include <kestrel/irq.h>
#include <kestrel/smccc_call.h>

#endif
