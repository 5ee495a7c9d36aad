/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The hardware side of the vGIC: the ICH_LR list registers and the saved CPU-interface state.
 * After every exit the list registers are folded back into the interrupt state (what the
 * guest acknowledged or completed), and before every entry the most urgent deliverable
 * interrupts go back in. Exits with nothing in flight skip both with one test each.
 */
#include <kestrel/drivers.h>
#include <kestrel/guest_layout.h>
#include <kestrel/hyp.h>
#include <kestrel/lib.h>
#include <kestrel/sysreg.h>
#include <kestrel/vgic.h>
#include <kestrel/vm.h>

#ifndef KESTREL_HOST_TEST
/* ICH_LR<n>_EL2 is S3_4_C12_C12_n for n < 8 and S3_4_C12_C13_(n-8) above: the assembler
   needs the encoding in the instruction, so each access is one case of a switch. */
#define LR_LIST(X)                                                                                 \
	X(0, 12, 0)                                                                                \
	X(1, 12, 1)                                                                                \
	X(2, 12, 2)                                                                                \
	X(3, 12, 3)                                                                                \
	X(4, 12, 4)                                                                                \
	X(5, 12, 5)                                                                                \
	X(6, 12, 6)                                                                                \
	X(7, 12, 7)                                                                                \
	X(8, 13, 0)                                                                                \
	X(9, 13, 1)                                                                                \
	X(10, 13, 2)                                                                               \
	X(11, 13, 3)                                                                               \
	X(12, 13, 4)                                                                               \
	X(13, 13, 5)                                                                               \
	X(14, 13, 6)                                                                               \
	X(15, 13, 7)

static uint64_t read_lr(unsigned n)
{
#define READ_CASE(i, crm, op2)                                                                     \
	case i:                                                                                    \
		return read_sysreg(S3_4_C12_C##crm##_##op2);
	switch (n) {
		LR_LIST(READ_CASE)
	default:
		return 0;
	}
#undef READ_CASE
}

static void write_lr(unsigned n, uint64_t v)
{
#define WRITE_CASE(i, crm, op2)                                                                    \
	case i:                                                                                    \
		write_sysreg(S3_4_C12_C##crm##_##op2, v);                                          \
		break;
	switch (n) {
		LR_LIST(WRITE_CASE)
	default:
		break;
	}
#undef WRITE_CASE
}

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
		/* A timer's, not taken yet: the guest may have masked or stopped it since. */
		if (irq->hw && intid < VGIC_NR_PRIVATE)
			vgic_timer_resample(vcpu, intid);
	}
	irq->lr_pending = false;
	vgic_update(vm, vcpu, intid);
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
			state = read_lr(n) >> LR_STATE_SHIFT;
			write_lr(n, 0);
		}
		unsigned intid = c->lr_intid[n];
		struct virq *irq = vgic_irq(vm, vcpu, intid);
		if (!irq)
			continue;
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

void vgic_sync_lrs_slow(struct vgic_cpu *c, struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	uint32_t used = c->lr_used, moved;

	c->syncs++;
	if (c->hcr & VGIC_HCR_UIE) {
		/* With the list registers emptied, underflow would hold the maintenance
		   interrupt asserted until the next flush: drop the request now. */
		write_sysreg(ICH_HCR_EL2, c->hcr = VGIC_HCR_EN);
		isb();
	}
	if (!used)
		return;
	/* An empty list register (ICH_ELRSR_EL2) is one the guest acknowledged and completed:
	   nothing to read back, and hardware ignores it until it is filled again. */
	uint64_t empty = read_sysreg(ICH_ELRSR_EL2);
	spin_lock(&vm->vgic.lock);
	moved = unlikely(c->lr_stale) ? fold_lrs(c, vcpu, used, empty, true)
				      : fold_lrs(c, vcpu, used, empty, false);
	c->lr_used = 0;
	spin_unlock(&vm->vgic.lock);
	for (unsigned t = 0; moved; t++, moved >>= 1)
		if (moved & 1)
			vm->vgic.hooks->kick(&vm->vcpus[t]);
}

/* List register n takes intid: its pending latch moves into the register. */
static void fill_lr(struct vgic_cpu *c, struct vcpu *vcpu, unsigned n, unsigned intid)
{
	struct virq *irq = vgic_irq(vcpu->vm, vcpu, intid);

	write_lr(n, vgic_lr_encode(intid, irq));
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
		vgic_update(vcpu->vm, vcpu, intid);
	}
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

void vgic_flush_lrs_slow(struct vgic_cpu *c, struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	unsigned nr = vm->vgic.nr_lrs, filled = 0, wanted = 0;
	uint64_t hcr = VGIC_HCR_EN;

	if (!(c->want[0] | c->want[1])) {
		if (c->hcr != hcr)
			write_sysreg(ICH_HCR_EL2, c->hcr = hcr);
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
		write_sysreg(ICH_HCR_EL2, c->hcr = hcr);
}

unsigned vgic_hw_apr_count(void)
{
	static unsigned count;

	if (!READ_ONCE(count))
		__atomic_store_n(&count, vgic_apr_count(read_sysreg(ICH_VTR_EL2)),
				 __ATOMIC_RELAXED);
	return count;
}

/* ICH_AP0R<n>_EL2 is S3_4_C12_C8_n, ICH_AP1R<n>_EL2 S3_4_C12_C9_n: one pair per case, the
   higher ones falling through to the lower ones that every CPU interface has. */
static void write_aprs(const struct vgic_cpuif *s, unsigned count)
{
	switch (count) {
	case 4:
		write_sysreg(S3_4_C12_C8_3, s->ap0r[3]);
		write_sysreg(S3_4_C12_C9_3, s->ap1r[3]);
		write_sysreg(S3_4_C12_C8_2, s->ap0r[2]);
		write_sysreg(S3_4_C12_C9_2, s->ap1r[2]);
		/* fall through */
	case 2:
		write_sysreg(S3_4_C12_C8_1, s->ap0r[1]);
		write_sysreg(S3_4_C12_C9_1, s->ap1r[1]);
		/* fall through */
	default:
		write_sysreg(S3_4_C12_C8_0, s->ap0r[0]);
		write_sysreg(S3_4_C12_C9_0, s->ap1r[0]);
	}
}

static void read_aprs(struct vgic_cpuif *s, unsigned count)
{
	switch (count) {
	case 4:
		s->ap0r[3] = (uint32_t)read_sysreg(S3_4_C12_C8_3);
		s->ap1r[3] = (uint32_t)read_sysreg(S3_4_C12_C9_3);
		s->ap0r[2] = (uint32_t)read_sysreg(S3_4_C12_C8_2);
		s->ap1r[2] = (uint32_t)read_sysreg(S3_4_C12_C9_2);
		/* fall through */
	case 2:
		s->ap0r[1] = (uint32_t)read_sysreg(S3_4_C12_C8_1);
		s->ap1r[1] = (uint32_t)read_sysreg(S3_4_C12_C9_1);
		/* fall through */
	default:
		s->ap0r[0] = (uint32_t)read_sysreg(S3_4_C12_C8_0);
		s->ap1r[0] = (uint32_t)read_sysreg(S3_4_C12_C9_0);
	}
}

void vgic_load(struct vcpu *vcpu)
{
	/* A linked interrupt the guest is still handling (active, as vgic_put left it) holds
	   its physical one active too, so that a level still high does not fire again before
	   the guest's EOI, which deactivates both. Only the timers' PPIs are ever linked. */
	const unsigned timers[] = {GUEST_PPI_VTIMER, GUEST_PPI_PTIMER};
	for (unsigned t = 0; t < ARRAY_SIZE(timers); t++) {
		const struct virq *irq = &vcpu->vgic.priv[timers[t]];
		if (irq->hw && irq->active)
			gicv3_activate_ppi(irq->hw_intid);
	}
	write_sysreg(S3_4_C12_C11_7, vcpu->vgic.cpuif.vmcr); /* ICH_VMCR_EL2 */
	/* The active priorities: every register the CPU interface has, or a preempted handler's
	   priority would be lost (or another vCPU's would mask this one's interrupts). */
	write_aprs(&vcpu->vgic.cpuif, vcpu->vm->vgic.nr_aprs);
	write_sysreg(ICH_HCR_EL2, vcpu->vgic.hcr = VGIC_HCR_EN);
}

void vgic_put(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;

	vgic_sync_lrs_slow(&vcpu->vgic, vcpu);
	vcpu->vgic.cpuif.vmcr = read_sysreg(S3_4_C12_C11_7);
	read_aprs(&vcpu->vgic.cpuif, vm->vgic.nr_aprs);
	write_sysreg(ICH_HCR_EL2, 0);
	/* The physical PPI serves whichever vCPU this CPU runs next: release it. The virtual
	   one keeps its active state (the guest may be inside its handler; vgic_load makes the
	   physical one active again); a pending one is dropped, because the source is a level
	   that fires again at the next load if it is still due. */
	spin_lock(&vm->vgic.lock);
	for (unsigned i = 16; i < VGIC_NR_PRIVATE; i++) {
		struct virq *irq = &vcpu->vgic.priv[i];
		if (!irq->hw)
			continue;
		if (irq->pending || irq->active)
			write_sysreg(ICC_DIR_EL1, irq->hw_intid);
		irq->pending = irq->lr_pending = false;
		irq->hw = irq->active;
		vgic_update(vm, vcpu, i);
	}
	spin_unlock(&vm->vgic.lock);
	isb();
}
#endif
