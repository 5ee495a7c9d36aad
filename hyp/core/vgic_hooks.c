/* SPDX-License-Identifier: Apache-2.0 */
/* What the vGIC model is given of kestrel's scheduler (struct vgic_hooks in vgic.h). */
#include <kestrel/hyp.h>
#include <kestrel/sysreg.h>
#include <kestrel/vm.h>

/* A read of pending or active state must see what a running vCPU's guest did to its list
   registers (KVM stops such vCPUs likewise). The other CPU folds them back at its next exit;
   a CPU that does not answer in time (a slow host) leaves the reader with older state, which
   is what the reader would have seen a moment earlier: never a reason to wait longer. */
#define SYNC_WAIT_MS 10

static void sync_running_vcpu(struct vcpu *vcpu)
{
	uint64_t seen = READ_ONCE(vcpu->vgic.syncs), deadline;

	if (READ_ONCE(vcpu->pcpu->current) != vcpu)
		return;
	pcpu_kick(vcpu->pcpu);
	deadline = read_sysreg(cntpct_el0) + hyp.cntfrq / 1000 * SYNC_WAIT_MS;
	while (READ_ONCE(vcpu->vgic.syncs) == seen && READ_ONCE(vcpu->pcpu->current) == vcpu &&
	       read_sysreg(cntpct_el0) < deadline)
		;
}

const struct vgic_hooks vm_vgic_hooks = {
    .kick = vcpu_kick,
    .sync_lrs = sync_running_vcpu,
    .vcpu_by_mpidr = vm_vcpu_by_mpidr,
};
