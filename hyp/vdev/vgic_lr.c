/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The hardware side of the vGIC: the ICH_LR list registers and the saved CPU-interface state.
 * After every exit the list registers are folded back into the interrupt state (what the
 * guest acknowledged or completed), and before every entry the most urgent deliverable
 * interrupts go back in. Exits with nothing in flight skip both with one test each.
 */
#include <kestrel/gicv3.h>
#include <kestrel/guest_layout.h>
#include <kestrel/hyp.h>
#include <kestrel/lib.h>
#include <kestrel/sysreg_defs.h>
#include <kestrel/vgic.h>
#include <kestrel/vm.h>

/* One list register given back: what the guest did with it goes into the interrupt. */
static inline __attribute__((always_inline)) void
fold_lr(struct vm *vm, struct vcpu *vcpu, struct virq *irq, unsigned intid, uint64_t state)
{
	irq->in_lr = false;
	irq->active = state & LR_ACTIVE;
	/* Not yet acknowledged: the latch comes back. A new edge that arrived while the
	   interrupt sat in the list register is already in irq->pending. */
	if ((state & LR_PENDING) && irq->lr_pending) {
		irq->pending = true;
		/* A timer's or the PMU's, not taken yet: the guest may have masked or stopped
		   it since. */
		if (irq->hw && intid < VGIC_NR_PRIVATE)
			vgic_ppi_resample(vcpu, intid);
	}
	irq->lr_pending = false;
	vgic_update(vm, vcpu, intid);
}

/* An LPI's list register given back: its slot is looked up, and an LPI that moved meanwhile
   (MOVI, MAPC, MOVALL) goes to its new target, kicked at once (a kick takes no lock). */
static __attribute__((noinline)) void fold_lpi(struct vcpu *vcpu, unsigned intid, uint64_t state)
{
	struct vm *vm = vcpu->vm;
	struct virq *irq = vgic_its_lpi(vm, intid);
	struct vcpu *t;

	if (!irq)
		return;
	irq->in_lr = false;
	irq->active = state & LR_ACTIVE;
	if ((state & LR_PENDING) && irq->lr_pending)
		irq->pending = true;
	irq->lr_pending = false;
	irq->lr_override = 0;
	vgic_its_update(vm, intid);
	t = vgic_spi_target(vm, irq);
	if (t && t != vcpu && (t->vgic.want[VGIC_WANT_LPI / 64] & BIT(VGIC_WANT_LPI % 64)))
		vm->vgic.hooks->kick(t);
}

/*
 * Folds every used list register back. With stale set, another vCPU changed an interrupt
 * while it sat in one of them (vgic_mmio.c set lr_stale and kicked us): its written active
 * state wins over the register's, and an SPI routed elsewhere meanwhile goes to its new
 * target, which must notice it (returned: a mask of vCPUs to kick). Inlined twice, with
 * stale a constant, so the common fold-back pays nothing for the rare one.
 */
static inline __attribute__((always_inline)) uint32_t
fold_lrs(struct vgic_cpu *c, struct vcpu *vcpu, uint32_t used, uint64_t empty, bool stale)
{
	struct vm *vm = vcpu->vm;
	uint32_t moved = 0;

	for (unsigned n = 0; used; n++, used >>= 1) {
		if (!(used & 1))
			continue;
		uint64_t state = 0;
		if (!(empty & BIT(n))) {
			state = arch_ich_lr_read(n) >> LR_STATE_SHIFT;
			arch_ich_lr_write(n, 0);
		}
		unsigned intid = c->lr_intid[n];
		struct virq *irq = vgic_irq(vm, vcpu, intid);
		if (!irq) {
			fold_lpi(vcpu, intid, state); /* out of the common fold's way */
			continue;
		}
		uint8_t override = stale ? irq->lr_override : 0;
		if (stale) {
			irq->lr_override = 0;
			if (override & VGIC_OVR_ACTIVE)
				state = (state & ~LR_ACTIVE) | (irq->active ? LR_ACTIVE : 0);
		}
		fold_lr(vm, vcpu, irq, intid, state);
		if (override & VGIC_OVR_MOVED) {
			struct vcpu *t = vgic_spi_target(vm, irq);
			if (t && t != vcpu)
				moved |= 1u << t->id;
		}
	}
	if (stale)
		c->lr_stale = false;
	return moved;
}

void vgic_lr_sync_slow(struct vgic_cpu *c, struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	uint32_t used = c->lr_used, moved;

	c->syncs++;
	if (c->hcr & VGIC_HCR_UIE) {
		/* With the list registers emptied, underflow would hold the maintenance
		   interrupt asserted until the next flush: drop the request now. */
		arch_ich_hcr_write(c->hcr = VGIC_HCR_EN);
		isb();
	}
	if (!used)
		return;
	/* An empty list register (ICH_ELRSR_EL2) is one the guest acknowledged and completed:
	   nothing to read back, and hardware ignores it until it is filled again. */
	uint64_t empty = arch_ich_elrsr();
	spin_lock(&vm->vgic.lock);
	moved = unlikely(c->lr_stale) ? fold_lrs(c, vcpu, used, empty, true)
				      : fold_lrs(c, vcpu, used, empty, false);
	c->lr_used = 0;
	spin_unlock(&vm->vgic.lock);
	for (unsigned t = 0; moved; t++, moved >>= 1)
		if (moved & 1)
			vm->vgic.hooks->kick(&vm->vcpus[t]);
}

/* List register n takes intid (irq; lpi: an LPI): its pending latch moves into the register. */
static inline __attribute__((always_inline)) void fill_lr_irq(struct vgic_cpu *c, struct vcpu *vcpu,
							      unsigned n, unsigned intid,
							      struct virq *irq, bool lpi)
{
	arch_ich_lr_write(n, vgic_lr_encode(intid, irq));
	irq->in_lr = true;
	irq->lr_pending = irq->pending;
	irq->pending = false;
	c->lr_intid[n] = (uint16_t)intid;
	c->lr_used |= 1u << n;
	/* In a list register it is wanted no more: a private one by this vCPU only, an SPI
	   (whose stale bits vgic_update clears everywhere) through the general path. */
	if (intid < VGIC_NR_PRIVATE) {
		c->want[0] &= ~BIT(intid);
	} else {
		irq->lr_vcpu = (uint8_t)vcpu->id;
		if (lpi)
			vgic_its_update(vcpu->vm, intid);
		else
			vgic_update(vcpu->vm, vcpu, intid);
	}
}

static void fill_lr(struct vgic_cpu *c, struct vcpu *vcpu, unsigned n, unsigned intid)
{
	fill_lr_irq(c, vcpu, n, intid, vgic_irq(vcpu->vm, vcpu, intid), false);
}

/* Most urgent first: the wanted interrupt of lowest priority value, or VGIC_NR_IRQS. */
static unsigned most_urgent(struct vgic_cpu *c, struct vcpu *vcpu)
{
	unsigned best = VGIC_NR_IRQS;

	for (unsigned w = 0; w < VGIC_WANT_WORDS; w++)
		for (uint64_t bits = c->want[w]; bits; bits &= bits - 1) {
			unsigned intid = w * 64 + (unsigned)__builtin_ctzll(bits);
			if (best == VGIC_NR_IRQS || vgic_irq(vcpu->vm, vcpu, intid)->priority <
							vgic_irq(vcpu->vm, vcpu, best)->priority)
				best = intid;
		}
	return best;
}

_Static_assert(VGIC_WANT_WORDS == 2 && VGIC_NR_PRIVATE <= 64, "want bitmap layout");

#define WANT_LPI_BIT BIT(VGIC_WANT_LPI % 64)

/*
 * vgic_lr_flush_slow while LPIs are wanted (VGIC_WANT_LPI, which stands for them): every
 * wanted interrupt, LPIs found through their slots, in order of urgency, as many as fit. Apart
 * from the common flush, which tests one bit for it.
 */
static __attribute__((noinline)) void flush_with_lpis(struct vgic_cpu *c, struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	unsigned nr = vm->vgic.nr_lrs, wanted, filled = 0;
	uint64_t hcr = VGIC_HCR_EN;

	spin_lock(&vm->vgic.lock);
	wanted = vgic_its_wanted(vcpu, nr);
	for (uint64_t bits = c->want[0]; bits; bits &= bits - 1)
		wanted++;
	for (uint64_t bits = c->want[1] & ~WANT_LPI_BIT; bits; bits &= bits - 1)
		wanted++;
	while (filled < MIN(nr, wanted)) {
		unsigned best = VGIC_NR_IRQS, prio = 256, lpi;
		for (unsigned i = 0; i < VGIC_NR_IRQS; i++)
			if ((c->want[i / 64] & BIT(i % 64)) &&
			    vgic_irq(vm, vcpu, i)->priority < prio) {
				best = i;
				prio = vgic_irq(vm, vcpu, i)->priority;
			}
		lpi = vgic_its_urgent(vcpu, &prio);
		if (lpi)
			fill_lr_irq(c, vcpu, filled++, lpi, vgic_its_lpi(vm, lpi), true);
		else if (best < VGIC_NR_IRQS)
			fill_lr_irq(c, vcpu, filled++, best, vgic_irq(vm, vcpu, best), false);
		else
			break;
	}
	if (wanted > nr)
		hcr |= VGIC_HCR_UIE;
	spin_unlock(&vm->vgic.lock);
	if (c->hcr != hcr)
		arch_ich_hcr_write(c->hcr = hcr);
}

void vgic_lr_flush_slow(struct vgic_cpu *c, struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	unsigned nr = vm->vgic.nr_lrs, filled = 0, wanted = 0;
	uint64_t hcr = VGIC_HCR_EN;

	if (unlikely(c->want[1] & WANT_LPI_BIT)) {
		flush_with_lpis(c, vcpu);
		return;
	}
	if (!(c->want[0] | c->want[1])) {
		if (c->hcr != hcr)
			arch_ich_hcr_write(c->hcr = hcr);
		return;
	}
	spin_lock(&vm->vgic.lock);
	/* Counted bit by bit (libgcc's popcount uses SIMD registers), up to what fits. */
	for (unsigned w = 0; w < VGIC_WANT_WORDS; w++)
		for (uint64_t bits = c->want[w]; bits && wanted <= nr; bits &= bits - 1)
			wanted++;
	if (wanted <= nr) {
		/* Everything fits, so order does not matter: the CPU interface itself presents
		   the most urgent list register first. */
		for (unsigned w = 0; w < VGIC_WANT_WORDS; w++)
			for (uint64_t bits = c->want[w]; bits; bits &= bits - 1)
				fill_lr(c, vcpu, filled++,
					w * 64 + (unsigned)__builtin_ctzll(bits));
	} else {
		while (filled < nr)
			fill_lr(c, vcpu, filled++, most_urgent(c, vcpu));
		/* More than fits: ask for a maintenance interrupt when the list runs low. */
		hcr |= VGIC_HCR_UIE;
	}
	spin_unlock(&vm->vgic.lock);
	if (c->hcr != hcr)
		arch_ich_hcr_write(c->hcr = hcr);
}

unsigned vgic_lr_hw_apr_count(void)
{
	static unsigned count;

	if (!READ_ONCE(count))
		__atomic_store_n(&count, vgic_apr_count(arch_ich_vtr()), __ATOMIC_RELAXED);
	return count;
}

/* The timers' PPIs, linked to physical ones whenever they fire (vgic_inject_hw), so load and
   put look at these and not at all sixteen PPIs. The PMU's is linked only for a vCPU that
   uses it: its load and put do that one themselves (vgic_lr_load_linked, vgic_lr_put_linked),
   so that the others pay nothing for it. */
static const unsigned linked_ppis[] = {GUEST_PPI_VTIMER, GUEST_PPI_PTIMER};

/* A linked interrupt the guest is still handling (active, as put_linked left it) holds its
   physical one active too, so that a level still high does not fire again before the
   guest's EOI, which deactivates both. */
static inline void load_linked(struct vcpu *vcpu, unsigned intid)
{
	const struct virq *irq = &vcpu->vgic.priv[intid];

	if (irq->hw && irq->active)
		gicv3_activate_ppi(irq->hw_intid);
}

/* The physical PPI serves whichever vCPU this CPU runs next: release it. The virtual one
   keeps its active state (the guest may be inside its handler; load_linked makes the
   physical one active again); a pending one is dropped, because the source is a level that
   fires again at the next load if it is still due. Vgic lock held. */
static inline void put_linked(struct vm *vm, struct vcpu *vcpu, unsigned intid)
{
	struct virq *irq = &vcpu->vgic.priv[intid];

	if (!irq->hw)
		return;
	if (irq->pending || irq->active)
		arch_icc_deactivate(irq->hw_intid);
	irq->pending = irq->lr_pending = false;
	irq->hw = irq->active;
	vgic_update(vm, vcpu, intid);
}

void vgic_lr_load_linked(struct vcpu *vcpu, unsigned intid)
{
	load_linked(vcpu, intid);
}

void vgic_lr_put_linked(struct vcpu *vcpu, unsigned intid)
{
	struct vm *vm = vcpu->vm;

	spin_lock(&vm->vgic.lock);
	put_linked(vm, vcpu, intid);
	spin_unlock(&vm->vgic.lock);
}

void vgic_lr_load(struct vcpu *vcpu)
{
	for (unsigned t = 0; t < ARRAY_SIZE(linked_ppis); t++)
		load_linked(vcpu, linked_ppis[t]);
	/* The active priorities: every register the CPU interface has, or a preempted handler's
	   priority would be lost (or another vCPU's would mask this one's interrupts). */
	arch_vgic_cpuif_load(&vcpu->vgic.cpuif, vcpu->vm->vgic.nr_aprs);
	arch_ich_hcr_write(vcpu->vgic.hcr = VGIC_HCR_EN);
}

void vgic_lr_put(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;

	vgic_lr_sync_slow(&vcpu->vgic, vcpu);
	arch_vgic_cpuif_save(&vcpu->vgic.cpuif, vm->vgic.nr_aprs);
	arch_ich_hcr_write(0);
	spin_lock(&vm->vgic.lock);
	for (unsigned t = 0; t < ARRAY_SIZE(linked_ppis); t++)
		put_linked(vm, vcpu, linked_ppis[t]);
	spin_unlock(&vm->vgic.lock);
	isb();
}
