/* SPDX-License-Identifier: Apache-2.0 */
/*
 * VM lifecycle: stop, restart, start, as requests. Anyone may ask (a guest's own exit, the
 * console, another CPU): vm_lifecycle_request sets a bit in the VM's request word and kicks the
 * CPUs of its vCPUs. Nothing else happens there, so no exit handler ever waits for another CPU or
 * does long work with interrupts masked. The work is a job that one CPU's scheduler loop carries
 * out (vm_lifecycle_work, on the loop's fresh stack), in pieces bounded by a deadline: the
 * loop drains interrupts and gives the CPU to runnable vCPUs between them.
 *
 * A job: take every vCPU of the VM off its CPU (quiesce: each CPU lets go of the vCPUs in its
 * own scheduler loop; the job only waits, in counter ticks, and never gives up on a slow
 * CPU), then scrub the RAM block by block, then either give everything back (stop) or copy
 * the images in again piece by piece and start the boot vCPU (restart).
 */
#include <kestrel/arch.h>
#include <kestrel/gicv3.h>
#include <kestrel/psci_fw.h>
#include <kestrel/hyp.h>
#include <kestrel/invariants.h>
#include <kestrel/lib.h>
#include <kestrel/sched.h>
#include <kestrel/sysreg_defs.h>
#include <kestrel/vm.h>
#include <kestrel/vm_build.h>
#include <kestrel/vm_images.h>
#include <kestrel/vm_lifecycle.h>
#include <kestrel/vm_ram.h>
#include <kestrel/vm_virtio.h>

#define SLOW_PEER_MS 1000 /* a CPU that takes longer to leave the VM's vCPUs is reported */

enum job_op { JOB_NONE, JOB_STOP, JOB_RESTART, JOB_START };

enum job_phase {
	PHASE_QUIESCE, /* waiting for every CPU to let go of the VM's vCPUs */
	PHASE_SCRUB,   /* zeroing the RAM the VM touched, a block at a time */
	PHASE_RELOAD,  /* restart: the images copied in again, a piece at a time */
};

static uint64_t now(void)
{
	return arch_counter();
}

/* A CPU running one of the VM's vCPUs leaves it now; one running another VM's vCPU lets it
   finish its slice first (sched_make_way), then its loop looks. */
static void kick(struct pcpu *pcpu, const struct vm *vm)
{
	const struct vcpu *cur = READ_ONCE(pcpu->current);
	unsigned why = RESCHED_LIFECYCLE | (cur && cur->vm != vm ? 0 : RESCHED_NOW);

	__atomic_fetch_or(&pcpu->resched, why, __ATOMIC_ACQ_REL);
	gicv3_send_sgi(pcpu->mpidr, SGI_KICK);
}

/* Every CPU that runs one of the VM's vCPUs looks at it soon: an idle one wakes, a running
   vCPU exits (this CPU's own too: the SGI is taken as soon as a guest runs here), and its
   scheduler loop looks at the VMs' requests (RESCHED_LIFECYCLE). So does the CPU whose job
   it is, if it runs none of them. */
static void kick_cpus_of(struct vm *vm)
{
	uint32_t kicked = 0;
	int owner = READ_ONCE(vm->job.cpu);

	dsb(ish);
	for (unsigned i = 0; i < vm->vcpu_count; i++) {
		struct pcpu *pcpu = vm->vcpus[i].pcpu;
		if (!pcpu || (kicked & BIT(pcpu->id)))
			continue;
		kicked |= (uint32_t)BIT(pcpu->id);
		kick(pcpu, vm);
	}
	if (owner >= 0 && !(kicked & BIT(owner)))
		kick(&pcpus[owner], vm);
}

/* Whether pcpu's run queue holds a vCPU of the VM: then the VM's job takes that vCPU's
   turns there (sched.c pick_next). */
static bool runs_vcpu_of(const struct pcpu *pcpu, const struct vm *vm)
{
	for (unsigned i = 0; i < vm->vcpu_count; i++)
		if (vm->vcpus[i].pcpu == pcpu)
			return true;
	return false;
}

/* The CPU that carries a VM's job out: the asking one if it runs a vCPU of the VM, else the
   boot vCPU's. The job is done in the turns of the VM's vCPUs on that CPU, so that it costs
   the VM's share of the CPU, not its neighbours' (a VM resetting in a loop gets no more of
   the CPU than one that computes). A VM with no vCPU on any CPU (refused before it ran)
   has its job done by the asking CPU, between turns. */
static int job_cpu_for(const struct vm *vm, const struct pcpu *self)
{
	if (runs_vcpu_of(self, vm) || !vm->vcpus[0].pcpu)
		return (int)self->id;
	return (int)vm->vcpus[0].pcpu->id;
}

void vm_lifecycle_request(struct vm *vm, uint32_t req, const char *why)
{
	int none = -1;

	/* Unless a CPU carries a job out already. Until the job is taken, no CPU picks a vCPU of
	   the VM (sched.c runnable looks at the requests), so a vCPU that asked (SYSTEM_RESET)
	   is not run again. */
	__atomic_compare_exchange_n(&vm->job.cpu, &none, job_cpu_for(vm, this_pcpu()), false,
				    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
	spin_lock(&vm->lock);
	if ((req & VM_REQ_STOP) && !(vm->requests & VM_REQ_STOP))
		vm->stop_why = why;
	if ((req & VM_REQ_CRASH) && !(vm->requests & VM_REQ_CRASH))
		vm->crash_why = why;
	vm->requests |= req;
	spin_unlock(&vm->lock);
	kick_cpus_of(vm);
}

/* --- the end of a VM's run --- */

static bool all_stopped(void)
{
	for (unsigned i = 0; i < VM_MAX; i++)
		if (vms[i].state == VM_RUNNING || vms[i].state == VM_STOPPING)
			return false;
	return true;
}

/* Every way a quiesced and scrubbed VM ends: report it, check it, give everything back. */
static void finish_stop(struct vm *vm, const char *what)
{
	vm_print_stats(vm, what);
	invariants_check_vm(vm, "stopped");
	vm_release(vm, true);
	spin_lock(&vm->lock);
	vm->state = VM_STOPPED;
	vm->requests &= VM_REQ_START; /* whatever its last run asked is over */
	spin_unlock(&vm->lock);
	if (all_stopped()) {
		sched_report_idle();
		kprintf("all VMs stopped, powering off");
		psci_fw_system_off();
	}
}

/* --- quiesce --- */

static bool holds_vcpu_of(const struct pcpu *pcpu, const struct vm *vm)
{
	const struct vcpu *cur = READ_ONCE(pcpu->current), *loaded = READ_ONCE(pcpu->loaded);
	const struct vcpu *fp = READ_ONCE(pcpu->fp_owner);

	return (cur && cur->vm == vm) || (loaded && loaded->vm == vm) || (fp && fp->vm == vm);
}

/* True when no CPU runs, holds the EL1 state of, or owns the FP registers of one of the VM's
   vCPUs. Each CPU lets go of them itself (sched.c drop_stopped): nobody writes another CPU's
   loaded vCPU or FP owner. This CPU is in its scheduler loop: it lets go here. */
static bool quiesced(struct vm *vm, struct pcpu *self)
{
	if (self->loaded && self->loaded->vm == vm)
		sched_pcpu_unload(self);
	if (self->fp_owner && self->fp_owner->vm == vm)
		self->fp_owner = NULL;
	dsb(ish);
	for (unsigned i = 0; i < pcpu_count; i++) {
		struct pcpu *pcpu = &pcpus[i];
		if (pcpu == self || !pcpu->online || !holds_vcpu_of(pcpu, vm))
			continue;
		/* A slow peer is waited for, not a reason to stop kestrel: it is told again. */
		if (!vm->job.warned && now() - vm->job.since > hyp.cntfrq / 1000 * SLOW_PEER_MS) {
			kprintf("vm '%s': CPU %u is slow to leave its vCPUs; still waiting",
				vm->name, pcpu->id);
			vm->job.warned = true;
			kick_cpus_of(vm);
		}
		return false;
	}
	return true;
}

/* --- turning requests into a job --- */

/* What the VM's requests ask for, by precedence: a stop (kestrel's console, or its last vCPU
   off) beats a restart, the console's restart beats the guest's own events, and the guest's
   crash, reset and power-off follow its policies. Called with the VM's lock held. */
static enum job_op job_for(struct vm *vm, uint32_t req, const char **why)
{
	const struct vm_config *cfg = &vm->config;

	if (vm->state == VM_STOPPED) {
		*why = NULL;
		return req & VM_REQ_START ? JOB_START : JOB_NONE;
	}
	if (vm->state != VM_RUNNING)
		return JOB_NONE;
	if (req & VM_REQ_STOP) {
		*why = vm->stop_why;
		return JOB_STOP;
	}
	if (req & VM_REQ_RESTART) {
		*why = "restart from the console";
		return JOB_RESTART;
	}
	if (req & VM_REQ_CRASH) {
		*why = "crashed";
		return cfg->on_crash == POLICY_RESTART ? JOB_RESTART : JOB_STOP;
	}
	if (req & VM_REQ_RESET) {
		*why = cfg->on_reset == POLICY_RESTART ? "reset requested" : "reset";
		return cfg->on_reset == POLICY_RESTART ? JOB_RESTART : JOB_STOP;
	}
	if (req & VM_REQ_POWEROFF) {
		*why = "powered off";
		return cfg->on_poweroff == POLICY_RESTART ? JOB_RESTART : JOB_STOP;
	}
	return JOB_NONE;
}

/*
 * Takes the VM's requests. A stop or restart of a running VM quiesces it at once, in the same
 * critical section: the VM is STOPPING and its vCPUs OFF under the lock the scheduler holds
 * when it picks a vCPU and publishes it as its CPU's current (sched.c runnable). So either a
 * CPU picked one before, and quiesced() sees it, or it sees the VM stopping and picks none.
 * A PSCI CPU_ON after that is refused (psci.c), so none survives into the next boot.
 */
static void choose_job(struct vm *vm)
{
	uint32_t req;
	const char *why = NULL, *crash_why;
	enum job_op op;

	spin_lock(&vm->lock);
	req = vm->requests;
	crash_why = vm->crash_why;
	op = job_for(vm, req, &why);
	vm->requests = 0; /* taken; a stop that comes in later is seen by stop_instead */
	if (op == JOB_STOP || op == JOB_RESTART) {
		vm->state = VM_STOPPING;
		for (unsigned i = 0; i < vm->vcpu_count; i++)
			vm->vcpus[i].power = VCPU_OFF;
	}
	spin_unlock(&vm->lock);
	if (op == JOB_NONE)
		return;
	if (op != JOB_START && (req & (VM_REQ_STOP | VM_REQ_RESTART)) == 0) {
		if (req & VM_REQ_CRASH)
			kprintf("%s crashed (%s): %s per its on-crash policy", vm->name, crash_why,
				op == JOB_RESTART ? "restarting" : "stopping");
		else if ((req & (VM_REQ_RESET | VM_REQ_POWEROFF)) == VM_REQ_POWEROFF &&
			 op == JOB_RESTART)
			kprintf("%s powered off: restarting it, as its on-poweroff policy says",
				vm->name);
	}
	vm->job.op = op;
	vm->job.why = why;
	vm->job.cursor = 0;
	vm->job.phase = PHASE_QUIESCE;
	vm->job.since = now();
	vm->job.warned = false;
	if (op != JOB_START)
		kick_cpus_of(vm);
}

/* --- carrying a job out --- */

static void job_done(struct vm *vm)
{
	vm->job.op = JOB_NONE;
}

static void scrub_and_stop(struct vm *vm, const char *why)
{
	vm->job.op = JOB_STOP;
	vm->job.why = why;
	vm_virtio_stop(vm);
	vm->job.phase = PHASE_SCRUB;
	vm->job.cursor = 0;
}

/* A stop asked of kestrel's console while the VM restarts: it stops instead (the RAM it has
   so far is scrubbed again). */
static bool stop_instead(struct vm *vm)
{
	if (vm->job.op != JOB_RESTART || !(READ_ONCE(vm->requests) & VM_REQ_STOP))
		return false;
	scrub_and_stop(vm, "stopped from the console");
	return true;
}

static void restart_from_images(struct vm *vm)
{
	kprintf("%s: %s, restarting from its original images", vm->name, vm->job.why);
	for (unsigned i = 0; i < vm->vcpu_count; i++)
		memset(vm->vcpus[i].stats, 0, sizeof(vm->vcpus[i].stats));
	vm_ram_unmap(vm);
	vm_s2_flush(vm);
	vm->job.phase = PHASE_RELOAD;
	vm->job.cursor = 0;
	if (vm_images_begin(vm) != E_OK)
		scrub_and_stop(vm, "reset failed");
}

/* A console start: built with its images laid out; they are copied in pieces, as for a
   restart. */
static bool build_for_start(struct vm *vm)
{
	if (vm_build_unloaded(vm) != E_OK)
		return false;
	vm->cpu_ticks = vm->job_ticks = 0; /* a new run from kestrel's console */
	kprintf("%s: starting: VMID %u, stage-2 root 0x%lx, RAM at PA 0x%lx", vm->name, vm->vmid,
		(unsigned long)vm->s2.root, (unsigned long)pa_addr(vm->ram_pa));
	vm->job.phase = PHASE_RELOAD;
	vm->job.cursor = 0;
	return true;
}

static void start_again(struct vm *vm)
{
	vm->uart.rx_count = 0;
	vgic_release_hw(vm); /* a device interrupt in flight must not stay active for ever */
	vgic_init(vm, vm->vgic.nr_lrs, vm->vgic.hooks);
	if (vm_start(vm))
		job_done(vm);
	else /* a stop came in since the last piece */
		scrub_and_stop(vm, "stopped from the console");
}

/* One piece of the VM's job; true when there is more. */
static bool job_step(struct vm *vm, struct pcpu *self, uint64_t until)
{
	char what[96];
	int err;

	if (vm->job.phase != PHASE_QUIESCE && stop_instead(vm))
		return true;
	switch (vm->job.phase) {
	case PHASE_QUIESCE:
		if (vm->job.op == JOB_START) {
			if (build_for_start(vm))
				return true;
			job_done(vm); /* refused: it said why */
			return false;
		}
		if (!quiesced(vm, self))
			return true;
		/* Its devices stop before its RAM is scrubbed: none copies into it after. */
		vm_virtio_stop(vm);
		/* RAM zeroed on first touch needs no scrub to start again: the next boot zeroes
		   what it touches, in its own turns, and the stop scrubs the rest. A reset then
		   costs what the new boot uses, not what the last one did as well. */
		if (vm->job.op == JOB_RESTART && vm_ram_zeroed_on_touch(vm)) {
			restart_from_images(vm);
			return true;
		}
		vm->job.phase = PHASE_SCRUB;
		return true;
	case PHASE_SCRUB:
		if (!vm_ram_scrub_step(vm, &vm->job.cursor, until))
			return true;
		if (vm->job.op == JOB_RESTART) {
			restart_from_images(vm);
			return true;
		}
		snprintf(what, sizeof(what), "stopped (%s) after %llu ms", vm->job.why,
			 (unsigned long long)(uptime_ms() - vm->started_ms));
		job_done(vm);
		finish_stop(vm, what);
		return false;
	case PHASE_RELOAD:
		err = vm_images_step(vm, &vm->job.cursor, until);
		if (err > 0)
			return true;
		if (err < 0)
			scrub_and_stop(vm, vm->job.op == JOB_START ? "its images did not load"
								   : "reset failed");
		else
			start_again(vm);
		return vm->job.op != JOB_NONE;
	}
	return false;
}

/* Only one CPU carries out a VM's job: the one vm_lifecycle_request chose, or the first whose loop
   sees it after a job ended. */
static bool claim(struct vm *vm, struct pcpu *self)
{
	int none = -1;

	if (READ_ONCE(vm->job.cpu) == (int)self->id)
		return true;
	return __atomic_compare_exchange_n(&vm->job.cpu, &none, (int)self->id, false,
					   __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

bool vm_lifecycle_has_job(const struct vm *vm, const struct pcpu *pcpu)
{
	return READ_ONCE(vm->job.cpu) == (int)pcpu->id &&
	       (vm->job.op != JOB_NONE || READ_ONCE(vm->requests));
}

/* Pieces of vm's job until the counter passes until; true while it has more. */
static bool work_on(struct vm *vm, struct pcpu *self, uint64_t until)
{
	if (vm->job.op == JOB_NONE)
		choose_job(vm);
	while (vm->job.op != JOB_NONE && job_step(vm, self, until) && now() < until)
		;
	if (vm->job.op == JOB_NONE)
		__atomic_store_n(&vm->job.cpu, -1, __ATOMIC_RELEASE);
	return vm->job.op != JOB_NONE || READ_ONCE(vm->requests);
}

bool vm_lifecycle_work(struct pcpu *self, struct vm *turn, uint64_t until)
{
	bool more = false;

	if (turn && claim(turn, self))
		work_on(turn, self, until);
	for (unsigned i = 0; i < VM_MAX; i++) {
		struct vm *vm = &vms[i];
		if (vm->state == VM_FREE || (!READ_ONCE(vm->requests) && vm->job.op == JOB_NONE))
			continue;
		if (!claim(vm, self))
			continue; /* another CPU's job: it comes back to it itself */
		/* A job whose VM has no vCPU here has no turn of its own: it is done now, as
		   the loop goes round. The others wait for their VM's turn. */
		if (vm != turn && !runs_vcpu_of(self, vm) && now() < until)
			work_on(vm, self, until);
		more |= vm->job.op != JOB_NONE || READ_ONCE(vm->requests);
	}
	/* More to do: this CPU's loop comes back to it (a running vCPU makes way at its next
	   slow exit or its slice's end). */
	if (more)
		__atomic_fetch_or(&self->resched, RESCHED_LIFECYCLE, __ATOMIC_ACQ_REL);
	return more;
}
