/* SPDX-License-Identifier: Apache-2.0 */
/*
 * When a CPU's scheduler must look again, as pure arithmetic on counter values (sched.c; the
 * host unit tests run the same code). Deadlines are physical-counter values; NO_DEADLINE is
 * "never". Nothing here may wrap: a deadline that wraps past 2^64 lands in the past and makes
 * the CPU look again at once, every time (issue: a guest's CNTV_CVAL near 2^64 did that).
 */
#ifndef KESTREL_DEADLINE_H
#define KESTREL_DEADLINE_H

#include <kestrel/types.h>

#define NO_DEADLINE (~0ull)

/* CNTx_CTL_EL0: ENABLE, IMASK. */
#define TIMER_CTL_ENABLE BIT(0)
#define TIMER_CTL_IMASK	 BIT(1)

/*
 * The physical-count deadline of one EL1 timer of a vCPU that is not loaded (ctl and cval as
 * saved, offset CNTVOFF for the virtual timer and 0 for the physical one), or NO_DEADLINE when
 * its firing could not wake the vCPU: the timer is off or masked, its interrupt could not be
 * delivered (deliverable false: disabled in the vGIC, group or group enable off, still active),
 * or cval + offset is beyond 2^64, which the virtual count (physical - offset) never reaches.
 */
static inline uint64_t timer_wake_deadline(uint64_t ctl, uint64_t cval, uint64_t offset,
					   bool deliverable)
{
	if (!deliverable || (ctl & (TIMER_CTL_ENABLE | TIMER_CTL_IMASK)) != TIMER_CTL_ENABLE)
		return NO_DEADLINE;
	if (cval > NO_DEADLINE - offset)
		return NO_DEADLINE;
	return cval + offset;
}

/*
 * When the CPU must look again after picking a vCPU at now (running: a vCPU was picked; false:
 * it idles). contenders: other runnable vCPUs wait; sleeper: the earliest wake deadline of a
 * blocked vCPU whose timers are not live. A running vCPU keeps its slice (slice ticks): a
 * sleeper due sooner waits for the slice's end, as a vCPU woken by an interrupt does, else a
 * guest re-arming its timer a few microseconds ahead would cut its neighbour's slices to
 * slivers. An idle CPU looks at the sleeper's deadline itself.
 */
static inline uint64_t sched_next_event(uint64_t now, uint64_t slice, bool running, bool contenders,
					uint64_t sleeper)
{
	uint64_t slice_end;

	if (!running || (!contenders && sleeper == NO_DEADLINE))
		return running ? NO_DEADLINE : sleeper;
	slice_end = slice > NO_DEADLINE - 1 - now ? NO_DEADLINE - 1 : now + slice;
	return contenders ? slice_end : MAX(sleeper, slice_end);
}

#endif
