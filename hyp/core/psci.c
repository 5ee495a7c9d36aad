/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PSCI 1.1 for guests: vCPU power control within the VM, and system off/reset, which stop
 * or restart only the calling VM.
 */
#include <kestrel/fpsimd.h>
#include <kestrel/psci.h>
#include <kestrel/sched.h>
#include <kestrel/smccc.h>
#include <kestrel/vcpu.h>
#include <kestrel/vm.h>
#include <kestrel/vm_lifecycle.h>

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
	/* A VM being stopped or restarted (a request of another vCPU, say SYSTEM_RESET) turns
	   nothing on: the vCPU would survive into the next boot. */
	if (vm->state != VM_RUNNING || vm->requests)
		ret = PSCI_DENIED;
	else if (target->power == VCPU_ON)
		ret = PSCI_ALREADY_ON;
	else if (target->power == VCPU_ON_PENDING)
		ret = PSCI_ON_PENDING;
	else {
		vcpu_reset(target, entry, ctx);
		target->power = VCPU_ON_PENDING;
	}
	spin_unlock(&vm->lock);
	if (ret == PSCI_SUCCESS)
		sched_vcpu_kick(target);
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
 * CPU_OFF, SYSTEM_OFF and SYSTEM_RESET never return to the caller: the call answers
 * EXIT_LEAVE and the dispatcher takes the vCPU off its CPU. Its registers are dead (a vCPU
 * turned on again or a VM restarted starts from reset values), so x0 is not written.
 */
static NOINLINE exit_result cpu_off(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	bool last = true;

	/* Off this CPU before it is OFF: a CPU_ON from another vCPU resets the saved state, and
	   the next run must load that, not find the old state still in the registers. */
	sched_pcpu_unload(vcpu->pcpu);
	fpsimd_forget(vcpu);
	spin_lock(&vm->lock);
	vcpu->power = VCPU_OFF;
	for (unsigned i = 0; i < vm->vcpu_count; i++)
		if (vm->vcpus[i].power != VCPU_OFF)
			last = false;
	/* A VM with a request (another vCPU's SYSTEM_RESET, say) or stopping already is not
	   stopped by its last vCPU going off: its job turned the others off, and a stop now
	   would turn the restart its policy asks for into a stop. */
	if (vm->state != VM_RUNNING || vm->requests)
		last = false;
	spin_unlock(&vm->lock);
	if (last)
		vm_lifecycle_request(vm, VM_REQ_STOP, "all vCPUs powered off");
	return EXIT_LEAVE;
}

/* SMC32/HVC32 arguments are W registers: the upper halves are not part of them. */
static uint64_t arg(const struct smccc_args *a, uint32_t fid, unsigned n)
{
	uint64_t v = a->x[n];

	return SMCCC_IS_64(fid) ? v : (uint32_t)v;
}

static exit_result answer(struct smccc_args *a, int64_t ret)
{
	a->x[0] = (uint64_t)ret;
	return EXIT_RESUME;
}

/* Calls that do more than answer are out of line, so that psci_call only tail-calls and
   needs no stack frame: VERSION and FEATURES, the hot ones, cost a few instructions. */
static NOINLINE exit_result call_cpu_on(struct vcpu *vcpu, struct smccc_args *a, uint32_t fid)
{
	return answer(a, cpu_on(vcpu, arg(a, fid, 1), arg(a, fid, 2), arg(a, fid, 3)));
}

static NOINLINE exit_result call_affinity_info(struct vcpu *vcpu, struct smccc_args *a,
					       uint32_t fid)
{
	return answer(a, affinity_info(vcpu, arg(a, fid, 1), arg(a, fid, 2)));
}

/* Standby: sleep like WFI; any wake-up returns SUCCESS. With nothing pending, the dispatcher
   leaves the vCPU (after saving all of its registers). */
static NOINLINE exit_result cpu_suspend(struct vcpu *vcpu, struct smccc_args *a)
{
	a->x[0] = PSCI_SUCCESS;
	if (vgic_vcpu_pending(vcpu))
		return EXIT_RESUME;
	vcpu->blocked = true;
	return EXIT_LEAVE;
}

/* SYSTEM_OFF, SYSTEM_RESET: a request the scheduler carries out, per the VM's policy. */
static NOINLINE exit_result system_event(struct vcpu *vcpu, uint32_t req, const char *why)
{
	vm_lifecycle_request(vcpu->vm, req, why);
	return EXIT_LEAVE;
}

/* The answer goes to the caller's x0, unless the call leaves the vCPU. */
exit_result psci_call(struct vcpu *vcpu, struct smccc_args *a, uint32_t fid)
{
	switch (base_fid(fid)) {
	case PSCI_VERSION:
		return answer(a, PSCI_VERSION_1_1);
	case PSCI_CPU_SUSPEND:
		return cpu_suspend(vcpu, a);
	case PSCI_CPU_OFF:
		return cpu_off(vcpu);
	case PSCI_CPU_ON:
		return call_cpu_on(vcpu, a, fid);
	case PSCI_AFFINITY_INFO:
		return call_affinity_info(vcpu, a, fid);
	case PSCI_MIGRATE_INFO_TYPE:
		return answer(a, PSCI_MIGRATE_NOT_REQUIRED);
	case PSCI_SYSTEM_OFF:
		return system_event(vcpu, VM_REQ_POWEROFF, "powered off");
	case PSCI_SYSTEM_RESET:
		return system_event(vcpu, VM_REQ_RESET, "reset requested");
	case PSCI_FEATURES:
		return answer(a, psci_features((uint32_t)a->x[1]));
	default:
		return answer(a, PSCI_NOT_SUPPORTED);
	}
}
