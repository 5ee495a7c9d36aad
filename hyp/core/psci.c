/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PSCI 1.1 for guests: vCPU power control within the VM, and system off/reset, which stop
 * or restart only the calling VM.
 */
#include <kestrel/exits.h>
#include <kestrel/smccc.h>
#include <kestrel/vm.h>

/* The call a function id names, or 0 for a 64-bit id of a call PSCI defines only in its
   32-bit form (VERSION, CPU_OFF, MIGRATE_INFO_TYPE, SYSTEM_OFF/RESET, FEATURES). */
static uint32_t base_fid(uint32_t fid)
{
	uint32_t base = fid & ~PSCI_64BIT;

	if (!(fid & PSCI_64BIT))
		return base;
	switch (base) {
	case PSCI_CPU_SUSPEND:
	case PSCI_CPU_ON:
	case PSCI_AFFINITY_INFO:
	case PSCI_MIGRATE:
	case PSCI_MIGRATE_INFO_UP:
		return base;
	default:
		return 0;
	}
}

int64_t psci_features(uint32_t fid)
{
	switch (base_fid(fid)) {
	case PSCI_VERSION:
	case PSCI_CPU_SUSPEND:
	case PSCI_CPU_OFF:
	case PSCI_CPU_ON:
	case PSCI_AFFINITY_INFO:
	case PSCI_MIGRATE_INFO_TYPE:
	case PSCI_SYSTEM_OFF:
	case PSCI_SYSTEM_RESET:
	case PSCI_FEATURES:
		return PSCI_SUCCESS; /* CPU_SUSPEND: original power_state format */
	default:
		/* SMCCC_VERSION is announced here: that is how guests find SMCCC 1.1. */
		return fid == SMCCC_VERSION ? PSCI_SUCCESS : PSCI_NOT_SUPPORTED;
	}
}

static int64_t cpu_on(struct vcpu *caller, uint64_t mpidr, uint64_t entry, uint64_t ctx)
{
	struct vm *vm = caller->vm;
	struct vcpu *target = vm_vcpu_by_mpidr(vm, mpidr);
	int64_t ret = PSCI_SUCCESS;

	if (!target)
		return PSCI_INVALID_PARAMETERS;
	if (!IS_ALIGNED(entry, 4) || !vm_ipa_is_ram(vm, entry, 4))
		return PSCI_INVALID_ADDRESS;
	spin_lock(&vm->lock);
	if (target->power == VCPU_ON)
		ret = PSCI_ALREADY_ON;
	else if (target->power == VCPU_ON_PENDING)
		ret = PSCI_ON_PENDING;
	else {
		vcpu_reset(target, entry, ctx);
		target->power = VCPU_ON_PENDING;
	}
	spin_unlock(&vm->lock);
	if (ret == PSCI_SUCCESS)
		vcpu_kick(target);
	return ret;
}

static int64_t affinity_info(struct vcpu *caller, uint64_t mpidr, uint64_t level)
{
	struct vcpu *target = vm_vcpu_by_mpidr(caller->vm, mpidr);

	if (!target || level != 0)
		return PSCI_INVALID_PARAMETERS;
	switch (target->power) {
	case VCPU_ON:
		return PSCI_AFF_ON;
	case VCPU_ON_PENDING:
		return PSCI_AFF_ON_PENDING;
	default:
		return PSCI_AFF_OFF;
	}
}

/*
 * CPU_OFF, SYSTEM_OFF and SYSTEM_RESET leave the vCPU at once, from inside the call: its
 * registers are dead (a vCPU turned on again or a VM restarted starts from reset values), so
 * the callee-saved ones the hypercall exit path did not save need not be. Anything that
 * resumes the vCPU later (CPU_SUSPEND) returns instead and lets the exit path leave.
 */
static NORETURN void cpu_off(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	bool last = true;

	/* Off this CPU before it is OFF: a CPU_ON from another vCPU resets the saved state, and
	   the next run must load that, not find the old state still in the registers. */
	pcpu_unload(vcpu->pcpu);
	fpsimd_forget(vcpu);
	spin_lock(&vm->lock);
	vcpu->power = VCPU_OFF;
	for (unsigned i = 0; i < vm->vcpu_count; i++)
		if (vm->vcpus[i].power != VCPU_OFF)
			last = false;
	spin_unlock(&vm->lock);
	if (last)
		vm_stop(vm, "all vCPUs powered off");
	pcpu_idle();
}

/* SMC32/HVC32 arguments are W registers: the upper halves are not part of them. */
static uint64_t arg(const struct vcpu *vcpu, uint32_t fid, unsigned n)
{
	uint64_t v = vcpu->regs.x[n];

	return SMCCC_IS_64(fid) ? v : (uint32_t)v;
}

static int64_t psci_result(struct vcpu *vcpu, uint32_t fid)
{
	switch (base_fid(fid)) {
	case PSCI_VERSION:
		return PSCI_VERSION_1_1;
	case PSCI_CPU_SUSPEND:
		/* Standby: sleep like WFI; any wake-up returns SUCCESS. The exit path leaves
		   the vCPU (after saving all of its registers) when the call returns. */
		if (!vgic_vcpu_pending(vcpu)) {
			vcpu->blocked = true;
			vcpu->attention = 1;
		}
		return PSCI_SUCCESS;
	case PSCI_CPU_OFF:
		cpu_off(vcpu);
	case PSCI_CPU_ON:
		return cpu_on(vcpu, arg(vcpu, fid, 1), arg(vcpu, fid, 2), arg(vcpu, fid, 3));
	case PSCI_AFFINITY_INFO:
		return affinity_info(vcpu, arg(vcpu, fid, 1), arg(vcpu, fid, 2));
	case PSCI_MIGRATE_INFO_TYPE:
		return PSCI_MIGRATE_NOT_REQUIRED;
	case PSCI_SYSTEM_OFF:
		vm_event(vcpu->vm, VM_EVENT_POWEROFF);
		pcpu_idle();
	case PSCI_SYSTEM_RESET:
		vm_event(vcpu->vm, VM_EVENT_RESET);
		pcpu_idle();
	case PSCI_FEATURES:
		return psci_features((uint32_t)vcpu->regs.x[1]);
	default:
		return PSCI_NOT_SUPPORTED;
	}
}

void psci_call(struct vcpu *vcpu, uint32_t fid)
{
	vcpu->regs.x[0] = (uint64_t)psci_result(vcpu, fid);
}
