/* SPDX-License-Identifier: Apache-2.0 */
/* Scheduling: each CPU's run queue, waking and kicking vCPUs, idling (sched.c). */
#ifndef KESTREL_SCHED_H
#define KESTREL_SCHED_H

#include <kestrel/vm.h>

/* Once hyp.cntfrq is known, before any CPU schedules. */
void sched_init(void);
NORETURN void sched_pcpu_idle(void);
/* Saves the vCPU loaded on this CPU and takes its state off the CPU (the next run loads). */
void sched_pcpu_unload(struct pcpu *pcpu);
void sched_pcpu_kick(struct pcpu *pcpu);
/* vcpu has something new to do: its CPU looks at it now (preempting another vCPU if need be). */
void sched_vcpu_kick(struct vcpu *vcpu);

MUST_CHECK int sched_add(struct pcpu *pcpu, struct vcpu *vcpu);
void sched_remove(struct vcpu *vcpu);
/* The running vCPU leaves its CPU (sched_pcpu_idle), unless all that asks is a woken vCPU and its
   slice has time left: then the slice's end is armed and it goes on. */
void sched_make_way(struct vcpu *vcpu);
/* The EL2 timer fired on this CPU: a slice ended or a sleeping vCPU's timer is due. */
void sched_timer_fired(void);
/* How long each CPU slept in WFI with nothing to run, as kestrel's console lines. */
void sched_report_idle(void);
/* Runs vcpu on this CPU from a fresh stack; never returns. */
NORETURN void sched_vcpu_run(struct vcpu *vcpu);

/* After an exit that needs attention: leaves the vCPU if its VM stops, it is off, or another
   vCPU wants its CPU (a lifecycle request kicks the VM's CPUs: RESCHED_NOW). */
static inline void sched_check_current(struct vcpu *vcpu)
{
	if (unlikely(vcpu->vm->state != VM_RUNNING || vcpu->power != VCPU_ON ||
		     vcpu->pcpu->resched))
		sched_make_way(vcpu);
}

#endif
