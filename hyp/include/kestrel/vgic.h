/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The virtual GICv3: an emulated distributor and one redistributor per vCPU (MMIO), and the
 * hardware virtual CPU interface, which kestrel feeds through the ICH_LR list registers.
 * Interrupt state lives here; vgic_lr.c moves it in and out of the list registers.
 */
#ifndef KESTREL_VGIC_H
#define KESTREL_VGIC_H

#include <kestrel/addr.h>
#include <kestrel/mmio.h>
#include <kestrel/spinlock.h>
#include <kestrel/vmconfig.h>

#define VGIC_NR_PRIVATE 32
#define VGIC_NR_SPIS	64
#define VGIC_NR_IRQS	(VGIC_NR_PRIVATE + VGIC_NR_SPIS)
#define VGIC_MAX_LRS	16
#define VGIC_NO_TARGET	0xff   /* IROUTER names no vCPU: the SPI goes nowhere */
#define VGIC_OVR_ACTIVE BIT(0) /* lr_override: the written active state wins */
#define VGIC_OVR_MOVED	BIT(1) /* lr_override: routed elsewhere meanwhile */
#define VGIC_WANT_WORDS 2      /* (VGIC_NR_IRQS + 63) / 64: the inline checks test both */
_Static_assert(VGIC_NR_IRQS <= 128, "the want bitmap is two words");

/*
 * LPIs (vgic_its.c): INTIDs from 8192 up to the ID bits GICD_TYPER gives (16383), at most
 * VGIC_MAX_LPIS of them mapped by a VM at once, each in a slot of vgic_its.lpis. A vCPU's
 * wanted LPIs are the bits of its vgic_lpi_rd.lpi_want (by slot); one bit of the want bitmap that
 * no INTID uses, VGIC_WANT_LPI, says that any is set, so the inline checks of every exit stay as
 * they are and a VM without LPIs never looks further.
 */
#define VGIC_LPI_BASE  8192
#define VGIC_ID_BITS   14
#define VGIC_MAX_LPIS  256
#define VGIC_LPI_WORDS (VGIC_MAX_LPIS / 64)
#define VGIC_WANT_LPI  127
_Static_assert(VGIC_WANT_LPI >= VGIC_NR_IRQS && VGIC_WANT_LPI < 64 * VGIC_WANT_WORDS,
	       "the LPI summary bit is no INTID's");

struct virq {
	uint8_t priority;
	bool enabled;
	bool pending; /* latched: edge, ISPENDR, SGI */
	bool line;    /* input level of a level-sensitive source */
	bool edge;    /* ICFGR: edge-triggered */
	bool active;
	bool group1;
	bool hw; /* linked to the physical interrupt hw_intid */
	bool in_lr;
	bool lr_pending; /* the pending latch now lives in a list register */
	uint8_t lr_vcpu; /* SPIs: whose list register holds it (held it last, when not) */
	/* Another vCPU wrote its pending or active state while it sat in a list register: at
	   the fold-back, that state is the guest's will, not what the register says. */
	uint8_t lr_override;
	uint8_t target; /* SPIs: vCPU index from IROUTER, or VGIC_NO_TARGET */
	uint16_t hw_intid;
	uint64_t irouter;
};

/* The guest's CPU interface state kept while the vCPU is not loaded. */
#define VGIC_MAX_APRS 4 /* ICH_AP0R<n>_EL2 / ICH_AP1R<n>_EL2, n = 0..3 */
struct vgic_cpuif {
	uint64_t vmcr;
	uint32_t ap0r[VGIC_MAX_APRS], ap1r[VGIC_MAX_APRS];
};

/*
 * How many ICH_AP0R<n>_EL2 (and as many ICH_AP1R<n>_EL2) exist: one per 32 preemption levels,
 * from ICH_VTR_EL2.PREbits (bits 28:26, preemption bits - 1): 5 bits, 32 levels: AP*R0; 6 bits:
 * AP*R0-1; 7 bits: AP*R0-3. PRIbits may be larger than PREbits: the priority bits below the
 * preemption ones have no active-priority bit, and the registers they would need do not exist
 * (an access to one is UNDEFINED). A value the architecture does not allow (8) takes the most.
 */
static inline unsigned vgic_apr_count(uint64_t ich_vtr)
{
	unsigned pre_bits = (unsigned)((ich_vtr >> 26) & 7) + 1;

	return pre_bits <= 5 ? 1 : pre_bits == 6 ? 2 : VGIC_MAX_APRS;
}

struct vgic_cpu {
	struct virq priv[VGIC_NR_PRIVATE]; /* SGIs and PPIs */
	uint64_t want[VGIC_WANT_WORDS];	   /* interrupts waiting to go into list registers */
	uint32_t lr_used;		   /* bitmap of list registers kestrel filled */
	bool lr_stale; /* another vCPU changed what they hold: fold back with care */
	uint16_t lr_intid[VGIC_MAX_LRS];
	uint32_t waker;
	struct vgic_cpuif cpuif;
	uint64_t hcr;
	volatile uint64_t syncs; /* list registers folded back this many times */
};

/* A redistributor's LPI side (in struct vgic_its, by vCPU): the LPIs its vCPU wants, by slot
   (VGIC_WANT_LPI of the vCPU's want bitmap sums them up), GICR_CTLR.EnableLPIs,
   GICR_PROPBASER and GICR_PENDBASER. */
struct vgic_lpi_rd {
	uint64_t lpi_want[VGIC_LPI_WORDS];
	bool lpis_enabled;
	uint64_t propbaser, pendbaser;
};

/* One LPI slot: the interrupt (always edge, Group 1), its INTID (0: free) and how many
   translation entries of the ITS lead to it. */
struct vgic_lpi {
	struct virq irq; /* first: a slot is found from its interrupt */
	uint16_t intid;
	uint16_t refs;
};

/*
 * The ITS (vgic_its.c). Its device and collection tables and the translation entries are
 * kept here, bounded; the tables the guest declares in GITS_BASER<n> and MAPD's ITT are
 * storage that must lie in its RAM (a real ITS would write there) but that kestrel neither
 * reads nor writes: a guest cannot change a translation behind the ITS's back. With it, the
 * LPIs and the redistributors' LPI state: all of it is struct vm's last member (vm.its), so
 * that what the exit path uses of struct vm and struct vcpu keeps its place.
 */
#define ITS_DEVICE_BITS	    16 /* DeviceIDs 0..65535 (GITS_TYPER.Devbits) */
#define ITS_EVENT_BITS	    16 /* EventIDs (GITS_TYPER.ID_bits) */
#define ITS_COLLECTION_BITS 4  /* ICIDs 0..15 (GITS_TYPER.CIL, CIDbits) */
#define ITS_MAX_DEVICES	    16 /* mapped at once */
#define ITS_MAX_COLLECTIONS (1u << ITS_COLLECTION_BITS)
#define ITS_MAX_ITES	    VGIC_MAX_LPIS
#define ITS_NR_BASERS	    2 /* GITS_BASER0: devices, GITS_BASER1: collections */
#define ITS_CMD_SIZE	    32
#define ITS_CMD_BATCH	    64 /* commands taken per access to CWRITER, CREADR or CTLR */

struct its_device {
	uint32_t id;
	uint8_t event_bits; /* MAPD's Size + 1 */
	bool valid;
};

struct its_ite {
	uint32_t devid, eventid;
	uint16_t slot; /* of vgic_its.lpis */
	uint16_t icid;
	bool valid;
};

struct vgic_its {
	spinlock_t lock; /* taken before the vGIC's lock, never after */
	uint32_t ctlr;
	uint64_t cbaser, baser[ITS_NR_BASERS];
	uint32_t cwriter, creadr; /* byte offsets into the command queue */
	bool stalled;
	uint8_t coll[ITS_MAX_COLLECTIONS]; /* target vCPU of each collection, or VGIC_NO_TARGET */
	struct its_device dev[ITS_MAX_DEVICES];
	struct its_ite ite[ITS_MAX_ITES];
	uint64_t cmds, errors; /* commands taken, and of them refused (dropped) */
	struct mmio_dev mmio;
	struct vgic_lpi lpis[VGIC_MAX_LPIS];
	struct vgic_lpi_rd rd[VCPU_MAX];
};

struct vm;
struct vcpu;

enum vgic_level {
	VGIC_LEVEL_LOW,
	VGIC_LEVEL_HIGH,
	VGIC_LEVEL_UNKNOWN, /* the vCPU runs on another CPU: its timer (PMU) is live there */
};

/*
 * What the vGIC needs of the rest of kestrel, handed to vgic_init rather than called by name:
 * the model then runs unchanged in host unit tests and fuzzers, which hand in their own.
 */
struct vgic_hooks {
	/* vcpu must notice new interrupt state: if it runs, it exits; if it sleeps, it wakes. */
	void (*kick)(struct vcpu *vcpu);
	/* vcpu, if it runs on another CPU now, folds its list registers back before this
	   returns (or a bounded time passes), so its pending and active state can be read. */
	void (*sync_lrs)(struct vcpu *vcpu);
	/* The vCPU of vm whose affinity fields are those of mpidr, or NULL. */
	struct vcpu *(*vcpu_by_mpidr)(struct vm *vm, uint64_t mpidr);
	/* The output level of the source behind vcpu's linked PPI intid: an EL1 timer
	   (GUEST_PPI_VTIMER or GUEST_PPI_PTIMER: ENABLE && ISTATUS && !IMASK) or the PMU
	   (GUEST_PPI_PMU: PMCR_EL0.E && PMINTENSET & PMOVSSET). *here: vcpu is loaded on this
	   CPU, so the source, and the physical PPI linked to it, are this CPU's. */
	enum vgic_level (*ppi_level)(struct vcpu *vcpu, unsigned intid, bool *here);
	/* The ITS's and the redistributors' only way to guest memory: checked copies from and to
	   vm's own RAM (E_OK, or -E_RANGE unless all of it is), and whether all of a range is. */
	MUST_CHECK int (*read_ram)(struct vm *vm, ipa_t src, void *dst, uint64_t size);
	MUST_CHECK int (*write_ram)(struct vm *vm, ipa_t dst, const void *src, uint64_t size);
	bool (*in_ram)(const struct vm *vm, ipaddr_t ipa, uint64_t size);
};

struct vgic_dist {
	spinlock_t lock;
	const struct vgic_hooks *hooks;
	uint32_t ctlr;
	unsigned nr_lrs;
	unsigned nr_aprs; /* vgic_apr_count of this CPU interface */
	struct virq spis[VGIC_NR_SPIS];
	struct mmio_dev dist_dev;
	struct mmio_dev redist_dev;
};

void vgic_init(struct vm *vm, unsigned nr_lrs, const struct vgic_hooks *hooks);
/* vgic_mmio.c: describes the distributor and redistributor regions (vgic.dist_dev and
   vgic.redist_dev) for the VM's MMIO table, where vm_build.c puts them with its other devices. */
void vgic_mmio_describe(struct vm *vm);
/* Makes intid pending for vcpu (SGIs, PPIs) or for its target (SPIs; vcpu may be NULL). */
void vgic_inject(struct vm *vm, struct vcpu *vcpu, unsigned intid);
/* The input level of a level-sensitive SPI changed. */
void vgic_set_line(struct vm *vm, unsigned intid, bool level);
/* The physical PPI of an EL1 timer or of the PMU fired while vcpu was loaded here: the same
   virtual PPI (the guest's are the host's: GUEST_PPI_VTIMER, GUEST_PPI_PTIMER, GUEST_PPI_PMU)
   becomes pending, linked to the physical one. */
void vgic_inject_hw(struct vcpu *vcpu, unsigned intid);
/* Samples the line of vcpu's linked PPI intid again (vgic lock held); see vgic.c. */
void vgic_ppi_resample(struct vcpu *vcpu, unsigned intid);
/* A passed-through device's physical SPI fired: the same INTID, linked, for its VM. */
void vgic_inject_hw_spi(struct vm *vm, unsigned intid);
/* The VM stops: release physical interrupts still active on its behalf. */
void vgic_release_hw(struct vm *vm);
/*
 * An SGI generation register (ICC_SGI1R_EL1 layout) written by vcpu. The VM has a single
 * Security state (GICD_CTLR.DS reads 1), where the architecture's forwarding rules are: a write
 * of ICC_SGI0R_EL1 makes the SGI pending at a target only if it is Group 0 there; a write of
 * ICC_SGI1R_EL1 makes it pending whichever group it has there; ICC_ASGI1R_EL1 names Group 1 of
 * the other Security state, which does not exist, and acts as ICC_SGI0R_EL1 (as KVM does).
 * group0_only is true for ICC_SGI0R_EL1 and ICC_ASGI1R_EL1. kestrel forwards only Group 1
 * interrupts to the virtual CPU interface: a Group 0 SGI stays pending in GICR_ISPENDR0.
 */
void vgic_send_sgi(struct vcpu *vcpu, uint64_t sgir, bool group0_only);
/* True when an SGI generation register value sgir written by sender names vCPU t. */
bool vgic_sgi_targets(const struct vcpu *sender, const struct vcpu *t, uint64_t sgir);
/* True when vcpu has an enabled interrupt pending: a WFI must end. */
bool vgic_vcpu_pending(struct vcpu *vcpu);
/* vgic_its.c. The LPI intid's interrupt, NULL unless a slot holds it. */
struct virq *vgic_its_lpi(struct vm *vm, unsigned intid);
/* vgic_update for an LPI: which vCPU wants it (its bit of lpi_want, and VGIC_WANT_LPI); frees
   its slot once nothing maps it and it is nowhere. Lock held. */
void vgic_its_update(struct vm *vm, unsigned intid);
/* vgic_update for every LPI (GICD_CTLR changed); lock held. */
void vgic_its_update_all(struct vm *vm);
/* vgic_vcpu_pending's part for LPIs: whether vcpu wants an LPI it can take now (not active). */
bool vgic_its_pending(const struct vcpu *vcpu);
/* How many LPIs vcpu wants, counted up to limit + 1. */
unsigned vgic_its_wanted(const struct vcpu *vcpu, unsigned limit);
/* The INTID of the most urgent LPI vcpu wants if its priority is below *prio (which it then
   becomes), else 0. */
unsigned vgic_its_urgent(const struct vcpu *vcpu, unsigned *prio);
/* Resets the ITS and every LPI, and describes the ITS frame (vm.its.mmio). */
void vgic_its_init(struct vm *vm);
/* One ITS command, already copied out of the queue: E_OK, or -E_* when it was refused (and
   dropped). Takes the vGIC's lock; the caller holds the ITS's. */
MUST_CHECK int vgic_its_command(struct vm *vm, const uint64_t cmd[4]);
/* The redistributor's LPI registers (GICR_CTLR, PROPBASER, PENDBASER) for vcpu, with the vGIC
   lock held: false if off is none of them. */
bool vgic_its_redist_access(struct vcpu *vcpu, uint64_t off, unsigned width, bool write,
			    uint64_t *val);

/* The vCPU that should hold an SPI: where it is active, else where IROUTER routes it (NULL
   when IROUTER names no vCPU). */
struct vcpu *vgic_spi_target(struct vm *vm, const struct virq *irq);
/* Recomputes whether intid must go into a list register; call with the lock held. */
void vgic_update(struct vm *vm, struct vcpu *vcpu, unsigned intid);

/* List registers (vgic_lr.c): after an exit, fold them back; before entry, fill them. The
   inline checks keep exits with no interrupt in flight to a few instructions. */
void vgic_lr_sync_slow(struct vgic_cpu *c, struct vcpu *vcpu);
void vgic_lr_flush_slow(struct vgic_cpu *c, struct vcpu *vcpu);
#define VGIC_HCR_EN  BIT(0)
#define VGIC_HCR_UIE BIT(1)

static inline void vgic_sync_lrs_cpu(struct vgic_cpu *c, struct vcpu *vcpu)
{
	if (c->lr_used | (c->hcr & VGIC_HCR_UIE))
		vgic_lr_sync_slow(c, vcpu);
}

static inline void vgic_flush_lrs_cpu(struct vgic_cpu *c, struct vcpu *vcpu)
{
	if ((c->want[0] | c->want[1]) || c->hcr != VGIC_HCR_EN)
		vgic_lr_flush_slow(c, vcpu);
}
void vgic_lr_load(struct vcpu *vcpu);
void vgic_lr_put(struct vcpu *vcpu);
/* The same for the linked PPI intid beyond the timers' (the PMU's, of a vCPU that uses it):
   load before its source's level comes back, put after vgic_lr_put and its source's level
   is low. */
void vgic_lr_load_linked(struct vcpu *vcpu, unsigned intid);
void vgic_lr_put_linked(struct vcpu *vcpu, unsigned intid);
/* vgic_apr_count of this machine's CPU interface, read from ICH_VTR_EL2 the first time. */
unsigned vgic_lr_hw_apr_count(void);

/* Encoding of one list register (pure, shared with the unit tests). */
#define LR_STATE_SHIFT 62
#define LR_PENDING     1ull
#define LR_ACTIVE      2ull
#define LR_HW	       BIT(61)
#define LR_GROUP1      BIT(60)
#define LR_EOI	       BIT(41)

static inline uint64_t vgic_lr_encode(unsigned intid, const struct virq *irq)
{
	uint64_t state = 0, lr;

	if (irq->pending || (!irq->edge && irq->line))
		state |= LR_PENDING;
	if (irq->active)
		state |= LR_ACTIVE;
	lr = intid | ((uint64_t)irq->priority << 48) | LR_GROUP1 | (state << LR_STATE_SHIFT);
	if (irq->hw)
		lr |= LR_HW | ((uint64_t)irq->hw_intid << 32);
	else if (!irq->edge)
		lr |= LR_EOI; /* a level source may still be high after the guest's EOI */
	return lr;
}

#define VGIC_GICD_CTLR_GRP1 BIT(1)
#define VGIC_VMCR_VENG1	    BIT(1) /* ICH_VMCR_EL2: the guest's ICC_IGRPEN1_EL1 */

/*
 * True when a timer PPI (intid) firing would be taken by the vCPU of cpu, which is not loaded:
 * enabled, Group 1, the group enabled in the distributor and the CPU interface, not active already.
 * Without the lock: an answer made stale by the VM's other vCPUs is corrected at the CPU's
 * next look, a slice's end or a kick. Inline: the scheduler asks it at every switch.
 */
static inline bool vgic_timer_can_wake(const struct vgic_cpu *cpu, const struct vgic_dist *dist,
				       unsigned intid)
{
	const struct virq *irq = &cpu->priv[intid % VGIC_NR_PRIVATE];

	return READ_ONCE(irq->enabled) && irq->group1 && !irq->active &&
	       (READ_ONCE(dist->ctlr) & VGIC_GICD_CTLR_GRP1) && (cpu->cpuif.vmcr & VGIC_VMCR_VENG1);
}

#endif
