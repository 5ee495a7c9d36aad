/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Scheduling. Each physical CPU has a run queue of the vCPUs whose affinity is that CPU and
 * round-robins the runnable ones, in time slices measured with the EL2 physical timer. A vCPU
 * in WFI with nothing pending is blocked: it becomes runnable again when the vGIC gives it an
 * interrupt (sched_vcpu_kick) or when one of its timers is due. Leaving a vCPU never unwinds: the
 * CPU restarts its scheduling loop on a fresh stack. A vCPU's EL1 state stays loaded until
 * another vCPU needs the CPU, so a vCPU that waits and resumes alone on its CPU pays nothing.
 */
#include <kestrel/arch.h>
#include <kestrel/deadline.h>
#include <kestrel/gicv3.h>
#include <kestrel/hyp.h>
#include <kestrel/irq.h>
#include <kestrel/lib.h>
#include <kestrel/sched.h>
#include <kestrel/sysreg_defs.h>
#include <kestrel/vcpu.h>
#include <kestrel/vm.h>
#include <kestrel/vm_lifecycle.h>

#define SLICE_MS	 5
#define TIMER_ARMED(ctl) (((ctl) & (TIMER_CTL_ENABLE | TIMER_CTL_IMASK)) == TIMER_CTL_ENABLE)

/* SLICE_MS in counter ticks, computed once (sched_init) rather than divided out at every
   pick of a vCPU. */
static uint64_t slice_ticks;
#define SLICE_TICKS slice_ticks
/* A turn that ran over its slice is paid back from the vCPU's next slices, down to a fifth
   of one each; a debt of more than four slices is forgiven (else one long stall would cost
   the vCPU its CPU for long after). */
#define DEBT_MAX  (4 * SLICE_TICKS)
#define SLICE_MIN (SLICE_TICKS / 5)

void sched_init(void)
{
	slice_ticks = hyp.cntfrq / 1000 * SLICE_MS;
}

int sched_add(struct pcpu *pcpu, struct vcpu *vcpu)
{
	if (pcpu->nrunq == RUNQ_MAX)
		return -E_NOMEM;
	pcpu->runq[pcpu->nrunq++] = vcpu;
	vcpu->pcpu = pcpu;
	return E_OK;
}

/* A vCPU of a VM refused before it ever ran leaves its CPU's run queue. The VM is not
   running, so the CPU's scheduler, which may be looking at the queue, never picks it. */
void sched_remove(struct vcpu *vcpu)
{
	struct pcpu *pcpu = vcpu->pcpu;

	if (!pcpu)
		return;
	for (unsigned i = 0; i < pcpu->nrunq; i++) {
		if (pcpu->runq[i] != vcpu)
			continue;
		for (unsigned j = i; j + 1 < pcpu->nrunq; j++)
			pcpu->runq[j] = pcpu->runq[j + 1];
		pcpu->nrunq--;
		break;
	}
	if (pcpu->rr >= pcpu->nrunq)
		pcpu->rr = 0;
	vcpu->pcpu = NULL;
}

/* Physical-count deadline of a descheduled vCPU's earliest timer that would wake it: one it
   can take (its PPI deliverable), never one whose firing the vGIC would only hold pending.
   The timers' own controls first: they are what most often says "never". */
static uint64_t timer_deadline(const struct vcpu *vcpu)
{
	const struct el1_sysregs *s = &vcpu->sys;
	uint64_t d = NO_DEADLINE;

	if (TIMER_ARMED(s->cntv_ctl) &&
	    vgic_timer_can_wake(&vcpu->vgic, &vcpu->vm->vgic, platform.ppi_virt_timer))
		d = timer_wake_deadline(s->cntv_ctl, s->cntv_cval, vcpu->vm->cntvoff, true);
	if (TIMER_ARMED(s->cntp_ctl) &&
	    vgic_timer_can_wake(&vcpu->vgic, &vcpu->vm->vgic, platform.ppi_phys_timer))
		d = MIN(d, timer_wake_deadline(s->cntp_ctl, s->cntp_cval, 0, true));
	return d;
}

static bool wake_ready(struct pcpu *pcpu, struct vcpu *vcpu)
{
	/* A loaded vCPU's timers are live: their physical interrupts reach the vGIC. */
	if (pcpu->loaded != vcpu && timer_deadline(vcpu) <= arch_counter())
		return true;
	return vgic_vcpu_pending(vcpu);
}

/*
 * Whether vcpu can run now; if so, it is published as pcpu's current before the VM's lock is
 * let go. A lifecycle job quiesces a VM under that lock, turning every vCPU OFF in the same
 * critical section (vm_lifecycle.c): so either the job sees this CPU holding the vCPU and
 * waits, or this CPU sees it OFF and does not pick it. No vCPU runs after its VM's job has
 * looked.
 */
static bool runnable(struct pcpu *pcpu, struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	bool run;
	int power;

	if (vm->state != VM_RUNNING)
		return false;
	/* A vCPU turned on again is reset, unblocked (vcpu_reset): blocked means in WFI. */
	if (vcpu->blocked && !wake_ready(pcpu, vcpu))
		return false;
	spin_lock(&vm->lock);
	power = vcpu->power; /* volatile for lock-free readers; held still by this lock */
	if (power == VCPU_ON_PENDING)
		vcpu->power = power = VCPU_ON;
	/* A VM with a request not taken yet is about to stop or restart: none of its vCPUs
	   runs again (not the one that asked for a reset) before its job takes it. */
	run = power == VCPU_ON && !vm->requests;
	if (run) {
		vcpu->blocked = false;
		pcpu->current = vcpu;
	}
	spin_unlock(&vm->lock);
	return run;
}

/* The next turn after the last one: a runnable vCPU, or (with jobs, *job set) a vCPU whose
   VM has a lifecycle job here, which takes the vCPU's turn: scrubbing and reloading a VM is
   its own time on the CPU, not its neighbours'. NULL: nothing to run. */
static struct vcpu *pick_next(struct pcpu *pcpu, bool jobs, bool *job)
{
	for (unsigned i = 1; i <= pcpu->nrunq; i++) {
		unsigned idx = (pcpu->rr + i) % pcpu->nrunq;
		struct vcpu *vcpu = pcpu->runq[idx];
		if (unlikely(jobs) && vm_lifecycle_has_job(vcpu->vm, pcpu)) {
			pcpu->rr = idx;
			*job = true;
			return vcpu;
		}
		if (runnable(pcpu, vcpu)) {
			pcpu->rr = idx;
			return vcpu;
		}
	}
	return NULL;
}

/* When this CPU must look again (sched_next_event): the end of next's slice if others want
   the CPU (a lifecycle job too, which wants it back after a slice), and the earliest timer of
   a blocked vCPU whose timers are not live, no sooner than the slice's end. next's slice
   starts now. */
/* The slice of vcpu's turn: less what it owes, if others want the CPU. */
static uint64_t turn_slice(struct vcpu *vcpu, bool contenders)
{
	uint64_t cut;

	if (likely(!vcpu->sched_debt) || !contenders)
		return SLICE_TICKS;
	cut = MIN(vcpu->sched_debt, SLICE_TICKS - SLICE_MIN);
	vcpu->sched_debt -= cut;
	return SLICE_TICKS - cut;
}

static void arm_next_event(struct pcpu *pcpu, struct vcpu *next, bool lifecycle_work)
{
	uint64_t now = arch_counter(), sleeper = NO_DEADLINE, deadline;
	bool contenders = lifecycle_work;

	for (unsigned i = 0; i < pcpu->nrunq; i++) {
		struct vcpu *v = pcpu->runq[i];
		if (v == next || v->vm->state != VM_RUNNING || v->power == VCPU_OFF)
			continue;
		if (!v->blocked)
			contenders = true;
		else if (pcpu->loaded != v)
			sleeper = MIN(sleeper, timer_deadline(v));
	}
	pcpu->run_start = now;
	pcpu->slice = next ? turn_slice(next, contenders) : SLICE_TICKS;
	pcpu->sliced = next && contenders;
	deadline = sched_next_event(now, pcpu->slice, next, contenders, sleeper);
	if (deadline == NO_DEADLINE)
		arch_el2_timer_cancel();
	else
		arch_el2_timer_arm(deadline);
}

/* A vCPU of a VM that is stopping must not keep its state in this CPU's registers. */
void sched_pcpu_unload(struct pcpu *pcpu)
{
	if (!pcpu->loaded)
		return;
	vcpu_put(pcpu->loaded);
	arch_no_guest();
}

static void drop_stopped(struct pcpu *pcpu)
{
	if (pcpu->loaded && pcpu->loaded->vm->state != VM_RUNNING)
		sched_pcpu_unload(pcpu);
	if (pcpu->fp_owner && pcpu->fp_owner->vm->state != VM_RUNNING)
		pcpu->fp_owner = NULL;
}

/* Nothing to run: the CPU sleeps in WFI until an interrupt (a kick, a timer). Only the wake
   time is stamped after the WFI: the wait is added up at the next one, off the wake-up path. */
static void idle_wait(struct pcpu *pcpu)
{
	uint64_t start = arch_counter();

	if (pcpu->idle_slept) { /* a wait before this one */
		pcpu->idle_ticks += pcpu->idle_woke - pcpu->idle_slept;
		pcpu->idle_waits++;
	}
	pcpu->idle_slept = start;
	wfi();
	pcpu->idle_woke = arch_counter();
}

void sched_report_idle(void)
{
	uint64_t now = arch_counter(), per_ms = hyp.cntfrq / 1000;

	for (unsigned i = 0; i < pcpu_count; i++) {
		const struct pcpu *pcpu = &pcpus[i];
		uint64_t total = pcpu->sched_start ? now - pcpu->sched_start : 0;
		uint64_t idle = pcpu->idle_ticks, waits = pcpu->idle_waits;
		if (!pcpu->online || !total)
			continue;
		/* the last wait: over (woke after it slept) or still going on */
		if (pcpu->idle_slept) {
			uint64_t slept = pcpu->idle_slept, woke = pcpu->idle_woke;
			idle += (woke >= slept ? woke : now) - slept;
			waits++;
		}
		kprintf("CPU %u: idle %llu of %llu ms (%llu %%) in %llu waits", i,
			(unsigned long long)(idle / per_ms), (unsigned long long)(total / per_ms),
			(unsigned long long)(idle * 100 / total), (unsigned long long)waits);
	}
}

/* The last turn's time, from its pick to this loop, is its VM's: a vCPU's run, or the
   lifecycle work done for the VM in its place. Time over an armed slice is the vCPU's debt. */
static void charge_turn(struct pcpu *pcpu)
{
	struct vcpu *ran = pcpu->ran;
	uint64_t spent;

	if (!ran)
		return;
	pcpu->ran = NULL;
	spent = arch_counter() - pcpu->run_start;
	if (unlikely(pcpu->ran_job))
		ran->vm->job_ticks += spent;
	else
		__atomic_fetch_add(&ran->vm->cpu_ticks, spent, __ATOMIC_RELAXED);
	if (pcpu->sliced && spent > pcpu->slice)
		ran->sched_debt = MIN(ran->sched_debt + (spent - pcpu->slice), DEBT_MAX);
}

static NORETURN void sched_loop(void *arg)
{
	struct pcpu *pcpu = arg;

	if (!pcpu->sched_start)
		pcpu->sched_start = arch_counter();
	for (;;) {
		struct vcpu *next;
		unsigned asked = 0;
		bool work, job = false;
		charge_turn(pcpu);
		drop_stopped(pcpu);
		/* An exchange: the vGIC state of a vCPU woken before it is seen by pick_next. Read
		   as 0, nothing asked: whoever asks later sees 0 too, and kicks this CPU. */
		if (pcpu->resched)
			asked = __atomic_exchange_n(&pcpu->resched, 0, __ATOMIC_ACQ_REL);
		/* VM stops and restarts, here on a fresh stack, never in an exit: a slice of
		   pieces in each turn of the VM's vCPUs here, which the job takes (pick_next). */
		work = unlikely(asked & RESCHED_LIFECYCLE) &&
		       vm_lifecycle_work(pcpu, NULL, arch_counter() + SLICE_TICKS);
		next = pick_next(pcpu, work, &job);
		pcpu->ran = next;
		pcpu->ran_job = job;
		if (unlikely(job)) {
			pcpu->run_start = arch_counter();
			pcpu->slice = turn_slice(next, true);
			pcpu->sliced = true;
			vm_lifecycle_work(pcpu, next->vm, pcpu->run_start + pcpu->slice);
			irq_drain();
			continue;
		}
		/* The vCPU that leaves the CPU is put first: its timers stop being live then, so
		   the next event must include their deadline (else a vCPU sleeping on its own
		   timer beside one that never blocks would never wake). */
		if (next && pcpu->loaded && pcpu->loaded != next)
			vcpu_put(pcpu->loaded);
		arm_next_event(pcpu, next, work);
		if (next)
			sched_vcpu_run(next);
		if (!work)
			idle_wait(pcpu);
		irq_drain();
	}
}

void sched_pcpu_idle(void)
{
	struct pcpu *pcpu = this_pcpu();

	pcpu->current = NULL;
	dsb(ish);
	call_on_fresh_stack(pcpu, pcpu->stack_top, sched_loop);
}

void sched_vcpu_run(struct vcpu *vcpu)
{
	struct pcpu *pcpu = this_pcpu();

	if (pcpu->loaded != vcpu)
		vcpu_load(vcpu); /* sched_loop has put the one that was loaded */
	vgic_flush_lrs(vcpu);	 /* it is current already (runnable published it) */
	vcpu_enter_fresh(vcpu, pcpu->stack_top);
}

/* The running vCPU's slice ends at the latest then, unless something sooner is armed (the
   slice's end already, a sleeper's deadline). Returns false if it is over already. */
static bool arm_slice_end(struct pcpu *pcpu)
{
	uint64_t slice_end = pcpu->run_start + pcpu->slice;

	pcpu->sliced = true;
	if (arch_counter() >= slice_end)
		return false;
	if (arch_el2_timer_deadline() > slice_end)
		arch_el2_timer_arm(slice_end);
	return true;
}

void sched_pcpu_kick(struct pcpu *pcpu)
{
	dsb(ish);
	if (pcpu && pcpu != this_pcpu())
		gicv3_send_sgi(pcpu->mpidr, SGI_KICK);
}

void sched_vcpu_kick(struct vcpu *vcpu)
{
	struct pcpu *pcpu = vcpu->pcpu;

	if (!pcpu)
		return;
	/* Another vCPU holds that CPU: let the scheduler look now (and arm a slice), rather
	   than when the running vCPU happens to stop. */
	struct vcpu *current = READ_ONCE(pcpu->current);
	if (current != vcpu) {
		unsigned why = current ? RESCHED_WAKE : RESCHED_NOW;
		unsigned was = __atomic_fetch_or(&pcpu->resched, why, __ATOMIC_ACQ_REL);
		/* On this CPU, inside the exit of the running vCPU: the woken one gets the CPU
		   when the running one's slice ends (if over already, the timer fires at once). */
		if (current && pcpu == this_pcpu()) {
			if (!arm_slice_end(pcpu))
				arch_el2_timer_arm(arch_counter());
			return;
		}
		/* Asked already and not looked yet: the kick sent then makes it look at this one
		   too. A storm of wake-ups is then one interrupt per slice, not one per wake-up. */
		if (was & why)
			return;
	}
	sched_pcpu_kick(pcpu);
}

void sched_make_way(struct vcpu *vcpu)
{
	struct pcpu *pcpu = vcpu->pcpu;

	/* Woken vCPUs wait for the running one's slice to end: else a guest waking its own
	   vCPU on another VM's CPU, again and again, would take that CPU (test hostile-kick). So
	   does this CPU's lifecycle job between its pieces (RESCHED_LIFECYCLE without NOW). */
	if (!(pcpu->resched & RESCHED_NOW) && vcpu->vm->state == VM_RUNNING &&
	    vcpu->power == VCPU_ON && arm_slice_end(pcpu))
		return;
	sched_pcpu_idle();
}

void sched_timer_fired(void)
{
	arch_el2_timer_cancel();
	__atomic_fetch_or(&this_pcpu()->resched, RESCHED_NOW, __ATOMIC_RELAXED);
}
