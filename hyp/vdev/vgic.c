/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Virtual interrupt state: injection, level changes, SGIs, and the "want" bitmap per vCPU
 * that tells the list-register code, without scanning, which interrupts need a slot.
 */
#include <kestrel/gicv3.h>
#include <kestrel/lib.h>
#include <kestrel/vgic.h>
#include <kestrel/vm.h>

#define GICD_CTLR_GRP1 BIT(1)

static inline __attribute__((always_inline)) bool deliverable(const struct vm *vm,
							      const struct virq *irq)
{
	bool pending = irq->pending || (!irq->edge && irq->line);

	if (irq->in_lr)
		return false;
	if (irq->active)
		return true; /* must stay visible to the guest until it deactivates it */
	return pending && irq->enabled && irq->group1 && (vm->vgic.ctlr & GICD_CTLR_GRP1);
}

static void set_want(struct vcpu *vcpu, unsigned intid, bool want)
{
	uint64_t bit = BIT(intid % 64);

	if (want) {
		vcpu->vgic.want[intid / 64] |= bit;
		vcpu->attention = 1;
	} else
		vcpu->vgic.want[intid / 64] &= ~bit;
}

void vgic_update(struct vm *vm, struct vcpu *vcpu, unsigned intid)
{
	struct virq *irq;

	/* A vCPU's own SGIs and PPIs: the common case on every interrupt's way in and out. */
	if (intid < VGIC_NR_PRIVATE) {
		if (vcpu)
			set_want(vcpu, intid, deliverable(vm, &vcpu->vgic.priv[intid]));
		return;
	}
	irq = vgic_irq(vm, vcpu, intid);
	if (!irq)
		return; /* LPIs: vgic_its_update */
	/* An SPI is wanted by its target only; clear any stale bit on the others. */
	for (unsigned i = 0; i < vm->vcpu_count; i++)
		set_want(&vm->vcpus[i], intid, false);
	vcpu = vgic_spi_target(vm, irq);
	if (vcpu)
		set_want(vcpu, intid, deliverable(vm, irq));
}

struct vcpu *vgic_spi_target(struct vm *vm, const struct virq *irq)
{
	/* An active SPI stays with the vCPU whose list register last held it: only that vCPU's
	   guest can deactivate it (its EOI names its own list register), so moving it with a new
	   route would leave it active for ever. As KVM does, it follows the route once inactive. */
	if (irq->active && irq->lr_vcpu < vm->vcpu_count)
		return &vm->vcpus[irq->lr_vcpu];
	return irq->target < vm->vcpu_count ? &vm->vcpus[irq->target] : NULL;
}

/* Makes the target notice: a vCPU running elsewhere exits, a sleeping one wakes. An SPI
   routed to no vCPU has nobody to tell. */
static void notify(struct vcpu *vcpu)
{
	if (vcpu)
		vcpu->vm->vgic.hooks->kick(vcpu);
}

void vgic_inject(struct vm *vm, struct vcpu *vcpu, unsigned intid)
{
	struct virq *irq = vgic_irq(vm, vcpu, intid);

	if (!irq)
		return;
	/* Pending already: nothing changes, and whoever made it pending told the target. No
	   lock, no kick: else a VM ringing a doorbell (or sending an SGI) in a loop would take
	   its peer's CPU time with interrupts and its vGIC lock (test hostile-doorbell). */
	if (*(volatile bool *)&irq->pending)
		return;
	spin_lock(&vm->vgic.lock);
	irq->pending = true;
	if (intid >= VGIC_NR_PRIVATE)
		vcpu = vgic_spi_target(vm, irq);
	vgic_update(vm, vcpu, intid);
	spin_unlock(&vm->vgic.lock);
	notify(vcpu);
}

void vgic_set_line(struct vm *vm, unsigned intid, bool level)
{
	struct virq *irq = vgic_irq(vm, NULL, intid);
	struct vcpu *vcpu;

	if (!irq || irq->line == level)
		return;
	spin_lock(&vm->vgic.lock);
	irq->line = level;
	if (irq->edge && level)
		irq->pending = true;
	vcpu = vgic_spi_target(vm, irq);
	vgic_update(vm, vcpu, intid);
	spin_unlock(&vm->vgic.lock);
	if (level)
		notify(vcpu);
}

void vgic_inject_hw(struct vcpu *vcpu, unsigned intid)
{
	struct vm *vm = vcpu->vm;
	struct virq *irq = &vcpu->vgic.priv[intid % VGIC_NR_PRIVATE];

	spin_lock(&vm->vgic.lock);
	irq->hw = true;
	irq->hw_intid = (uint16_t)intid;
	irq->pending = true;
	vgic_update(vm, vcpu, intid);
	spin_unlock(&vm->vgic.lock);
}

/*
 * A timer's output is a level, and so is the PMU's overflow interrupt, but each reaches the
 * vGIC as its physical interrupt, latched pending (vgic_inject_hw) and linked, so the guest's
 * EOI of the virtual interrupt deactivates the physical one. The guest can lower the level
 * without an exit (a timer's IMASK, ENABLE, a new CVAL; the PMU's PMOVSCLR, PMINTENCLR,
 * PMCR_EL0.E), so kestrel samples the source again wherever the difference would show: a
 * list register given back not yet taken (vgic_lr.c) and an access to the vCPU's
 * redistributor. A latch whose level has gone is dropped, and its physical PPI, held active
 * for a delivery that will not come, released: the source can fire again.
 */
void vgic_ppi_resample(struct vcpu *vcpu, unsigned intid)
{
	struct vm *vm = vcpu->vm;
	struct virq *irq = &vcpu->vgic.priv[intid];
	bool here = false;

	if (!irq->pending || !irq->hw ||
	    vm->vgic.hooks->ppi_level(vcpu, intid, &here) != VGIC_LEVEL_LOW)
		return;
	irq->pending = false;
	if (here && irq->hw && !irq->active && !irq->in_lr) {
		gicv3_deactivate(irq->hw_intid);
		irq->hw = false;
	}
	vgic_update(vm, vcpu, intid);
}

void vgic_inject_hw_spi(struct vm *vm, unsigned intid)
{
	struct virq *irq = vgic_irq(vm, NULL, intid);
	struct vcpu *vcpu;

	if (!irq)
		return;
	spin_lock(&vm->vgic.lock);
	irq->hw = true;
	irq->hw_intid = (uint16_t)intid;
	irq->pending = true;
	vcpu = vgic_spi_target(vm, irq);
	vgic_update(vm, vcpu, intid);
	spin_unlock(&vm->vgic.lock);
	notify(vcpu);
}

void vgic_release_hw(struct vm *vm)
{
	spin_lock(&vm->vgic.lock);
	for (unsigned i = 0; i < VGIC_NR_SPIS; i++) {
		struct virq *irq = &vm->vgic.spis[i];
		if (irq->hw && (irq->pending || irq->lr_pending || irq->active || irq->in_lr))
			gicv3_deactivate(irq->hw_intid);
		irq->hw = false;
	}
	spin_unlock(&vm->vgic.lock);
}

bool vgic_sgi_targets(const struct vcpu *sender, const struct vcpu *t, uint64_t sgir)
{
	uint64_t mpidr = t->vmpidr & 0xff00ffffffull;
	uint64_t aff321 =
	    (FIELD(sgir, 48, 8) << 32) | (FIELD(sgir, 32, 8) << 16) | (FIELD(sgir, 16, 8) << 8);
	unsigned aff0 = (unsigned)(mpidr & 0xff);

	if (sgir & BIT(40)) /* IRM: every PE but the sender */
		return t != sender;
	/* TargetList bit n names Aff0 RS * 16 + n within the cluster Aff3.Aff2.Aff1. */
	return (mpidr & ~0xffull) == aff321 && aff0 / 16 == FIELD(sgir, 44, 4) &&
	       (FIELD(sgir, 0, 16) & BIT(aff0 % 16));
}

void vgic_send_sgi(struct vcpu *vcpu, uint64_t sgir, bool group0_only)
{
	struct vm *vm = vcpu->vm;
	unsigned intid = (unsigned)FIELD(sgir, 24, 4);

	for (unsigned i = 0; i < vm->vcpu_count; i++) {
		struct vcpu *t = &vm->vcpus[i];
		/* The group is the target's: GICR_IGROUPR0 is per redistributor. Read without the
		   lock, as the guest's own write of it could land either side of this SGI. */
		if (vgic_sgi_targets(vcpu, t, sgir) &&
		    !(group0_only && READ_ONCE(t->vgic.priv[intid].group1)))
			vgic_inject(vm, t, intid);
	}
}

bool vgic_vcpu_pending(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	struct vgic_cpu *c = &vcpu->vgic;

	/* The want bitmap already holds every deliverable interrupt not in a list register. */
	if (c->lr_used)
		return true;
	/* Without the lock: an answer made stale by another CPU's change is followed by that
	   CPU's kick, which asks again; a spurious wake-up is a WFI that returns early. */
	for (unsigned w = 0; w < VGIC_WANT_WORDS; w++)
		for (uint64_t bits = READ_ONCE(c->want[w]); bits; bits &= bits - 1) {
			const struct virq *irq =
			    vgic_irq(vm, vcpu, w * 64 + (unsigned)__builtin_ctzll(bits));
			/* No interrupt but VGIC_WANT_LPI, the last bit: the LPIs it stands for. */
			if (unlikely(!irq))
				return vgic_its_pending(vcpu);
			if (!READ_ONCE(irq->active))
				return true;
		}
	return false;
}

void vgic_init(struct vm *vm, unsigned nr_lrs, const struct vgic_hooks *hooks)
{
	vm->vgic.hooks = hooks;
	memset(&vm->vgic.spis, 0, sizeof(vm->vgic.spis));
	vm->vgic.ctlr = 0;
	vm->vgic.nr_lrs = MIN(nr_lrs, (unsigned)VGIC_MAX_LRS);
	vm->vgic.nr_aprs = vgic_lr_hw_apr_count();
	for (unsigned i = 0; i < vm->vcpu_count; i++) {
		struct vgic_cpu *c = &vm->vcpus[i].vgic;
		memset(c, 0, sizeof(*c));
		c->waker = BIT(1) | BIT(2); /* ProcessorSleep, ChildrenAsleep */
		for (unsigned s = 0; s < 16; s++)
			c->priv[s].edge = true; /* SGIs are always edge-triggered */
	}
	vgic_mmio_describe(vm);
	vgic_its_init(vm);
}
