/* SPDX-License-Identifier: Apache-2.0 */
/* Virtual machines, their vCPUs, and the physical CPUs that run them. */
#ifndef KESTREL_VM_H
#define KESTREL_VM_H

#include <kestrel/asm_offsets.h>
#include <kestrel/console.h>
#include <kestrel/esr.h>
#include <kestrel/mmio.h>
#include <kestrel/s2pt.h>
#include <kestrel/spinlock.h>
#include <kestrel/vgic.h>
#include <kestrel/virtio.h>
#include <kestrel/vmconfig.h>
#include <kestrel/vpl011.h>

/* Guest registers saved by the exit path (entry.S relies on this layout). */
struct vcpu_regs {
	uint64_t x[31];
	uint64_t pc;
	uint64_t pstate;
};

/* EL1 state switched only when a different vCPU is loaded on a CPU. */
struct el1_sysregs {
	uint64_t sctlr, cpacr, ttbr0, ttbr1, tcr, esr, afsr0, afsr1, far, mair, amair, vbar;
	uint64_t contextidr, tpidr_el0, tpidrro_el0, tpidr_el1, par, cntkctl, sp_el0, sp_el1;
	uint64_t elr, spsr, csselr, cntv_ctl, cntv_cval, cntp_ctl, cntp_cval;
};

struct fpsimd_state {
	uint64_t q[64];
	uint64_t fpsr, fpcr;
};

/* Debug registers are emulated as storage: guests get no hardware breakpoints (yet). */
struct vdebug {
	uint64_t mdscr, oslsr, osdlr, dbgprcr, dbgclaim;
	uint64_t bvr[2], bcr[2], wvr[2], wcr[2];
};

enum vcpu_power {
	VCPU_OFF,
	VCPU_ON_PENDING, /* CPU_ON accepted, not yet running */
	VCPU_ON,
};

enum vcpu_stat {
	STAT_IRQ = EC_COUNT,
	STAT_MMIO,
	STAT_ABORT_INJECTED,
	STAT_UNDEF_INJECTED,
	STAT_STRAY, /* stray accesses (abort.c), logged or not */
	STAT_COUNT,
};

struct vm;
struct pcpu;

struct vcpu {
	struct vcpu_regs regs; /* first: the exit path stores into it */
	/* entry.S uses these two directly (asm_offsets.h): the test for more work than the
	   handler, and the per-class exit counts. */
	/*
	 * Non-zero when an exit must do more than its handler: list registers or a maintenance
	 * request to fold back, interrupts waiting for list registers, or a scheduling decision
	 * (a reschedule, the VM stopping). Whoever makes one of those true in this vCPU's own
	 * exit sets it; other CPUs also kick, and an IRQ exit always does everything.
	 */
	volatile uint32_t attention;
	uint64_t stats[STAT_COUNT];
	struct mmio_dev *mmio_last; /* the emulated device this vCPU accessed last */
	struct vm *vm;
	struct pcpu *pcpu;
	unsigned id;
	uint64_t vmpidr;
	volatile int power;
	volatile bool blocked; /* in WFI with nothing pending: not runnable until woken */
	uint64_t hcr, cptr, mdcr;
	struct el1_sysregs sys;
	struct vdebug dbg;
	struct fpsimd_state fp;
	struct vgic_cpu vgic;
	unsigned faults_in_vectors; /* consecutive injected faults inside the guest's vectors */
};

enum vm_state {
	VM_FREE,
	VM_RUNNING,
	VM_STOPPING,
	VM_STOPPED,
};

#define VM_MMIO_MAX	   8
#define VM_RAM_LAZY_BLOCKS 4096 /* 2 MiB blocks: VMs up to 8 GiB get their RAM on first touch */

struct vm {
	unsigned id;
	char name[VM_NAME_MAX];
	volatile enum vm_state state;
	struct vm_config config;
	uint16_t vmid;
	struct pgtable s2;
	struct pgtable_mm s2_mm; /* where s2's tables come from: kestrel's pages, counted here */
	uint64_t vttbr;
	ipa_t ram_ipa; /* where the guest sees its RAM */
	pa_t ram_pa;   /* where it is */
	uint64_t ram_size;
	paddr_t dtb_pa; /* the generated guest DTB, kept by kestrel for restarts */
	uint64_t dtb_size;
	uint64_t cntvoff;
	ipaddr_t entry;
	ipaddr_t dtb_ipa;
	unsigned vcpu_count;
	struct vcpu vcpus[VCPU_MAX];
	struct mmio_dev *mmio[VM_MMIO_MAX]; /* sorted by base */
	unsigned mmio_count;
	struct vpl011 uart;
	struct vgic_dist vgic;
	/* Its virtio devices (vm_virtio.c): the window, when it has any, and the devices. */
	struct virtio_hooks vio_hooks;
	struct virtio_mmio vio;
	struct virtio_console vcons;
	spinlock_t lock; /* PSCI power state changes */
	/* Stray access lines (abort.c): how many were logged, how many were not since the last
	   one, and when the next may be (counter ticks). */
	uint64_t stray_logged, stray_unlogged, stray_next_log;
	uint64_t started_ms;
	volatile bool
	    stop_requested; /* from kestrel's console: a restart under way stops instead */
	uint64_t s2_pages;  /* stage-2 table pages, for the footprint report */
	/* RAM handed over on first touch (vm_ram.c): which 2 MiB blocks are zeroed and mapped. */
	bool ram_lazy;
	spinlock_t ram_lock;
	uint64_t ram_blocks_ready;
	uint64_t ram_ready[VM_RAM_LAZY_BLOCKS / 64];
	unsigned boots;	    /* starts so far, shown to the guest as /chosen/kestrel,boot-count */
	char con_line[120]; /* console output not yet shown (VMs without focus) */
	unsigned con_len;
	struct console_label label; /* how its output lines are marked */
	/* The output line so far, shown or not, watched for the crash message. */
	char watch_line[120];
	unsigned watch_len;
	volatile bool crash_seen; /* it printed its crash message: acted on at its next exit */
};

#define RUNQ_MAX 32

#define RESCHED_NOW  1u
#define RESCHED_WAKE 2u

struct pcpu {
	struct vcpu *current; /* first: the exit path loads it */
	struct vcpu *loaded;  /* whose EL1 state is in the registers */
	struct vcpu *fp_owner;
	struct vcpu *runq[RUNQ_MAX]; /* the vCPUs whose affinity is this CPU */
	unsigned nrunq;
	unsigned rr; /* round-robin position in runq */
	/* Why the running vCPU should make way at its next exit: RESCHED_NOW, or RESCHED_WAKE (a
	   vCPU of this CPU was woken: it runs when the running one's slice ends). */
	volatile unsigned resched;
	uint64_t run_start; /* when the running vCPU was picked (counter) */
	unsigned id;
	uint64_t mpidr;
	uintptr_t stack_top;
	volatile bool online;
	/* Time in WFI with nothing to run, since the CPU's scheduling started (counter ticks):
	   the waits added up, and the last one (sched.c idle_wait; idle_slept 0: none yet). */
	uint64_t sched_start, idle_ticks, idle_waits, idle_slept, idle_woke;
};

extern struct vm vms[VM_MAX];
extern struct pcpu pcpus[PCPU_MAX];
extern unsigned pcpu_count;

static inline struct pcpu *this_pcpu(void)
{
	struct pcpu *p;

	__asm__ volatile("mrs %0, tpidr_el2" : "=r"(p));
	return p;
}

/* vm.c */
MUST_CHECK int vm_create(struct vm *vm, unsigned id, const struct vm_config *cfg);
/* Memory, stage 2, images and devices for a created or stopped VM. */
MUST_CHECK int vm_build(struct vm *vm);
void vm_print_stats(const struct vm *vm, const char *what);

enum vm_event {
	VM_EVENT_POWEROFF,
	VM_EVENT_RESET,
	VM_EVENT_CRASH,
};
/* The guest powered off, reset or crashed: stop or restart it per its policy. */
void vm_event(struct vm *vm, enum vm_event ev);
/* The VM crashed (why: how kestrel knows): stopped or restarted per its on-crash policy. */
void vm_crash(struct vm *vm, const char *why);
void vm_start(struct vm *vm);
/* Releases a VM that was created but never started. */
void vm_destroy(struct vm *vm);
/* Stops every vCPU of the VM and releases its memory; reason says why (for the log). */
void vm_stop(struct vm *vm, const char *reason);
/* Restarts the VM from its original images (PSCI SYSTEM_RESET). */
void vm_restart(struct vm *vm, const char *why);
struct vcpu *vm_vcpu_by_mpidr(struct vm *vm, uint64_t mpidr);
bool vm_ipa_is_ram(const struct vm *vm, ipaddr_t ipa, uint64_t size);

/* invariants.c: the VM's stage 2 against the owner table; returns the violations. */
uint64_t invariants_check_vm(const struct vm *vm, const char *when);
/* vm.c: whether [pa, pa + size) lies in the registers of a device passed through to vm. */
bool vm_passthrough_covers(const struct vm *vm, paddr_t pa, uint64_t size);

/* vconsole.c: a VM's console output */
void vconsole_output(struct vm *vm, char c);

/* vcpu.c */
void vcpu_reset(struct vcpu *vcpu, ipaddr_t entry, uint64_t x0);
void vcpu_load(struct vcpu *vcpu);
void vcpu_put(struct vcpu *vcpu);
/* Inline: every emulated instruction uses them. A 16-bit T32 instruction (AArch32 EL0:
   QEMU's CPUs run it although kestrel's ID registers say EL0 is AArch64 only) is 2 bytes. */
static inline void vcpu_skip_instr(struct vcpu *vcpu, uint64_t esr)
{
	vcpu->regs.pc += 2 + ((esr >> 24) & 2); /* ESR_EL2.IL, bit 25: 4 bytes */
}

/* EC 0x18 (MSR/MRS) and 0x17 (SMC64) trap only from AArch64 state, where every instruction
   is 4 bytes: their handlers need not look at ESR_EL2.IL. */
static inline void vcpu_skip_a64(struct vcpu *vcpu)
{
	vcpu->regs.pc += 4;
}

/* Register 31 is XZR for the instructions kestrel emulates. */
static inline uint64_t vcpu_get_reg(const struct vcpu *vcpu, unsigned reg)
{
	return reg < 31 ? vcpu->regs.x[reg] : 0;
}

static inline void vcpu_set_reg(struct vcpu *vcpu, unsigned reg, uint64_t val)
{
	if (reg < 31)
		vcpu->regs.x[reg] = val;
}
void vcpu_inject_undef(struct vcpu *vcpu);
void vcpu_inject_abort(struct vcpu *vcpu, bool instruction, uint64_t far, bool write);
/* Runs vcpu on this CPU from a fresh stack; never returns. */
NORETURN void vcpu_run(struct vcpu *vcpu);

/* sched.c: each CPU round-robins the runnable vCPUs of its run queue, or idles. */
NORETURN void pcpu_idle(void);
/* Saves the vCPU loaded on this CPU and takes its state off the CPU (the next run loads). */
void pcpu_unload(struct pcpu *pcpu);
void pcpu_kick(struct pcpu *pcpu);
/* vcpu has something new to do: its CPU looks at it now (preempting another vCPU if need be). */
void vcpu_kick(struct vcpu *vcpu);

/* vgic_hooks.c: what the vGIC model is given of the scheduler. */
extern const struct vgic_hooks vm_vgic_hooks;
MUST_CHECK int sched_add(struct pcpu *pcpu, struct vcpu *vcpu);
void sched_remove(struct vcpu *vcpu);
/* The running vCPU leaves its CPU (pcpu_idle), unless all that asks is a woken vCPU and its
   slice has time left: then the slice's end is armed and it goes on. */
void sched_make_way(struct vcpu *vcpu);
/* The EL2 timer fired on this CPU: a slice ended or a sleeping vCPU's timer is due. */
void sched_timer_fired(void);
/* How long each CPU slept in WFI with nothing to run, as kestrel's console lines. */
void sched_report_idle(void);
/* vm_ram.c: the VM's RAM, zeroed and mapped block by block on the guest's first touch. */
MUST_CHECK int vm_ram_setup(struct vm *vm);
MUST_CHECK int vm_ram_prepare(struct vm *vm, ipaddr_t ipa, uint64_t size);
/* A stage-2 abort (esr) at ipa: true if it was RAM not handed over yet, which now is. */
bool vm_ram_fault(struct vm *vm, ipaddr_t ipa, uint64_t esr);
void vm_ram_scrub(struct vm *vm, bool unmap);
/* The checked copies device models use: E_OK, or -E_RANGE unless all of [ipa, ipa + size) is
   the VM's own RAM (size 0 is always E_OK). */
MUST_CHECK int vm_copy_from_guest(struct vm *vm, ipa_t src, void *dst, uint64_t size);
MUST_CHECK int vm_copy_to_guest(struct vm *vm, ipa_t dst, const void *src, uint64_t size);

/* vm_virtio.c: the VM's virtio devices, set up each time the VM is built; reset under their
   locks (vm_virtio_stop) before its RAM is scrubbed or given back, and so as after a reset when
   it restarts. */
void vm_virtio_build(struct vm *vm);
void vm_virtio_stop(struct vm *vm);
/* Its virtio-mmio window, or NULL when it has no virtio device. */
struct mmio_dev *vm_virtio_attach(struct vm *vm);
/* Console input: true if the VM's virtio console took it (its driver has it running). */
bool vm_virtio_console_input(struct vm *vm, char c);

/* State of one interrupt as seen by vcpu (private ones are per vCPU; NULL without one). */
static inline struct virq *vgic_irq(struct vm *vm, struct vcpu *vcpu, unsigned intid)
{
	if (intid < VGIC_NR_PRIVATE)
		return vcpu ? &vcpu->vgic.priv[intid] : NULL;
	if (intid < VGIC_NR_IRQS)
		return &vm->vgic.spis[intid - VGIC_NR_PRIVATE];
	return NULL;
}

/* After an exit that needs attention: leaves the vCPU if its VM stops, it is off, or another
   vCPU wants its CPU. */
static inline void sched_check_current(struct vcpu *vcpu)
{
	if (vcpu->vm->state != VM_RUNNING || vcpu->power != VCPU_ON || vcpu->pcpu->resched)
		sched_make_way(vcpu);
}

static inline void vgic_sync_lrs(struct vcpu *vcpu)
{
	vgic_sync_lrs_cpu(&vcpu->vgic, vcpu);
}

/* Before entry: fill the list registers; the next exit needs attention while they are in use. */
static inline void vgic_flush_lrs(struct vcpu *vcpu)
{
	vgic_flush_lrs_cpu(&vcpu->vgic, vcpu);
	vcpu->attention = vcpu->vgic.lr_used | (vcpu->vgic.hcr != VGIC_HCR_EN);
}

/* The world-switch entry points in entry.S. */
NORETURN void vcpu_enter_fresh(struct vcpu *vcpu, uintptr_t stack_top);
NORETURN void call_on_fresh_stack(void *arg, uintptr_t stack_top, void (*fn)(void *));
void fpsimd_save(struct fpsimd_state *st);
void fpsimd_restore(const struct fpsimd_state *st);

#endif
