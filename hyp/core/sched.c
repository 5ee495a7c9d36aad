/*
 * Each physical CPU runs the vCPU pinned to it, or idles in WFI until a kick (a physical SGI)
 * says there may be work. Leaving a vCPU never unwinds: the CPU restarts on a fresh stack.
 */
#include <kestrel/drivers.h>
#include <kestrel/exits.h>
#include <kestrel/lib.h>
#include <kestrel/sysreg.h>

static bool vcpu_runnable(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	bool run = false;

	if (vm->state != VM_RUNNING)
		return false;
	spin_lock(&vm->lock);
	if (vcpu->power == VCPU_ON_PENDING)
		vcpu->power = VCPU_ON;
	run = vcpu->power == VCPU_ON;
	spin_unlock(&vm->lock);
	return run;
}

static NORETURN void idle_loop(void *arg)
{
	struct pcpu *pcpu = arg;

	for (;;) {
		struct vcpu *vcpu = pcpu->pinned;
		if (vcpu && vcpu_runnable(vcpu))
			vcpu_run(vcpu);
		wfi();
		irq_drain(NULL);
	}
}

void pcpu_idle(void)
{
	struct pcpu *pcpu = this_pcpu();

	if (pcpu->loaded) {
		vcpu_put(pcpu->loaded);
		write_sysreg(hcr_el2, 0); /* no stage 2, no traps, while nothing runs here */
		isb();
	}
	pcpu->current = NULL;
	dsb(ish);
	call_on_fresh_stack(pcpu, pcpu->stack_top, (void (*)(void *))idle_loop);
}

void vcpu_run(struct vcpu *vcpu)
{
	struct pcpu *pcpu = this_pcpu();

	if (pcpu->loaded != vcpu) {
		if (pcpu->loaded)
			vcpu_put(pcpu->loaded);
		vcpu_load(vcpu);
	}
	pcpu->current = vcpu;
	vgic_flush_lrs(vcpu);
	vcpu_enter_fresh(vcpu, pcpu->stack_top);
}

void pcpu_kick(struct pcpu *pcpu)
{
	dsb(ish);
	if (pcpu && pcpu != this_pcpu())
		gicv3_send_sgi(pcpu->mpidr, SGI_KICK);
}

void sched_check_current(struct vcpu *vcpu)
{
	if (vcpu->vm->state != VM_RUNNING || vcpu->power != VCPU_ON)
		pcpu_idle();
}
