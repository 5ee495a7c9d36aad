/* SPDX-License-Identifier: Apache-2.0 */
/* The exit dispatcher's rule, for tests that call handlers directly. */
#ifndef KESTREL_TEST_DISPATCH_H
#define KESTREL_TEST_DISPATCH_H

#include <kestrel/pstate.h>
#include <kestrel/vcpu.h>
#include <kestrel/vm.h>

#include <arch/fake_arch.h>

/* What guest_sync and guest_sync_a32 (entry.S) do with a handler's result before they resume
   the guest or call exit_finish: step the PC by the result's low byte, and clear PSTATE.BTYPE
   (AArch64) or move the IT block on (AArch32). */
static inline exit_result run_exit(exit_fn *handler, struct vcpu *vcpu, uint64_t esr)
{
	exit_result r;

	fake_cpu()->exit_esr = esr; /* ESR_EL2 holds it while the handler runs */
	r = handler(vcpu, esr);

	vcpu->regs.pc += r & EXIT_STEP_MASK;
	if (vcpu->regs.pstate & BIT(4))
		vcpu_step_a32(vcpu, r);
	else
		vcpu->regs.pstate &= ~PSTATE_BTYPE;
	return r;
}

#endif
