/* SPDX-License-Identifier: Apache-2.0 */
/* Virtual machines, their vCPUs, and the physical CPUs that run them. */
#ifndef KESTREL_VM_H
#define KESTREL_VM_H

#include <kestrel/arch.h>
#include <kestrel/asm_offsets.h>
#include <kestrel/console.h>
#include <kestrel/debug.h>
#include <kestrel/esr.h>
#include <kestrel/exit_result.h>
#include <kestrel/mmio.h>
#include <kestrel/mte.h>
#include <kestrel/pac.h>
#include <kestrel/pmu.h>
#include <kestrel/s2pt.h>
#include <kestrel/shm.h>
#include <kestrel/spinlock.h>
#include <kestrel/sve.h>
#include <kestrel/vgic.h>
#include <kestrel/virtio_blk.h>
#include <kestrel/virtio_console.h>
#include <kestrel/virtio_net.h>
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
	uint64_t vdisr; /* the guest's DISR_EL1 (VDISR_EL2), with FEAT_RAS */
};

struct fpsimd_state {
	uint64_t q[64];
	uint64_t fpsr, fpcr;
};

/* Bits of vcpu->lazy: state a vCPU has live in the registers while it is loaded. */
#define LAZY_PAC BIT(0) /* pointer authentication's keys (pac.h) */
#define LAZY_MTE BIT(1) /* MTE's tag registers, and access to tags (mte.h) */
#define LAZY_PMU BIT(2) /* the PMU's registers, and its overflow PPI's link (pmu.h) */
/* its debug registers, with MDCR_EL2.TDA clear (debug.h) */
#define LAZY_DEBUG BIT(3)

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
	 * Non-zero while the vCPU's interrupt state needs the list registers: some are in use
	 * (or a maintenance request is set), or an interrupt is wanted and waits for one. The
	 * vGIC raises it; filling the list registers recomputes it. Only that: what a handler
	 * wants next is its result (exit_result.h), scheduling is pcpu.resched, lifecycle is
	 * vm.requests. Tested before the handler (fold the list registers back first) and after
	 * it (fill them before the guest resumes).
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
	/* Ticks its turns ran over their slices, with others waiting (work that cannot be
	   preempted: a 2 MiB block zeroed in an exit, a piece of its VM's job), paid back from
	   its next slices (sched.c). */
	uint64_t sched_debt;
	uint64_t hcr, cptr, mdcr;
	struct el1_sysregs sys;
	struct fpsimd_state fp;
	/* SVE (kestrel/sve.h): once sve_used (its first SVE instruction or ZCR_EL1 access
	   trapped, until a reset), its FP state is its SVE state: Z0-Z31, P0-P15 and FFR in
	   sve_regs (its VM's vector length, in pages of the VM's: vm_build.c), FPSR and FPCR
	   in fp, ZCR_EL1 in zcr (fpsimd.c). */
	bool sve_used;
	uint64_t zcr;
	uint8_t *sve_regs;
	/* The state switched only once a vCPU's first use trapped (LAZY_*): none for most
	   vCPUs, so a switch tests this one word for all of it. */
	uint32_t lazy;
	/* Pointer authentication's keys (kestrel/pac.h), live in the registers while loaded
	   with LAZY_PAC; until then all zero. */
	uint64_t pac_keys[PAC_KEY_REGS];
	/* MTE's tag registers (kestrel/mte.h), live while loaded with LAZY_MTE; until then
	   all zero. */
	uint64_t mte_regs[MTE_REGS];
	/* The PMU's state (kestrel/pmu.h), live while loaded with LAZY_PMU, is last: the fields
	   the exit path uses stay within reach of one load's offset. */
	struct vgic_cpu vgic;
	unsigned faults_in_vectors; /* consecutive injected faults inside the guest's vectors */
	struct vpmu pmu;
	/* Its debug registers (kestrel/debug.h): last, away from what exits use. */
	struct vdebug dbg;
};

enum vm_state {
	VM_FREE,
	VM_RUNNING,
	VM_STOPPING,
	VM_STOPPED,
};

/*
 * Lifecycle requests (vm_lifecycle.c): bits of vm->requests, which anyone may set in any
 * context (vm_lifecycle_request); one CPU's scheduler loop carries them out, never an exit handler.
 */
#define VM_REQ_POWEROFF BIT(0) /* PSCI SYSTEM_OFF: its on-poweroff policy */
#define VM_REQ_RESET	BIT(1) /* PSCI SYSTEM_RESET: its on-reset policy */
#define VM_REQ_CRASH	BIT(2) /* it crashed (crash_why): its on-crash policy */
#define VM_REQ_STOP	BIT(3) /* stop (stop_why), whatever the policy; beats a restart */
#define VM_REQ_RESTART	BIT(4) /* kestrel's console: restart from the images */
#define VM_REQ_START	BIT(5) /* kestrel's console: build and start a stopped VM */

/* The lifecycle work under way for a VM, done in bounded pieces (vm_lifecycle.c). */
struct vm_job {
	unsigned op;	 /* stop, restart, start; 0: none */
	unsigned phase;	 /* quiesce, scrub, reload */
	int cpu;	 /* the CPU whose scheduler loop carries it out; -1: none */
	uint64_t cursor; /* how far the phase got */
	uint64_t since;	 /* when it began (counter ticks): a slow CPU is reported once */
	bool warned;
	const char *why; /* for the log: "crashed", "reset requested", ... */
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
	/* SVE: its vector length in quadwords (0: none), and the pages of its vCPUs' SVE
	   registers (vm_build.c). */
	unsigned sve_vq;
	paddr_t sve_pa;
	uint64_t sve_pages;
	struct mmio_dev *mmio[VM_MMIO_MAX]; /* sorted by base */
	unsigned mmio_count;
	struct vpl011 uart;
	struct vgic_dist vgic;
	/* Its virtio devices (vm_virtio.c): the window, when it has any, and the devices. */
	struct virtio_hooks vio_hooks;
	struct virtio_mmio vio;
	struct virtio_console vcons;
	struct virtio_blk vblk[VM_VIRTIO_MAX]; /* vblk[i]: the device of slot i, if a disk */
	/* Its virtio-net ports, by slot; set up once, at the VM's first build, and only reset
	   after: another VM's frames may be arriving at any time. */
	struct virtio_net vnet[VM_VIRTIO_MAX];
	struct shm_vm shm; /* its part of the shared regions (shm.c) */
	spinlock_t lock;   /* PSCI power state changes */
	/* Stray access lines (abort.c): how many were logged, how many were not since the last
	   one, and when the next may be (counter ticks). */
	uint64_t stray_logged, stray_unlogged, stray_next_log;
	uint64_t started_ms;
	/* CPU time since it was started (counter ticks, over restarts too): its vCPUs' turns,
	   and the lifecycle work done for it (scrubbing, reloading), which is its turn too. */
	uint64_t cpu_ticks, job_ticks;
	/* Lifecycle: the requests not taken yet (VM_REQ_*, under lock), why, and the job. */
	volatile uint32_t requests;
	const char *stop_why, *crash_why;
	struct vm_job job;
	uint64_t s2_pages; /* stage-2 table pages, for the footprint report */
	/* RAM handed over on first touch (vm_ram.c): which 2 MiB blocks are zeroed and mapped. */
	bool ram_lazy;
	spinlock_t ram_lock;
	uint64_t ram_blocks_ready;
	uint64_t ram_ready[VM_RAM_LAZY_BLOCKS / 64];
	/* Blocks that may hold what a guest wrote: handed over since they were last zeroed.
	   A restart unmaps them without zeroing (the next first touch zeroes each); the stop
	   scrubs them. */
	uint64_t ram_dirty[VM_RAM_LAZY_BLOCKS / 64];
	unsigned boots;	    /* starts so far, shown to the guest as /chosen/kestrel,boot-count */
	char con_line[120]; /* console output not yet shown (VMs without focus) */
	unsigned con_len;
	struct console_label label; /* how its output lines are marked */
	/* The output line so far, shown or not, watched for the crash message. */
	char watch_line[120];
	unsigned watch_len;
	ipaddr_t initrd_ipa; /* where the initrd goes (vm_images_begin) */
	/* Its ITS and LPIs (vgic_its.c): last, so that no field an exit uses moves for it. */
	struct vgic_its its;
};

#define RUNQ_MAX 32

#define RESCHED_NOW	  1u
#define RESCHED_WAKE	  2u
#define RESCHED_LIFECYCLE 4u /* a VM's lifecycle request or job: see vm_lifecycle.c */

struct pcpu {
	struct vcpu *current; /* first: the exit path loads it */
	struct vcpu *loaded;  /* whose EL1 state is in the registers */
	struct vcpu *fp_owner;
	struct vcpu *runq[RUNQ_MAX]; /* the vCPUs whose affinity is this CPU */
	unsigned nrunq;
	unsigned rr; /* round-robin position in runq */
	/* Why the running vCPU should make way at its next exit: RESCHED_NOW, or RESCHED_WAKE (a
	   vCPU of this CPU was woken: it runs when the running one's slice ends); with
	   RESCHED_LIFECYCLE, the scheduler loop also looks at the VMs' lifecycle requests. */
	volatile unsigned resched;
	uint64_t run_start; /* when the running vCPU was picked (counter) */
	/* The last turn of the loop: a vCPU's, or (ran_job) its VM's lifecycle job's in its
	   place; charged to the VM at the loop's next turn (sched.c charge_turn). */
	struct vcpu *ran;
	bool ran_job;
	/* The turn's slice (counter ticks), and whether it was armed: only then is a turn that
	   ran over it in debt. */
	uint64_t slice;
	bool sliced;
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

/* vm.c */
/* Sets the VM up from its description and builds it (vm_build). */
MUST_CHECK int vm_create(struct vm *vm, unsigned id, const struct vm_config *cfg);
void vm_print_stats(const struct vm *vm, const char *what);
/* Starts a built (or scrubbed and reloaded) VM at its boot vCPU; false, and nothing started,
   if a stop was asked meanwhile. */
bool vm_start(struct vm *vm);
/* Releases a VM that was created but never started. */
void vm_destroy(struct vm *vm);
/* Gives back everything a VM has; its RAM is zeroed first unless already scrubbed. */
void vm_release(struct vm *vm, bool scrubbed);
/* Invalidates every stage-1+2 translation of the VM. */
void vm_s2_flush(struct vm *vm);
/* Prints why the VM cannot be built or loaded (VM_REFUSED_FMT); returns -E_INVAL. */
int vm_refuse(struct vm *vm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

struct vcpu *vm_vcpu_by_mpidr(struct vm *vm, uint64_t mpidr);
/* Whether all of [ipa, ipa + size) is the VM's RAM, without overflow. Inline: the device
   models ask it for every descriptor. */
static inline bool vm_ipa_is_ram(const struct vm *vm, ipaddr_t ipa, uint64_t size)
{
	uint64_t ram = ipa_addr(vm->ram_ipa);

	return ipa >= ram && size <= vm->ram_size && ipa - ram <= vm->ram_size - size;
}

/* State of one interrupt as seen by vcpu (private ones are per vCPU; NULL without one). */
static inline struct virq *vgic_irq(struct vm *vm, struct vcpu *vcpu, unsigned intid)
{
	if (intid < VGIC_NR_PRIVATE)
		return vcpu ? &vcpu->vgic.priv[intid] : NULL;
	if (intid < VGIC_NR_IRQS)
		return &vm->vgic.spis[intid - VGIC_NR_PRIVATE];
	return NULL; /* LPIs have their own look-up, vgic_its_lpi: no exit path pays for it */
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

#endif
