/* SPDX-License-Identifier: Apache-2.0 */
/*
 * VM lifecycle requests, through the fake arch: an exception injected into a guest that faults
 * in its own vectors again and again asks for a crash and leaves its vCPU, and nothing more
 * happens in that exit; the scheduler loop (vm_lifecycle_work, as sched.c's loop calls it)
 * then restarts the VM in bounded pieces. Also: a slow CPU is waited for in counter ticks,
 * never a panic; nobody clears another CPU's FP owner; a console stop during a restart
 * stops it. The VM's building blocks (vm.c, vm_build.c, vm_images.c, the vGIC, the page
 * tables) are stand-ins that record what the job asked of them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <kestrel/hyp.h>
#include <kestrel/lib.h>
#include <kestrel/vcpu.h>
#include <kestrel/vm.h>
#include <kestrel/vm_build.h>
#include <kestrel/vm_images.h>
#include <kestrel/vm_lifecycle.h>
#include <kestrel/vm_ram.h>

#include <arch/fake_arch.h>
#include <arch/fake_drivers.h>

#define VBAR		   0x40001000ull
#define RAM_IPA		   0x40000000ull
#define RAM_SIZE	   (16ull << 20) /* 8 blocks of 2 MiB */
#define BLOCK_SIZE	   (2ull << 20)
#define FSC_TRANSLATION_L2 0x06ull    /* ESR_EL2 of a stage-2 translation fault, level 2 */
#define SLICE		   10	      /* counter ticks a scheduler pass may work for */
#define HZ		   1000000ull /* hyp.cntfrq: 1000 ticks a millisecond */

struct vm vms[VM_MAX];

static struct vm *const vm = &vms[0];
static uint8_t ram[RAM_SIZE];

/* What the stand-ins saw. */
static struct {
	unsigned unmaps, flushes, image_steps, starts, builds, releases;
	bool release_scrubbed;
} seen;

/* --- stand-ins for the rest of kestrel --- */

/* kestrel's console said text (through the fake UART). */
static bool said(const char *text)
{
	return strstr(fake_drivers.uart_out, text) != NULL;
}

static unsigned times_said(const char *text)
{
	unsigned n = 0;

	for (const char *p = fake_drivers.uart_out; (p = strstr(p, text)); p++)
		n++;
	return n;
}

int pgtable_map(struct pgtable *pt, uint64_t ia, paddr_t pa, uint64_t size, unsigned perms)
{
	(void)pt, (void)ia, (void)pa, (void)size, (void)perms;
	return E_OK;
}

int pgtable_unmap(struct pgtable *pt, uint64_t ia, uint64_t size)
{
	(void)pt, (void)ia, (void)size;
	seen.unmaps++;
	return E_OK;
}

int pgtable_prealloc(struct pgtable *pt, uint64_t ia, uint64_t size, uint64_t block)
{
	(void)pt, (void)ia, (void)size, (void)block;
	return E_OK;
}

void vm_s2_flush(struct vm *v)
{
	(void)v;
	seen.flushes++;
}

int vm_images_begin(struct vm *v)
{
	(void)v;
	return E_OK;
}

/* Four pieces, each a counter read, as vm_images.c copies 2 MiB at a time until the deadline. */
int vm_images_step(struct vm *v, uint64_t *cursor, uint64_t until)
{
	(void)v;
	do {
		seen.image_steps++;
		if (++*cursor == 4)
			return 0;
	} while (arch_counter() < until);
	return 1;
}

bool vm_start(struct vm *v)
{
	if (v->requests & VM_REQ_STOP)
		return false;
	vcpu_reset(&v->vcpus[0], RAM_IPA, 0);
	v->vcpus[0].power = VCPU_ON_PENDING;
	v->requests = 0;
	v->state = VM_RUNNING;
	seen.starts++;
	return true;
}

int vm_build_unloaded(struct vm *v)
{
	(void)v;
	seen.builds++;
	return E_OK;
}

void vm_release(struct vm *v, bool scrubbed)
{
	(void)v;
	seen.releases++;
	seen.release_scrubbed = scrubbed;
}

void vm_print_stats(const struct vm *v, const char *what)
{
	kprintf("%s %s", v->name, what);
}

uint64_t invariants_check_vm(const struct vm *v, const char *when)
{
	(void)v, (void)when;
	return 0;
}

/* No virtio device here: stopping them is nothing. */
void vm_virtio_stop(struct vm *v)
{
	(void)v;
}

void sched_report_idle(void)
{
}

/* sched.c's: a CPU lets go of the vCPU whose state it holds. */
void sched_pcpu_unload(struct pcpu *pcpu)
{
	if (!pcpu->loaded)
		return;
	vcpu_put(pcpu->loaded);
	arch_no_guest();
}

/* The PSCI firmware's SYSTEM_OFF does not return: here it ends the scheduler's pass. */
static jmp_buf machine_off;

static NORETURN void power_off(void)
{
	longjmp(machine_off, 1);
}

/* --- the scene: VM 0 with two vCPUs, vCPU 0 on CPU 0 and vCPU 1 on CPU 1 --- */

static int scene(void **state)
{
	(void)state;
	memset(&seen, 0, sizeof(seen));
	memset(vms, 0, sizeof(vms));
	memset(pcpus, 0, sizeof(pcpus));
	fake_arch_reset();
	fake_drivers_reset();
	fake_drivers.system_off = power_off;
	fake_arch.pcpus = pcpus;
	fake_arch.counter_step = 1; /* every counter read is a tick of work */
	hyp.cntfrq = HZ;
	pcpu_count = 2;
	for (unsigned i = 0; i < pcpu_count; i++) {
		pcpus[i].id = i;
		pcpus[i].mpidr = i;
		pcpus[i].online = true;
	}
	strcpy(vm->name, "vm0");
	vm->job.cpu = -1;
	vm->vcpu_count = 2;
	vm->ram_ipa = ipa_init(RAM_IPA);
	vm->ram_pa = pa_init((uintptr_t)ram); /* the fake arch's memory is the host's */
	vm->ram_size = RAM_SIZE;
	vm->ram_lazy = true;
	vm->ram_ready[0] = 0xff; /* the guest touched all 8 blocks */
	vm->ram_dirty[0] = 0xff;
	vm->ram_blocks_ready = 8;
	vm->state = VM_RUNNING;
	vm->config.on_crash = POLICY_RESTART;
	vm->config.on_reset = POLICY_RESTART;
	for (unsigned i = 0; i < 2; i++) {
		struct vcpu *v = &vm->vcpus[i];
		v->vm = vm;
		v->id = i;
		v->pcpu = &pcpus[i];
		v->power = VCPU_ON;
		pcpus[i].runq[pcpus[i].nrunq++] = v;
	}
	/* vCPU 0 runs on CPU 0 (its EL1 state loaded, VBAR_EL1 set); vCPU 1 is blocked. */
	vm->vcpus[0].sys.vbar = VBAR;
	fake_arch.this_cpu = 0;
	vcpu_load(&vm->vcpus[0]);
	pcpus[0].current = &vm->vcpus[0];
	vm->vcpus[1].blocked = true;
	memset(ram, 0xa5, sizeof(ram));
	return 0;
}

/* What sched.c's loop does on CPU cpu: takes RESCHED_LIFECYCLE and works for a slice.
   Returns whether it asked for more (not once the machine is off). */
static bool scheduler_pass(unsigned cpu)
{
	unsigned asked = __atomic_exchange_n(&pcpus[cpu].resched, 0, __ATOMIC_ACQ_REL);

	fake_arch.this_cpu = cpu;
	if (!(asked & RESCHED_LIFECYCLE))
		return false;
	if (setjmp(machine_off))
		return false;
	/* The job takes the turn of the VM's vCPU on this CPU, as pick_next gives it. */
	return vm_lifecycle_work(&pcpus[cpu], vm_lifecycle_has_job(vm, &pcpus[cpu]) ? vm : NULL,
				 arch_counter() + SLICE);
}

/* A data abort in the guest's own vectors, CRASH_LOOP (10) times: the handler's injection. */
static exit_result fault_in_vectors_again_and_again(void)
{
	struct vcpu *v = &vm->vcpus[0];
	exit_result r = EXIT_RESUME;

	for (unsigned i = 0; i < 10; i++) {
		v->regs.pc = VBAR + 0x200; /* its current-EL synchronous vector */
		r = vcpu_inject_abort(v, false, 0x1234, false);
		if (i < 9)
			assert_int_equal(r, EXIT_RESUME);
	}
	return r;
}

static void a_crash_in_an_exit_is_a_request_the_scheduler_carries_out(void **state)
{
	unsigned passes = 0;

	(void)state;
	/* Interrupt state the restart must not carry over. */
	vm->vgic.spis[0].pending = true;
	vm->vcpus[1].vgic.want[0] = BIT(27);
	/* The exit: the tenth injection answers EXIT_LEAVE and only asks. */
	assert_int_equal(fault_in_vectors_again_and_again(), EXIT_LEAVE);
	assert_true(vm->requests & VM_REQ_CRASH);
	assert_int_equal(vm->job.cpu, 0); /* the asking CPU's job: it looks before it picks */
	assert_int_equal(vm->state, VM_RUNNING);
	assert_int_equal(fake_arch.zeroings + seen.image_steps + seen.starts, 0);
	assert_int_equal(fake_arch.exceptions, 9);
	/* Both CPUs of the VM were kicked, and told to look at the requests. */
	assert_int_equal(fake_drivers.nsgis, 2);
	assert_true(pcpus[0].resched & RESCHED_LIFECYCLE);
	assert_true(pcpus[1].resched & RESCHED_LIFECYCLE);

	/* The dispatcher leaves the vCPU (sched_pcpu_idle): CPU 0's scheduler loop runs. */
	pcpus[0].current = NULL;
	while (scheduler_pass(0))
		assert_true(++passes < 50);
	/* CPU 1 looks too, but the job is CPU 0's. */
	assert_false(scheduler_pass(1));

	assert_true(said("vm0 crashed (an exception it cannot handle, in a loop): restarting per "
			 "its on-crash policy"));
	assert_true(said("vm0: crashed, restarting from its original images"));
	/* RAM zeroed on first touch: nothing scrubbed for the restart, every block out of stage
	   2 and still the VM's to scrub at its stop; the images in 4 pieces (how many passes each
	   takes: a_pass_works_no_longer_than_its_slice). */
	assert_int_equal(fake_arch.zeroings, 0);
	assert_int_equal(vm->ram_ready[0], 0);
	assert_int_equal(vm->ram_blocks_ready, 0);
	assert_int_equal(vm->ram_dirty[0], 0xff);
	assert_int_equal(seen.unmaps, 1);
	assert_int_equal(seen.flushes, 1);
	assert_int_equal(seen.image_steps, 4);
	assert_false(vm->vgic.spis[0].pending); /* the vGIC is as at power-on */
	assert_int_equal(vm->vcpus[1].vgic.want[0], 0);
	assert_int_equal(seen.starts, 1);
	assert_int_equal(seen.releases, 0);
	/* Running again from its boot vCPU; vCPU 0's old state left CPU 0 (put, no guest). */
	assert_int_equal(vm->state, VM_RUNNING);
	assert_int_equal(vm->requests, 0);
	assert_int_equal(vm->vcpus[0].power, VCPU_ON_PENDING);
	assert_int_equal(vm->vcpus[1].power, VCPU_OFF);
	assert_null(pcpus[0].loaded);
	assert_false(fake_arch.cpu[0].guest_regime);
	assert_int_equal(vm->job.cpu, -1);

	/* The new boot's first touch of block 3 zeroes it before the guest sees it. */
	assert_true(vm_ram_fault(vm, RAM_IPA + 3 * BLOCK_SIZE + 0x1234, FSC_TRANSLATION_L2));
	assert_int_equal(fake_arch.zeroings, 1);
	for (size_t i = 3 * BLOCK_SIZE; i < 4 * BLOCK_SIZE; i++)
		if (ram[i])
			fail_msg("RAM byte %zu handed over not zeroed", i);
	/* Its stop, asked on CPU 1, where its vCPU 1 is queued: CPU 1 does the job, in that
	   vCPU's turns, and scrubs every block the last boot or this one wrote. */
	fake_arch.this_cpu = 1;
	vm_lifecycle_request(vm, VM_REQ_STOP, "stopped from the console");
	assert_int_equal(vm->job.cpu, 1);
	assert_false(vm_lifecycle_has_job(vm, &pcpus[0]));
	passes = 0;
	while (scheduler_pass(1))
		assert_true(++passes < 50);
	assert_int_equal(vm->state, VM_STOPPED);
	assert_int_equal(fake_arch.zeroings, 1 + 8);
	assert_int_equal(vm->ram_dirty[0], 0);
	for (size_t i = 0; i < sizeof(ram); i++)
		if (ram[i])
			fail_msg("RAM byte %zu not scrubbed", i);
}

static void a_pass_works_no_longer_than_its_slice(void **state)
{
	(void)state;
	vm->ram_ready[0] = 0;
	vm->ram_lazy = false; /* mapped whole: all 8 blocks are scrubbed */
	vm_lifecycle_request(vm, VM_REQ_RESET, "reset requested");
	pcpus[0].current = NULL;
	/* Quiesce, then one pass per slice of SLICE ticks: a block costs a counter read. */
	assert_true(scheduler_pass(0));
	while (fake_arch.zeroings < 8) {
		unsigned before = fake_arch.zeroings;
		uint64_t start = fake_arch.counter;
		assert_true(scheduler_pass(0));
		assert_true(fake_arch.counter - start <= SLICE + 2);
		assert_true(fake_arch.zeroings > before);
	}
	while (scheduler_pass(0))
		;
	assert_int_equal(seen.starts, 1);
	assert_true(said("vm0: reset requested, restarting from its original images"));
}

static void a_slow_cpu_is_waited_for_in_ticks_and_its_fp_owner_left_alone(void **state)
{
	(void)state;
	/* vCPU 1 runs on CPU 1 and owns its FP registers; CPU 1 is slow to notice the kick. */
	vm->vcpus[1].blocked = false;
	pcpus[1].current = &vm->vcpus[1];
	pcpus[1].loaded = &vm->vcpus[1];
	pcpus[1].fp_owner = &vm->vcpus[1];
	vm_lifecycle_request(vm, VM_REQ_STOP, "stopped from the console");
	pcpus[0].current = NULL;
	/* Two seconds of passes on CPU 0: waiting, never a panic, reported once. */
	while (fake_arch.counter < 2 * HZ) {
		assert_true(scheduler_pass(0));
		fake_arch.counter += HZ / 100;
	}
	assert_int_equal(times_said("CPU 1 is slow to leave its vCPUs; still waiting"), 1);
	assert_int_equal(fake_arch.zeroings, 0); /* nothing scrubbed under a running vCPU */
	assert_ptr_equal(pcpus[1].fp_owner, &vm->vcpus[1]);
	assert_ptr_equal(pcpus[1].loaded, &vm->vcpus[1]);
	/* CPU 1 lets go in its own scheduler loop (sched.c drop_stopped). */
	pcpus[1].current = NULL;
	pcpus[1].loaded = NULL;
	assert_true(scheduler_pass(0));
	pcpus[1].fp_owner = NULL;
	while (scheduler_pass(0))
		;
	assert_int_equal(seen.releases, 1);
	assert_true(seen.release_scrubbed);
	assert_int_equal(vm->state, VM_STOPPED);
	assert_true(said("vm0 stopped (stopped from the console) after"));
	assert_int_equal(fake_drivers.system_offs, 1); /* the last VM stopped */
	assert_int_equal(seen.starts, 0);
}

static void a_console_stop_during_a_restart_stops_the_vm(void **state)
{
	(void)state;
	vm->ram_lazy = false; /* mapped whole: its restart scrubs, over several passes */
	vm_lifecycle_request(vm, VM_REQ_RESET, "reset requested");
	pcpus[0].current = NULL;
	assert_true(scheduler_pass(0)); /* quiesced; the scrub begins */
	vm_lifecycle_request(vm, VM_REQ_STOP, "stopped from the console");
	while (scheduler_pass(0))
		;
	assert_int_equal(seen.starts, 0);
	assert_int_equal(seen.releases, 1);
	assert_int_equal(vm->state, VM_STOPPED);
	assert_true(said("vm0 stopped (stopped from the console)"));
}

static void a_start_request_builds_and_starts_a_stopped_vm(void **state)
{
	(void)state;
	vm->state = VM_STOPPED;
	pcpus[0].current = NULL;
	vm_lifecycle_request(vm, VM_REQ_START, "started from the console");
	while (scheduler_pass(0))
		;
	assert_int_equal(seen.builds, 1);
	assert_int_equal(seen.image_steps, 4); /* its images, in pieces */
	assert_int_equal(seen.starts, 1);
	assert_int_equal(vm->state, VM_RUNNING);
	assert_true(said("vm0: starting: VMID"));
}

/* A physical SError: the VM it came from crashes, by a request like any crash; the guest is
   handed no exception it did not cause, and nothing is done in the exit itself. */
static void a_physical_serror_crashes_its_vm_contained(void **state)
{
	(void)state;
	assert_int_equal(vcpu_serror(&vm->vcpus[0], 0xbe000000ull), EXIT_LEAVE);
	assert_true(vm->requests & VM_REQ_CRASH);
	assert_int_equal(vm->state, VM_RUNNING);
	assert_int_equal(fake_arch.exceptions, 0);
	assert_int_equal(fake_arch.zeroings + seen.image_steps + seen.starts, 0);
	assert_true(said("vm0/vcpu0: physical SError (ESR 0xbe000000)"));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, scene, NULL)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(a_crash_in_an_exit_is_a_request_the_scheduler_carries_out),
	    T(a_pass_works_no_longer_than_its_slice),
	    T(a_slow_cpu_is_waited_for_in_ticks_and_its_fp_owner_left_alone),
	    T(a_console_stop_during_a_restart_stops_the_vm),
	    T(a_start_request_builds_and_starts_a_stopped_vm),
	    T(a_physical_serror_crashes_its_vm_contained),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
