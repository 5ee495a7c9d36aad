/* SPDX-License-Identifier: Apache-2.0 */
/* When a CPU's scheduler looks again: timer deadlines that cannot wake, never wrap, and never
   cut a running vCPU's slice (hyp/include/kestrel/deadline.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <kestrel/deadline.h>

#define ON     TIMER_CTL_ENABLE
#define MASKED (TIMER_CTL_ENABLE | TIMER_CTL_IMASK)

static void an_armed_deliverable_timer_is_due_at_cval_plus_offset(void **state)
{
	(void)state;
	assert_int_equal(timer_wake_deadline(ON, 1000, 500, true), 1500);
	assert_int_equal(timer_wake_deadline(ON, 0, 0, true), 0); /* due since the start */
	/* ISTATUS (bit 2, read-only) set in the saved value changes nothing */
	assert_int_equal(timer_wake_deadline(ON | 4, 1000, 0, true), 1000);
}

static void an_off_masked_or_undeliverable_timer_never_wakes(void **state)
{
	(void)state;
	assert_true(timer_wake_deadline(0, 0, 0, true) == NO_DEADLINE);
	assert_true(timer_wake_deadline(MASKED, 0, 0, true) == NO_DEADLINE);
	assert_true(timer_wake_deadline(TIMER_CTL_IMASK, 0, 0, true) == NO_DEADLINE);
	/* due long ago, but its PPI disabled in the vGIC: the attack of hostile-timers phase 1 */
	assert_true(timer_wake_deadline(ON, 0, 12345, false) == NO_DEADLINE);
}

static void a_deadline_past_2_to_the_64_never_comes(void **state)
{
	(void)state;
	/* CNTV_CVAL near 2^64: cval + cntvoff would wrap into the past */
	assert_true(timer_wake_deadline(ON, ~0ull - 10, 1000, true) == NO_DEADLINE);
	assert_true(timer_wake_deadline(ON, ~0ull, 1, true) == NO_DEADLINE);
	/* the last value that does not wrap is kept (and equals "never" only at 2^64 - 1) */
	assert_int_equal(timer_wake_deadline(ON, ~0ull - 1000, 999, true), ~0ull - 1);
	assert_true(timer_wake_deadline(ON, ~0ull, 0, true) == NO_DEADLINE);
}

static void an_idle_cpu_looks_at_the_sleepers_deadline(void **state)
{
	(void)state;
	assert_int_equal(sched_next_event(1000, 50, false, false, 900), 900);
	assert_int_equal(sched_next_event(1000, 50, false, true, 2000), 2000);
	assert_true(sched_next_event(1000, 50, false, false, NO_DEADLINE) == NO_DEADLINE);
}

static void a_running_vcpu_keeps_its_slice(void **state)
{
	(void)state;
	/* others runnable: the slice's end */
	assert_int_equal(sched_next_event(1000, 50, true, true, NO_DEADLINE), 1050);
	assert_int_equal(sched_next_event(1000, 50, true, true, 1010), 1050);
	/* a sleeper due in the past or within the slice waits for its end */
	assert_int_equal(sched_next_event(1000, 50, true, false, 0), 1050);
	assert_int_equal(sched_next_event(1000, 50, true, false, 1001), 1050);
	/* a later one is looked at when due */
	assert_int_equal(sched_next_event(1000, 50, true, false, 5000), 5000);
	/* alone: no event at all */
	assert_true(sched_next_event(1000, 50, true, false, NO_DEADLINE) == NO_DEADLINE);
}

static void the_slice_end_never_wraps(void **state)
{
	(void)state;
	assert_int_equal(sched_next_event(~0ull - 10, 50, true, true, NO_DEADLINE), ~0ull - 1);
	assert_int_equal(sched_next_event(~0ull - 10, 50, true, false, 3), ~0ull - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(an_armed_deliverable_timer_is_due_at_cval_plus_offset),
	    cmocka_unit_test(an_off_masked_or_undeliverable_timer_never_wakes),
	    cmocka_unit_test(a_deadline_past_2_to_the_64_never_comes),
	    cmocka_unit_test(an_idle_cpu_looks_at_the_sleepers_deadline),
	    cmocka_unit_test(a_running_vcpu_keeps_its_slice),
	    cmocka_unit_test(the_slice_end_never_wraps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
