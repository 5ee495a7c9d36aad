/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The scheduler's decisions, through the real scheduling loop (sched.c) on a fake CPU: a VM of
 * three vCPUs on CPU 0, each entry into a guest or WFI ending the loop at the test's escape.
 * Round-robin among the runnable vCPUs; a blocked vCPU woken by a pending interrupt or by a
 * timer that is due and deliverable, never by one the vGIC would only hold pending; and what
 * the EL2 timer is armed for: the end of the slice when others wait, a sleeper's timer, or
 * nothing. The vGIC is programmed as the guest would, through its distributor and
 * redistributors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <kestrel/deadline.h>
#include <kestrel/gic_regs.h>
#include <kestrel/guest_layout.h>
#include <kestrel/hyp.h>
#include <kestrel/sched.h>
#include <kestrel/vgic_hooks.h>
#include <kestrel/vm.h>

#include <arch/fake_arch.h>
#include <arch/fake_drivers.h>

#define HZ	   1000000ull	   /* hyp.cntfrq: 1000 ticks a millisecond */
#define SLICE	   (5 * HZ / 1000) /* sched.c's slice: 5 ms */
#define NOW	   1000ull
#define SGI	   3
#define TIMER_CVAL 20000ull /* a sleeper's virtual timer, past the first slice's end */
#define GICD_GRP1  2	    /* GICD_CTLR.EnableGrp1 */
#define NO_VCPU	   NULL

static struct vm *const vm = &vms[0];

static struct vcpu *vcpu(unsigned i)
{
	return &vm->vcpus[i];
}

static int scene(void **state)
{
	(void)state;
	memset(vms, 0, sizeof(vms));
	memset(pcpus, 0, sizeof(pcpus));
	fake_arch_reset();
	fake_drivers_reset();
	fake_arch.pcpus = pcpus;
	fake_arch.counter = NOW;
	fake_arch.wfi_escapes = true;
	hyp.cntfrq = HZ;
	sched_init(); /* as kmain does once the counter's frequency is known */
	platform.ppi_virt_timer = GUEST_PPI_VTIMER;
	platform.ppi_phys_timer = GUEST_PPI_PTIMER;
	pcpu_count = 1;
	pcpus[0].online = true;
	vm->vcpu_count = 3;
	vm->state = VM_RUNNING;
	for (unsigned i = 0; i < vm->vcpu_count; i++) {
		vcpu(i)->vm = vm;
		vcpu(i)->id = i;
		vcpu(i)->vmpidr = GUEST_MPIDR(i);
		vcpu(i)->power = VCPU_ON;
		assert_int_equal(sched_add(&pcpus[0], vcpu(i)), E_OK);
	}
	vgic_init(vm, 4, &vm_vgic_hooks);
	return 0;
}

/* One pass of CPU 0's scheduling loop: the vCPU it entered, or NULL if it went to sleep. */
static struct vcpu *schedule(void)
{
	jmp_buf escape;

	fake_arch.escape = &escape;
	switch (setjmp(escape)) {
	case 0:
		sched_pcpu_idle();
		fail_msg("the scheduling loop returned");
		return NULL;
	case FAKE_JUMP_GUEST:
		assert_ptr_equal(pcpus[0].current, fake_arch.entered);
		assert_ptr_equal(pcpus[0].loaded, fake_arch.entered);
		return fake_arch.entered;
	case FAKE_JUMP_WFI:
		assert_null(pcpus[0].current);
		return NULL;
	default:
		fail_msg("halted");
		return NULL;
	}
}

/* The deadline the EL2 timer is armed at, NO_DEADLINE if it is not. */
static uint64_t armed(void)
{
	return fake_arch.cpu[0].el2_timer_on ? fake_arch.cpu[0].el2_timer_deadline : NO_DEADLINE;
}

static void gicd_write(uint64_t off, uint64_t val)
{
	assert_true(vm->vgic.dist_dev.ops->write(&vm->vgic.dist_dev, vcpu(0), off, 4, val));
}

static void gicr_write(unsigned idx, uint64_t off, uint64_t val)
{
	uint64_t frame = idx * GUEST_GICR_STRIDE + off;

	assert_true(vm->vgic.redist_dev.ops->write(&vm->vgic.redist_dev, vcpu(idx), frame, 4, val));
}

/* The guest's set-up of vCPU idx's private interrupts in bits: Group 1, enabled, Group 1 on
   in the distributor and at the vCPU's CPU interface (ICC_IGRPEN1_EL1). */
static void enable_private(unsigned idx, uint32_t bits)
{
	gicd_write(GICD_CTLR, GICD_GRP1);
	gicr_write(idx, GICR_SGI + GICD_IGROUPR, 0xffffffff);
	gicr_write(idx, GICR_SGI + GICD_ISENABLER, bits);
	vcpu(idx)->vgic.cpuif.vmcr |= VGIC_VMCR_VENG1;
}

/* vCPU idx waits in WFI with its virtual timer armed for TIMER_CVAL (the VM's count). */
static void sleep_on_timer(unsigned idx)
{
	vcpu(idx)->blocked = true;
	vcpu(idx)->sys.cntv_cval = TIMER_CVAL;
	vcpu(idx)->sys.cntv_ctl = TIMER_CTL_ENABLE;
}

static void runnable_vcpus_take_turns_each_with_a_slice(void **state)
{
	static const unsigned order[] = {1, 2, 0, 1, 2};

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(order); i++) {
		fake_arch.counter = NOW + i * SLICE;
		assert_ptr_equal(schedule(), vcpu(order[i]));
		/* Two others want the CPU: it looks again when this turn's slice ends. */
		assert_int_equal(armed(), NOW + i * SLICE + SLICE);
	}
	/* The vCPU leaving the CPU was put each time (its timers stop being live). */
	assert_int_equal(fake_arch.cpu[0].loads, ARRAY_SIZE(order));
	assert_int_equal(fake_arch.cpu[0].puts, ARRAY_SIZE(order) - 1);
}

static void a_vcpu_alone_runs_without_a_slice_timer(void **state)
{
	(void)state;
	vcpu(1)->blocked = true;
	vcpu(2)->power = VCPU_OFF;
	assert_ptr_equal(schedule(), vcpu(0));
	assert_int_equal(armed(), NO_DEADLINE);
	assert_ptr_equal(schedule(), vcpu(0));
	assert_int_equal(fake_arch.cpu[0].loads, 1); /* the same vCPU stays loaded */
	assert_int_equal(fake_arch.cpu[0].puts, 0);
}

static void a_blocked_vcpu_waits_until_an_interrupt_is_pending_for_it(void **state)
{
	(void)state;
	vcpu(1)->blocked = true;
	vcpu(2)->power = VCPU_OFF;
	enable_private(1, BIT(SGI));
	assert_ptr_equal(schedule(), vcpu(0));
	assert_ptr_equal(schedule(), vcpu(0));
	/* vCPU 0 sends SGI 3 to vCPU 1 (target list: Aff0 1). */
	vgic_send_sgi(vcpu(0), ((uint64_t)SGI << 24) | BIT(1), false);
	assert_ptr_equal(schedule(), vcpu(1));
	assert_false(vcpu(1)->blocked);
	/* Its interrupt went into a list register on the way in. */
	assert_int_equal(fake_arch.cpu[0].ich_lr[0] & 0x3ff, SGI);
}

static void a_sleeper_wakes_when_its_deliverable_timer_is_due(void **state)
{
	(void)state;
	vcpu(2)->power = VCPU_OFF;
	sleep_on_timer(1);
	enable_private(1, BIT(GUEST_PPI_VTIMER));
	assert_ptr_equal(schedule(), vcpu(0));
	/* vCPU 0 alone: its slice is not cut, the CPU looks again for the sleeper's timer. */
	assert_int_equal(armed(), TIMER_CVAL);
	fake_arch.counter = TIMER_CVAL - 1;
	assert_ptr_equal(schedule(), vcpu(0));
	fake_arch.counter = TIMER_CVAL;
	assert_ptr_equal(schedule(), vcpu(1));
	assert_false(vcpu(1)->blocked);
}

static void a_sleeper_due_sooner_waits_for_the_running_slice_to_end(void **state)
{
	(void)state;
	vcpu(2)->power = VCPU_OFF;
	sleep_on_timer(1);
	vcpu(1)->sys.cntv_cval = NOW + SLICE / 2;
	enable_private(1, BIT(GUEST_PPI_VTIMER));
	assert_ptr_equal(schedule(), vcpu(0));
	assert_int_equal(armed(), NOW + SLICE);
}

static void an_undeliverable_timer_never_wakes_its_vcpu(void **state)
{
	unsigned masked;

	for (masked = 0; masked < 3; masked++) {
		scene(state);
		vcpu(2)->power = VCPU_OFF;
		sleep_on_timer(1);
		enable_private(1, BIT(GUEST_PPI_VTIMER));
		if (masked == 0) /* the PPI disabled at the redistributor */
			gicr_write(1, GICR_SGI + GICD_ICENABLER, BIT(GUEST_PPI_VTIMER));
		else if (masked == 1) /* Group 1 off at the vCPU's CPU interface */
			vcpu(1)->vgic.cpuif.vmcr = 0;
		else /* the timer masked itself */
			vcpu(1)->sys.cntv_ctl |= TIMER_CTL_IMASK;
		fake_arch.counter = TIMER_CVAL + 10 * SLICE;
		assert_ptr_equal(schedule(), vcpu(0));
		assert_ptr_equal(schedule(), vcpu(0));
		assert_true(vcpu(1)->blocked);
		/* and nothing is armed for it */
		assert_int_equal(armed(), NO_DEADLINE);
	}
}

static void an_idle_cpu_sleeps_until_its_sleepers_timer(void **state)
{
	(void)state;
	vcpu(0)->blocked = true;
	vcpu(2)->power = VCPU_OFF;
	sleep_on_timer(1);
	enable_private(1, BIT(GUEST_PPI_VTIMER));
	assert_null(schedule());
	assert_int_equal(armed(), TIMER_CVAL);
	assert_int_equal(fake_arch.cpu[0].wfis, 1);
	fake_arch.counter = TIMER_CVAL;
	assert_ptr_equal(schedule(), vcpu(1));
}

static void a_stopping_vm_has_nothing_to_run(void **state)
{
	(void)state;
	assert_ptr_equal(schedule(), vcpu(1));
	vm->state = VM_STOPPING;
	assert_null(schedule());
	/* The CPU let go of the VM's vCPU it held. */
	assert_null(pcpus[0].loaded);
	assert_false(fake_arch.cpu[0].guest_regime);
}

/* A turn that ran past its slice (work no interrupt cuts short) is the vCPU's debt: its next
   slice is shorter by as much, never under a fifth of one, and a debt over four slices is
   forgiven. */
static void a_turn_over_its_slice_is_paid_back_from_the_next(void **state)
{
	(void)state;
	assert_ptr_equal(schedule(), vcpu(1));
	assert_int_equal(armed(), NOW + SLICE);
	fake_arch.counter = NOW + SLICE + 1200; /* its exit zeroed a block: 1200 ticks over */
	assert_ptr_equal(schedule(), vcpu(2));
	assert_int_equal(armed(), NOW + 2 * SLICE + 1200);
	fake_arch.counter = NOW + 2 * SLICE + 1200;
	assert_ptr_equal(schedule(), vcpu(0));
	fake_arch.counter = NOW + 3 * SLICE + 1200;
	assert_ptr_equal(schedule(), vcpu(1));
	assert_int_equal(armed(), NOW + 4 * SLICE + 1200 - 1200);
	assert_int_equal(vcpu(1)->sched_debt, 0);
	/* Ten slices over: four are owed, paid a slice less a fifth at a time. */
	fake_arch.counter = NOW + 14 * SLICE;
	assert_ptr_equal(schedule(), vcpu(2));
	assert_int_equal(vcpu(1)->sched_debt, 4 * SLICE);
	fake_arch.counter = NOW + 15 * SLICE;
	assert_ptr_equal(schedule(), vcpu(0));
	fake_arch.counter = NOW + 16 * SLICE;
	assert_ptr_equal(schedule(), vcpu(1));
	assert_int_equal(armed(), NOW + 16 * SLICE + SLICE / 5);
	assert_int_equal(vcpu(1)->sched_debt, 4 * SLICE - (SLICE - SLICE / 5));
}

/* A VM with a lifecycle request that another CPU carries out runs no vCPU here, not even the
   one that asked: it is about to stop or restart. */
static void a_vm_with_a_request_runs_no_vcpu(void **state)
{
	(void)state;
	assert_ptr_equal(schedule(), vcpu(1));
	vm->requests = VM_REQ_RESET;
	vm->job.cpu = 1;
	assert_null(schedule());
	vm->requests = 0;
	vm->job.cpu = -1;
	assert_ptr_equal(schedule(), vcpu(2));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, scene, NULL)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(runnable_vcpus_take_turns_each_with_a_slice),
	    T(a_vcpu_alone_runs_without_a_slice_timer),
	    T(a_blocked_vcpu_waits_until_an_interrupt_is_pending_for_it),
	    T(a_sleeper_wakes_when_its_deliverable_timer_is_due),
	    T(a_sleeper_due_sooner_waits_for_the_running_slice_to_end),
	    T(an_undeliverable_timer_never_wakes_its_vcpu),
	    T(an_idle_cpu_sleeps_until_its_sleepers_timer),
	    T(a_stopping_vm_has_nothing_to_run),
	    T(a_turn_over_its_slice_is_paid_back_from_the_next),
	    T(a_vm_with_a_request_runs_no_vcpu),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
