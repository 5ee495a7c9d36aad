/* SPDX-License-Identifier: Apache-2.0 */
/* What the vGIC model is given of kestrel's scheduler (struct vgic_hooks in vgic.h). */
#include <kestrel/guest_layout.h>
#include <kestrel/hyp.h>
#include <kestrel/pmu.h>
#include <kestrel/sched.h>
#include <kestrel/sysreg_defs.h>
#include <kestrel/vgic_hooks.h>
#include <kestrel/vm.h>
#include <kestrel/vm_ram.h>

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
	sched_pcpu_kick(vcpu->pcpu);
	deadline = arch_counter() + hyp.cntfrq / 1000 * SYNC_WAIT_MS;
	while (READ_ONCE(vcpu->vgic.syncs) == seen && READ_ONCE(vcpu->pcpu->current) == vcpu &&
	       arch_counter() < deadline)
		;
}

#define CNT_CTL_ENABLE	BIT(0)
#define CNT_CTL_IMASK	BIT(1)
#define CNT_CTL_ISTATUS BIT(2)

static enum vgic_level level(bool high)
{
	return high ? VGIC_LEVEL_HIGH : VGIC_LEVEL_LOW;
}

/* Loaded here, the timer (PMU) is live: the hardware's ISTATUS (overflow flags) says. Not
   loaded anywhere, its saved CVAL against the count (its saved flags) says. Running on another
   CPU: only that CPU knows. A vCPU that never used its PMU has no overflow. */
static enum vgic_level ppi_level(struct vcpu *vcpu, unsigned intid, bool *here)
{
	bool virt = intid == GUEST_PPI_VTIMER;
	uint64_t ctl, cval, now;

	*here = this_pcpu()->loaded == vcpu;
	if (intid == GUEST_PPI_PMU) {
		if (!(vcpu->lazy & LAZY_PMU))
			return VGIC_LEVEL_LOW;
		if (*here)
			return level(pmu_live_level());
		if (vcpu->pcpu && READ_ONCE(vcpu->pcpu->loaded) == vcpu)
			return VGIC_LEVEL_UNKNOWN;
		return level(pmu_level(&vcpu->pmu));
	}
	if (*here) {
		ctl = arch_el1_timer_ctl(virt);
		return level((ctl & (CNT_CTL_ENABLE | CNT_CTL_IMASK | CNT_CTL_ISTATUS)) ==
			     (CNT_CTL_ENABLE | CNT_CTL_ISTATUS));
	}
	if (vcpu->pcpu && READ_ONCE(vcpu->pcpu->loaded) == vcpu)
		return VGIC_LEVEL_UNKNOWN;
	ctl = virt ? vcpu->sys.cntv_ctl : vcpu->sys.cntp_ctl;
	cval = virt ? vcpu->sys.cntv_cval : vcpu->sys.cntp_cval;
	now = arch_counter() - (virt ? vcpu->vm->cntvoff : 0);
	return level((ctl & (CNT_CTL_ENABLE | CNT_CTL_IMASK)) == CNT_CTL_ENABLE && now >= cval);
}

const struct vgic_hooks vm_vgic_hooks = {
    .kick = sched_vcpu_kick,
    .sync_lrs = sync_running_vcpu,
    .vcpu_by_mpidr = vm_vcpu_by_mpidr,
    .ppi_level = ppi_level,
    .read_ram = vm_ram_copy_from_guest,
    .write_ram = vm_ram_copy_to_guest,
    .in_ram = vm_ipa_is_ram,
};
