/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The GICv3 distributor and redistributors as the guest sees them through stage-2 faults.
 * Registers holding one bit, one byte or two bits per interrupt share the helpers below; the
 * distributor and the redistributor's SGI frame differ only in which interrupts they cover.
 * Accesses the architecture does not define read as zero and ignore writes; misaligned ones
 * abort.
 */
#include <kestrel/gic_regs.h>
#include <kestrel/guest_layout.h>
#include <kestrel/lib.h>
#include <kestrel/vgic.h>
#include <kestrel/vm.h>

#define CTLR_ENABLES (BIT(0) | BIT(1))
#define CTLR_ARE_DS  (BIT(4) | BIT(6)) /* affinity routing, single security state: fixed */
#define IIDR_KESTREL 0x4b00043bu       /* implementer Arm (0x43b), product 'K' */
#define PIDR2_GICV3  0x3b

enum bitreg { REG_GROUP, REG_SENABLE, REG_CENABLE, REG_SPEND, REG_CPEND, REG_SACTIVE, REG_CACTIVE };

/* Which interrupts a frame covers: the distributor SPIs, or one vCPU's SGIs and PPIs. */
struct frame {
	struct vm *vm;
	struct vcpu *vcpu; /* redistributor frames only */
	unsigned first, count;
};

static bool in_frame(const struct frame *f, unsigned intid)
{
	return intid >= f->first && intid < f->first + f->count;
}

static bool linked_ppi(unsigned intid)
{
	return intid == GUEST_PPI_VTIMER || intid == GUEST_PPI_PTIMER || intid == GUEST_PPI_PMU;
}

/* Pending by its level: a level-sensitive source's input, or a timer's or the PMU's output
   now, whether its physical interrupt has reached EL2 yet or not. */
static bool level_pending(const struct frame *f, unsigned intid, const struct virq *irq)
{
	bool here;

	if (f->vcpu && linked_ppi(intid) &&
	    f->vm->vgic.hooks->ppi_level(f->vcpu, intid, &here) == VGIC_LEVEL_HIGH)
		return true;
	return !irq->edge && irq->line;
}

/* The vCPU whose list register holds irq must fold it back now, carefully (vgic_lr.c). */
static void mark_holder_stale(const struct frame *f, struct virq *irq)
{
	struct vcpu *holder = f->vcpu ? f->vcpu : &f->vm->vcpus[irq->lr_vcpu];

	holder->vgic.lr_stale = true;
}

static uint32_t bitreg_read(const struct frame *f, enum bitreg kind, unsigned base)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < 32; i++) {
		const struct virq *irq = vgic_irq(f->vm, f->vcpu, base + i);
		bool bit = false;
		if (!in_frame(f, base + i) || !irq)
			continue;
		switch (kind) {
		case REG_GROUP:
			bit = irq->group1;
			break;
		case REG_SENABLE:
		case REG_CENABLE:
			bit = irq->enabled;
			break;
		case REG_SPEND:
		case REG_CPEND:
			bit = irq->pending || irq->lr_pending || level_pending(f, base + i, irq);
			break;
		case REG_SACTIVE:
		case REG_CACTIVE:
			bit = irq->active;
			break;
		}
		v |= (uint32_t)bit << i;
	}
	return v;
}

static void bitreg_write(const struct frame *f, enum bitreg kind, unsigned base, uint32_t val)
{
	for (unsigned i = 0; i < 32; i++) {
		struct virq *irq = vgic_irq(f->vm, f->vcpu, base + i);
		bool bit = val & (1u << i);
		if (!in_frame(f, base + i) || !irq || (!bit && kind != REG_GROUP))
			continue;
		switch (kind) {
		case REG_GROUP:
			irq->group1 = bit;
			break;
		case REG_SENABLE:
		case REG_CENABLE:
			irq->enabled = kind == REG_SENABLE;
			break;
		case REG_SPEND:
		case REG_CPEND:
			irq->pending = kind == REG_SPEND;
			irq->lr_pending = irq->lr_pending && kind == REG_SPEND;
			/* A clear must also reach the pending state a list register holds (the
			   fold-back restores it only while lr_pending); a set needs nothing more,
			   as the fold-back keeps irq->pending. */
			if (irq->in_lr && kind == REG_CPEND)
				mark_holder_stale(f, irq);
			break;
		case REG_SACTIVE:
		case REG_CACTIVE:
			/* A HW-linked interrupt's active state belongs to the physical one. */
			if (!irq->hw) {
				irq->active = kind == REG_SACTIVE;
				if (irq->in_lr) {
					irq->lr_override |= VGIC_OVR_ACTIVE;
					mark_holder_stale(f, irq);
				}
			}
			break;
		}
		vgic_update(f->vm, f->vcpu, base + i);
	}
}

static uint32_t prio_read(const struct frame *f, unsigned base, unsigned width)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < width; i++) {
		const struct virq *irq = vgic_irq(f->vm, f->vcpu, base + i);
		if (in_frame(f, base + i) && irq)
			v |= (uint32_t)irq->priority << (8 * i);
	}
	return v;
}

static void prio_write(const struct frame *f, unsigned base, unsigned width, uint32_t val)
{
	for (unsigned i = 0; i < width; i++) {
		struct virq *irq = vgic_irq(f->vm, f->vcpu, base + i);
		if (in_frame(f, base + i) && irq)
			irq->priority = (uint8_t)(val >> (8 * i));
	}
}

static uint32_t cfg_read(const struct frame *f, unsigned base)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < 16; i++) {
		const struct virq *irq = vgic_irq(f->vm, f->vcpu, base + i);
		if (in_frame(f, base + i) && irq && irq->edge)
			v |= 2u << (2 * i);
	}
	return v;
}

static void cfg_write(const struct frame *f, unsigned base, uint32_t val)
{
	for (unsigned i = 0; i < 16; i++) {
		struct virq *irq = vgic_irq(f->vm, f->vcpu, base + i);
		if (in_frame(f, base + i) && irq && base + i >= 16) { /* SGIs stay edge */
			irq->edge = val & (2u << (2 * i));
			/* A high line is pending only while level-sensitive. */
			vgic_update(f->vm, f->vcpu, base + i);
		}
	}
}

/* The per-interrupt registers common to both frames; false if off is none of them. */
static bool irq_regs(const struct frame *f, uint64_t off, unsigned width, bool write, uint64_t *val)
{
	/* IGROUPR at 0x080, then ISENABLER ... ICACTIVER every 0x80: in enum bitreg order. */
	_Static_assert(GICD_IGROUPR == 0x80 * (REG_GROUP + 1) &&
			   GICD_ICACTIVER == 0x80 * (REG_CACTIVE + 1),
		       "bit registers in enum order");
	if (off >= GICD_IGROUPR && off < GICD_ICACTIVER + 0x80) {
		enum bitreg kind = (enum bitreg)(off / 0x80 - 1);
		unsigned base = (unsigned)(off % 0x80) * 8;
		if (width != 4)
			return !write ? (*val = 0, true) : true;
		if (write)
			bitreg_write(f, kind, base, (uint32_t)*val);
		else
			*val = bitreg_read(f, kind, base);
		return true;
	}
	if (off >= GICD_IPRIORITYR && off < GICD_IPRIORITYR + 0x400) {
		unsigned base = (unsigned)(off - GICD_IPRIORITYR);
		if (width != 1 && width != 4)
			return !write ? (*val = 0, true) : true;
		if (write)
			prio_write(f, base, width, (uint32_t)*val);
		else
			*val = prio_read(f, base, width);
		return true;
	}
	if (off >= GICD_ICFGR && off < GICD_ICFGR + 0x100) {
		unsigned base = (unsigned)(off - GICD_ICFGR) * 4;
		if (width != 4)
			return !write ? (*val = 0, true) : true;
		if (write)
			cfg_write(f, base, (uint32_t)*val);
		else
			*val = cfg_read(f, base);
		return true;
	}
	return false;
}

/* --- distributor --- */

static uint32_t dist_typer(const struct vm *vm)
{
	/* ITLinesNumber, CPUNumber, LPIS, IDbits (LPIs up to the INTIDs they give). */
	return ((VGIC_NR_IRQS / 32) - 1) | ((MIN(vm->vcpu_count, 8u) - 1) << 5) | (1u << 17) |
	       ((VGIC_ID_BITS - 1u) << 19);
}

#define IROUTER_IRM BIT(31)

static uint8_t irouter_to_target(struct vm *vm, uint64_t route)
{
	struct vcpu *vcpu;

	/* 1-of-N: any vCPU may take it; the first one does (every vCPU participates). */
	if (route & IROUTER_IRM)
		return 0;
	/* An affinity no vCPU has: the architecture forwards the SPI to no PE, so it stays
	   pending until the guest routes it somewhere that exists. */
	vcpu = vm->vgic.hooks->vcpu_by_mpidr(vm, route & 0xff00ffffffull);
	return vcpu ? (uint8_t)vcpu->id : VGIC_NO_TARGET;
}

static bool dist_access(struct vm *vm, uint64_t off, unsigned width, bool write, uint64_t *val)
{
	struct frame f = {vm, NULL, VGIC_NR_PRIVATE, VGIC_NR_SPIS};
	struct vgic_dist *d = &vm->vgic;

	if (irq_regs(&f, off, width, write, val))
		return true;
	if (off >= GICD_IROUTER + 8 * VGIC_NR_PRIVATE && off < GICD_IROUTER + 8 * 1020) {
		unsigned intid = (unsigned)(off - GICD_IROUTER) / 8;
		struct virq *irq = vgic_irq(vm, NULL, intid);
		unsigned shift = (off & 4) ? 32 : 0;
		uint64_t mask = width == 8 ? ~0ull : 0xffffffffull << shift;
		if (!irq || width < 4) { /* IROUTER takes 32- and 64-bit accesses only */
			if (!write)
				*val = 0;
			return true;
		}
		if (write) {
			uint64_t v = width == 8 ? *val : *val << shift;
			irq->irouter = ((irq->irouter & ~mask) | (v & mask)) & 0xff80ffffffull;
			irq->target = irouter_to_target(vm, irq->irouter);
			if (irq->in_lr) {
				irq->lr_override |= VGIC_OVR_MOVED;
				vm->vcpus[irq->lr_vcpu].vgic.lr_stale = true;
			}
			vgic_update(vm, NULL, intid);
		} else {
			*val = width == 8 ? irq->irouter : (irq->irouter >> shift) & 0xffffffff;
		}
		return true;
	}
	if (width != 4) {
		if (!write)
			*val = 0;
		return true;
	}
	switch (off) {
	case GICD_CTLR:
		if (write) {
			d->ctlr = (uint32_t)*val & CTLR_ENABLES;
			for (unsigned i = 0; i < VGIC_NR_IRQS; i++)
				for (unsigned c = 0; c < (i < VGIC_NR_PRIVATE ? vm->vcpu_count : 1);
				     c++)
					vgic_update(vm, &vm->vcpus[c], i);
			vgic_its_update_all(vm);
		} else {
			*val = d->ctlr | CTLR_ARE_DS;
		}
		return true;
	case GICD_TYPER:
		if (!write)
			*val = dist_typer(vm);
		return true;
	case GICD_IIDR:
		if (!write)
			*val = IIDR_KESTREL;
		return true;
	case GIC_PIDR2:
		if (!write)
			*val = PIDR2_GICV3;
		return true;
	default:
		if (!write)
			*val = 0;
		return true;
	}
}

/* --- redistributors: one RD frame and one SGI frame per vCPU --- */

static bool redist_access(struct vcpu *vcpu, uint64_t off, unsigned width, bool write,
			  uint64_t *val)
{
	struct vm *vm = vcpu->vm;
	struct frame f = {vm, vcpu, 0, VGIC_NR_PRIVATE};

	if (off >= GICR_SGI) {
		/* What the guest did to its timers and PMU since they fired shows here first. */
		vgic_ppi_resample(vcpu, GUEST_PPI_VTIMER);
		vgic_ppi_resample(vcpu, GUEST_PPI_PTIMER);
		vgic_ppi_resample(vcpu, GUEST_PPI_PMU);
		return irq_regs(&f, off - GICR_SGI, width, write, val) ||
		       (!write ? (*val = 0, true) : true);
	}
	if (off == GICR_TYPER && (width == 8 || width == 4)) {
		uint64_t mpidr = vcpu->vmpidr;
		uint64_t aff = (FIELD(mpidr, 32, 8) << 24) | (mpidr & 0xffffff);
		/* PLPIS; DirectLPI clear: LPIs are the ITS's business. */
		uint64_t typer = (aff << 32) | ((uint64_t)vcpu->id << 8) |
				 (vcpu->id == vm->vcpu_count - 1 ? BIT(4) : 0) | BIT(0);
		if (!write)
			*val = width == 8 ? typer : (uint32_t)typer;
		return true;
	}
	if (vgic_its_redist_access(vcpu, off, width, write, val))
		return true;
	if (off == GICR_TYPER + 4 && width == 4) {
		uint64_t aff = (FIELD(vcpu->vmpidr, 32, 8) << 24) | (vcpu->vmpidr & 0xffffff);
		if (!write)
			*val = aff;
		return true;
	}
	if (width != 4) {
		if (!write)
			*val = 0;
		return true;
	}
	switch (off) {
	case GICR_WAKER:
		if (write)
			vcpu->vgic.waker = (*val & BIT(1)) ? (BIT(1) | BIT(2)) : 0;
		else
			*val = vcpu->vgic.waker;
		return true;
	case GICR_IIDR:
		if (!write)
			*val = IIDR_KESTREL;
		return true;
	case GIC_PIDR2:
		if (!write)
			*val = PIDR2_GICV3;
		return true;
	default: /* STATUSR, ... */
		if (!write)
			*val = 0;
		return true;
	}
}

/* Pending and active state the guest changes without exits lives in list registers. */
static bool pend_active_reg(struct vm *vm, struct mmio_dev *dev, uint64_t off)
{
	if (dev != &vm->vgic.dist_dev) {
		if (off % GUEST_GICR_STRIDE < GICR_SGI)
			return false;
		off = off % GUEST_GICR_STRIDE - GICR_SGI;
	}
	return off >= GICD_ISPENDR && off < GICD_ICACTIVER + 0x80;
}

/* Makes every other vCPU running right now fold its list registers back (KVM stops them
   likewise), so that a read of pending/active state sees what the guest did. */
static void sync_running_vcpus(struct vcpu *reader)
{
	struct vm *vm = reader->vm;

	for (unsigned i = 0; i < vm->vcpu_count; i++) {
		struct vcpu *v = &vm->vcpus[i];
		if (v != reader && v->vgic.lr_used)
			vm->vgic.hooks->sync_lrs(v);
	}
}

static bool locked_access(struct mmio_dev *dev, struct vcpu *vcpu, uint64_t off, unsigned width,
			  bool write, uint64_t *val)
{
	struct vm *vm = vcpu->vm;
	bool ok;

	if (!write && pend_active_reg(vm, dev, off))
		sync_running_vcpus(vcpu);
	if (!IS_ALIGNED(off, width))
		return false;
	spin_lock(&vm->vgic.lock);
	if (dev == &vm->vgic.dist_dev) {
		ok = dist_access(vm, off, width, write, val);
	} else {
		unsigned idx = (unsigned)(off / GUEST_GICR_STRIDE);
		ok = idx < vm->vcpu_count &&
		     redist_access(&vm->vcpus[idx], off % GUEST_GICR_STRIDE, width, write, val);
	}
	spin_unlock(&vm->vgic.lock);
	/* Whoever now has a deliverable interrupt must notice it, woken the way an injection
	   wakes it (a vCPU blocked behind another on its CPU included); and whoever holds in a
	   list register an interrupt whose state or route just changed must fold it back, so
	   that the change takes effect now, not at its next exit. */
	if (write)
		for (unsigned i = 0; i < vm->vcpu_count; i++) {
			struct vcpu *v = &vm->vcpus[i];
			if (v != vcpu &&
			    ((v->vgic.want[0] | v->vgic.want[1]) || READ_ONCE(v->vgic.lr_stale)))
				vm->vgic.hooks->kick(v);
		}
	return ok;
}

static bool vgic_read(struct mmio_dev *dev, struct vcpu *vcpu, uint64_t off, unsigned width,
		      uint64_t *val)
{
	struct vm *vm = vcpu->vm;

	/* The distributor's identification registers and CTLR (one word) need no lock. */
	if (dev == &vm->vgic.dist_dev && width == 4) {
		switch (off) {
		case GICD_CTLR:
			*val = READ_ONCE(vm->vgic.ctlr) | CTLR_ARE_DS;
			return true;
		case GICD_TYPER:
			*val = dist_typer(vm);
			return true;
		case GICD_IIDR:
			*val = IIDR_KESTREL;
			return true;
		case GIC_PIDR2:
			*val = PIDR2_GICV3;
			return true;
		default:
			break;
		}
	}
	return locked_access(dev, vcpu, off, width, false, val);
}

static bool vgic_write(struct mmio_dev *dev, struct vcpu *vcpu, uint64_t off, unsigned width,
		       uint64_t val)
{
	return locked_access(dev, vcpu, off, width, true, &val);
}

static const struct mmio_ops vgic_ops = {vgic_read, vgic_write};

void vgic_mmio_describe(struct vm *vm)
{
	vm->vgic.dist_dev = (struct mmio_dev){GUEST_GICD_BASE, GUEST_GICD_SIZE, "gicd", &vgic_ops};
	vm->vgic.redist_dev = (struct mmio_dev){GUEST_GICR_BASE, GUEST_GICR_STRIDE * vm->vcpu_count,
						"gicr", &vgic_ops};
}
