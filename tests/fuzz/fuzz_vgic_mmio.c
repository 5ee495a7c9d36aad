/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz-sources: hyp/vdev/vgic.c hyp/vdev/vgic_mmio.c hyp/vdev/vgic_lr.c hyp/core/mmio.c */
/* fuzz-sources: hyp/vdev/vgic_its.c hyp/arch/fake/cpu.c hyp/arch/fake/gic_cpuif.c */
/*
 * The virtual GICv3 of a VM with 1..4 vCPUs: guest accesses to the distributor and the
 * redistributors (through the VM's MMIO router, as abort.c dispatches them) interleaved with
 * what devices and other vCPUs do (vgic_inject, vgic_set_line, vgic_inject_hw, vgic_send_sgi).
 * A second VM sits right after the first in memory and must stay bit-identical.
 *
 * Input: a header of 4 bytes (bits 0..1: vCPUs - 1; bits 2..5: list registers; then which
 * vCPUs are on a physical CPU; the second VM's vCPUs and fill), then operations, each one byte
 * whose low 3 bits say what it is:
 *   0, 1  distributor access, 2, 3 redistributor access: bits 3..4 width (1 << n), bit 5
 *         write, bit 6 keep the offset unaligned; then vCPU, region and offset selectors
 *         (1 + 1 + 2 bytes; redistributor: one more for the frame) and, for writes, 8 bytes
 *   4     vgic_inject(vCPU or NULL, INTID): 2 bytes
 *   5     vgic_set_line(INTID, bit 3): 1 byte
 *   6     vgic_send_sgi(vCPU, ICC_SGI1R_EL1 value, bit 3: Group 0 only): 1 + 8 bytes
 *   7     bit 3 clear: vgic_inject_hw(vCPU, PPI 16..31): 2 bytes;
 *         set: vgic_inject_hw_spi(INTID): 1 byte
 * At the end the VM stops: vgic_release_hw must deactivate exactly the linked SPIs in flight.
 *
 * After every step: each bit in a vCPU's want bitmap is an interrupt that is deliverable to it
 * (and every deliverable interrupt is wanted by exactly its vCPU), no SPI is wanted twice, SPI
 * targets are vCPUs of the VM, vgic_vcpu_pending agrees (every 8th step and at the end), a
 * vCPU that gained an interrupt was kicked unless it is the one that caused it, reads fit their
 * width and change nothing, SGIs reach exactly the vCPUs they name, and nothing outside the
 * interrupt state of this VM changed.
 */
#include <stdlib.h>
#include <string.h>

#include <kestrel/gicv3.h>
#include <kestrel/guest_layout.h>
#include <kestrel/vgic.h>
#include <kestrel/vm.h>

#include "harness.h"
#include "vgic_vm.h"

#define CTLR_GRP1 BIT(1)
#define LR_STATE  (3ull << 62)
#define LR_HW	  BIT(61)
#define LR_GROUP1 BIT(60)
#define LR_EOI	  BIT(41)
#define AFF_MASK  0xff00ffffffull

/* Two VMs side by side: the second is the neighbour that must never change. */
static struct vm vmp[2];
static struct vm *const vm = &vmp[0], *const other = &vmp[1];
static struct vm snap_vm, snap_other;
static struct pcpu cpus[2][VCPU_MAX];

static struct {
	struct pcpu *kicked[64];
	unsigned kicks;
	uint64_t deactivated[(VGIC_NR_IRQS + 63) / 64]; /* physical INTIDs, by vgic_release_hw */
} k;

/* --- the rest of kestrel, as vm.c and sched.c do it --- */

static struct vcpu *vcpu_by_mpidr(struct vm *v, uint64_t mpidr)
{
	mpidr &= AFF_MASK; /* affinity fields only */
	for (unsigned i = 0; i < v->vcpu_count; i++)
		if ((v->vcpus[i].vmpidr & AFF_MASK) == mpidr)
			return &v->vcpus[i];
	return NULL;
}

static void record_kick(struct pcpu *pcpu)
{
	if (!pcpu)
		return; /* as sched.c: nobody to kick */
	FUZZ_CHECK(pcpu >= &cpus[0][0] && pcpu < &cpus[0][vm->vcpu_count],
		   "kicked a physical CPU that runs none of this VM's vCPUs");
	if (k.kicks < ARRAY_SIZE(k.kicked))
		k.kicked[k.kicks++] = pcpu;
}

static void kick(struct vcpu *vcpu)
{
	struct pcpu *pcpu = vcpu->pcpu;

	FUZZ_CHECK(vcpu >= &vm->vcpus[0] && vcpu < &vm->vcpus[vm->vcpu_count],
		   "kicked a vCPU of another VM");
	if (!pcpu)
		return;
	if (READ_ONCE(pcpu->current) != vcpu)
		pcpu->resched = true;
	record_kick(pcpu);
}

/* Only vgic_lr_load activates a physical PPI, and the harness loads no vCPU. */
void gicv3_activate_ppi(unsigned intid)
{
	FUZZ_CHECK(false, "activated physical PPI %u without a vCPU load", intid);
}

void gicv3_deactivate(unsigned intid)
{
	FUZZ_CHECK(intid >= VGIC_NR_PRIVATE && intid < VGIC_NR_IRQS,
		   "deactivated physical INTID %u, which is not one of the VM's SPIs", intid);
	k.deactivated[intid / 64] |= BIT(intid % 64);
}

/* No vCPU runs on another CPU here: there are no list registers to fold back but the
   harness's own, and a sync must only ever be asked of this VM's vCPUs. */
static void sync_lrs(struct vcpu *vcpu)
{
	FUZZ_CHECK(vcpu >= &vm->vcpus[0] && vcpu < &vm->vcpus[vm->vcpu_count],
		   "synced a vCPU of another VM");
}

/* The harness runs no timer and no PMU: their level is unknown, and the line stays what
   injection made it. Only the linked PPIs are ever sampled: the timers' and the PMU's. */
static enum vgic_level ppi_level(struct vcpu *vcpu, unsigned intid, bool *here)
{
	FUZZ_CHECK(vcpu >= &vm->vcpus[0] && vcpu < &vm->vcpus[vm->vcpu_count],
		   "sampled the timer or PMU of a vCPU of another VM");
	FUZZ_CHECK(intid == 27 || intid == 30 || intid == 23, "sampled a source behind PPI %u",
		   intid);
	*here = false;
	return VGIC_LEVEL_UNKNOWN;
}

/* No guest RAM: the ITS is fuzz_vgic_its.c's. */
static const struct vgic_hooks hooks = {kick,	      sync_lrs,	     vcpu_by_mpidr, ppi_level,
					vgic_no_read, vgic_no_write, vgic_no_ram};

static bool kicked(const struct pcpu *pcpu)
{
	for (unsigned i = 0; i < k.kicks; i++)
		if (k.kicked[i] == pcpu)
			return true;
	return false;
}

/* --- what the architecture says --- */

/* Forwarded to the CPU interface: pending (latched or level high), enabled, Group 1 with
   Group 1 enabled in the distributor; or active, which stays visible until deactivated. */
static bool should_deliver(const struct virq *irq)
{
	bool pending = irq->pending || (!irq->edge && irq->line);

	if (irq->in_lr)
		return false;
	return irq->active ||
	       (pending && irq->enabled && irq->group1 && (vm->vgic.ctlr & CTLR_GRP1));
}

static bool wants(const struct vcpu *vcpu, unsigned intid)
{
	return vcpu->vgic.want[intid / 64] & BIT(intid % 64);
}

/* The routing rule, written again from the architecture: 1-of-N goes to any vCPU (the
   first), an affinity no vCPU has to none; an active SPI stays where it was taken. */
static unsigned expected_target(const struct virq *irq)
{
	struct vcpu *route = vcpu_by_mpidr(vm, irq->irouter);

	if (irq->irouter & BIT(31))
		return 0;
	return route ? route->id : VGIC_NO_TARGET;
}

static struct vcpu *expected_holder(const struct virq *irq)
{
	if (irq->active && irq->lr_vcpu < vm->vcpu_count)
		return &vm->vcpus[irq->lr_vcpu];
	return irq->target < vm->vcpu_count ? &vm->vcpus[irq->target] : NULL;
}

static void check_lr_encoding(unsigned intid, const struct virq *irq)
{
	uint64_t lr = vgic_lr_encode(intid, irq);

	FUZZ_CHECK((lr & 0xffffffff) == intid, "LR for %u names %llu", intid,
		   (unsigned long long)(lr & 0xffffffff));
	FUZZ_CHECK(lr & LR_STATE, "INTID %u wanted but its list register would be invalid", intid);
	FUZZ_CHECK(lr & LR_GROUP1, "LR for %u not Group 1", intid);
	FUZZ_CHECK(!(lr & LR_HW) == !irq->hw, "LR for %u: HW bit", intid);
	if (irq->hw)
		FUZZ_CHECK(((lr >> 32) & 0x1fff) == irq->hw_intid, "LR for %u: physical INTID",
			   intid);
}

/* with_pending: also ask vgic_vcpu_pending, whose scan costs more than the rest together. */
static void check_invariants(bool with_pending)
{
	for (unsigned s = 0; s < VGIC_NR_SPIS; s++) {
		const struct virq *irq = &vm->vgic.spis[s];
		unsigned intid = VGIC_NR_PRIVATE + s, wanted_by = 0;
		struct vcpu *holder = expected_holder(irq);
		FUZZ_CHECK(irq->target < vm->vcpu_count || irq->target == VGIC_NO_TARGET,
			   "SPI %u targets vCPU %u of %u", intid, irq->target, vm->vcpu_count);
		FUZZ_CHECK(irq->target == expected_target(irq),
			   "SPI %u targets vCPU %u, IROUTER 0x%llx", intid, irq->target,
			   (unsigned long long)irq->irouter);
		for (unsigned c = 0; c < vm->vcpu_count; c++)
			wanted_by += wants(&vm->vcpus[c], intid);
		FUZZ_CHECK(wanted_by <= 1, "SPI %u wanted by %u vCPUs", intid, wanted_by);
		FUZZ_CHECK(holder || !wanted_by, "SPI %u routed nowhere but wanted", intid);
		if (holder)
			FUZZ_CHECK(wants(holder, intid) == should_deliver(irq),
				   "SPI %u: wanted by its holder %d, deliverable %d", intid,
				   wants(holder, intid), should_deliver(irq));
		if (should_deliver(irq))
			check_lr_encoding(intid, irq);
	}
	for (unsigned c = 0; c < vm->vcpu_count; c++) {
		struct vcpu *vcpu = &vm->vcpus[c];
		bool any = false;
		for (unsigned w = 0; w < VGIC_WANT_WORDS; w++)
			for (unsigned b = 0; b < 64; b++)
				FUZZ_CHECK(
				    !(vcpu->vgic.want[w] & BIT(b)) || 64 * w + b < VGIC_NR_IRQS,
				    "vCPU %u wants INTID %u, which does not exist", c, 64 * w + b);
		for (unsigned intid = 0; intid < VGIC_NR_PRIVATE; intid++) {
			const struct virq *irq = &vcpu->vgic.priv[intid];
			FUZZ_CHECK(wants(vcpu, intid) == should_deliver(irq),
				   "vCPU %u: INTID %u wanted %d, deliverable %d", c, intid,
				   wants(vcpu, intid), should_deliver(irq));
			FUZZ_CHECK(intid >= 16 || irq->edge, "SGI %u is level-sensitive", intid);
			if (wants(vcpu, intid)) {
				check_lr_encoding(intid, irq);
				any |= !irq->active;
			}
		}
		for (unsigned s = 0; s < VGIC_NR_SPIS; s++) {
			unsigned intid = VGIC_NR_PRIVATE + s;
			if (wants(vcpu, intid) && !vm->vgic.spis[s].active)
				any = true;
		}
		for (unsigned w = 0; w < VGIC_WANT_WORDS; w++)
			FUZZ_CHECK(!vcpu->vgic.want[w] || vcpu->attention,
				   "vCPU %u wants interrupts, but its next exit would not look", c);
		FUZZ_CHECK(!with_pending || vgic_vcpu_pending(vcpu) == any,
			   "vCPU %u: vgic_vcpu_pending %d, its want bits say %d", c, !any, any);
	}
}

/* Fails at the first byte that differs, if any. */
static void check_same(const void *expect, const void *now, size_t size, const char *what)
{
	const uint8_t *a = expect, *b = now;

	if (!memcmp(a, b, size))
		return;
	for (size_t i = 0; i < size; i++)
		FUZZ_CHECK(a[i] == b[i], "byte %zu of %s changed", i, what);
}

/* Everything but the interrupt state of this VM's vCPUs, distributor and redistributors is as
   it was. */
static void check_isolation(void)
{
	static struct vm expect;

	memcpy(&expect, &snap_vm, sizeof(expect));
	expect.vgic.ctlr = vm->vgic.ctlr;
	memcpy(expect.vgic.spis, vm->vgic.spis, sizeof(expect.vgic.spis));
	/* The redistributors' LPI registers (GICR_CTLR, PROPBASER, PENDBASER): theirs to write. */
	memcpy(expect.its.rd, vm->its.rd, sizeof(expect.its.rd));
	for (unsigned c = 0; c < vm->vcpu_count; c++) {
		struct vgic_cpu *e = &expect.vcpus[c].vgic;
		const struct vgic_cpu *now = &vm->vcpus[c].vgic;
		memcpy(e->priv, now->priv, sizeof(e->priv));
		memcpy(e->want, now->want, sizeof(e->want));
		e->waker = now->waker;
		/* Raised with any want bit, for the vCPU's next exit: interrupt state too. */
		expect.vcpus[c].attention = vm->vcpus[c].attention;
	}
	check_same(&expect, vm, sizeof(expect), "the VM outside its interrupt state");
	check_same(&snap_other, other, sizeof(snap_other), "the neighbouring VM");
}

/* --- set-up --- */

static void make_vm(struct vm *v, struct pcpu *vcpu_cpus, unsigned count, unsigned nr_lrs,
		    unsigned online)
{
	vgic_test_vm(v, vcpu_cpus, count);
	for (unsigned i = 0; i < count; i++) {
		if (!(online & BIT(i)))
			v->vcpus[i].pcpu = NULL;
		vcpu_cpus[i].id = i;
	}
	vgic_init(v, nr_lrs, &hooks);
	FUZZ_CHECK(mmio_insert(v->mmio, &v->mmio_count, VM_MMIO_MAX, &v->vgic.dist_dev) == E_OK &&
		       mmio_insert(v->mmio, &v->mmio_count, VM_MMIO_MAX, &v->vgic.redist_dev) ==
			   E_OK,
		   "the vGIC's regions do not fit the MMIO table");
}

static uint32_t rng_state;

static uint8_t rng(void)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return (uint8_t)(rng_state >> 16);
}

/* The neighbour: a VM in some arbitrary state, so that any write to it shows. */
static void make_other(unsigned count, uint8_t seed)
{
	make_vm(other, cpus[1], count, 4, 0xff);
	rng_state = seed;
	for (size_t i = 0; i < sizeof(other->vgic.spis); i++)
		((uint8_t *)other->vgic.spis)[i] = rng();
	for (unsigned c = 0; c < VCPU_MAX; c++)
		for (size_t i = 0; i < sizeof(struct vgic_cpu); i++)
			((uint8_t *)&other->vcpus[c].vgic)[i] = rng();
	other->vgic.ctlr = rng();
	other->stray_logged = 0x0123456789abcdefull;
}

/* --- operations --- */

/* Register groups of a frame: where they start and how far they reach. */
struct region {
	uint32_t base, span;
};

static const struct region dist_regions[] = {
    {0x0000, 0x10},   {0x0080, 0x80}, {0x0100, 0x80},	 {0x0180, 0x80},  {0x0200, 0x80},
    {0x0280, 0x80},   {0x0300, 0x80}, {0x0380, 0x80},	 {0x0400, 0x400}, {0x0c00, 0x100},
    {0x6000, 0x2000}, {0xffd0, 0x30}, {0x0000, 0x10000},
};

static const struct region redist_regions[] = {
    {0x0000, 0x20},   {0xffd0, 0x30},	  {0x10080, 0x80},   {0x10100, 0x80}, {0x10180, 0x80},
    {0x10200, 0x80},  {0x10280, 0x80},	  {0x10300, 0x80},   {0x10380, 0x80}, {0x10400, 0x400},
    {0x10c00, 0x100}, {0x10000, 0x10000}, {0x0000, 0x20000},
};

static uint64_t pick_offset(struct fuzz_in *in, const struct region *r, unsigned n)
{
	const struct region *reg = &r[fuzz_u8(in) % n];

	return reg->base + fuzz_u16(in) % reg->span;
}

static struct vcpu *pick_vcpu(struct fuzz_in *in)
{
	return &vm->vcpus[fuzz_u8(in) % vm->vcpu_count];
}

static uint64_t want_of(const struct vcpu *vcpu, unsigned w)
{
	return vcpu->vgic.want[w];
}

/* One guest access through the router, as abort_dabt_exit makes it; returns the accessing vCPU. */
static struct vcpu *guest_access(struct fuzz_in *in, uint8_t op, bool redist)
{
	unsigned width = 1u << ((op >> 3) & 3);
	bool write = op & BIT(5);
	struct vcpu *vcpu = pick_vcpu(in);
	uint64_t off, ipa, val = 0, got = 0x5a5a5a5a5a5a5a5aull;
	struct mmio_dev *dev;
	bool ok;

	if (redist) {
		unsigned frame = fuzz_u8(in) % vm->vcpu_count;
		off = frame * GUEST_GICR_STRIDE +
		      pick_offset(in, redist_regions, ARRAY_SIZE(redist_regions));
		ipa = GUEST_GICR_BASE + off;
	} else {
		off = pick_offset(in, dist_regions, ARRAY_SIZE(dist_regions));
		ipa = GUEST_GICD_BASE + off;
	}
	if (!(op & BIT(6)))
		ipa &= ~(uint64_t)(width - 1);
	if (write) {
		val = fuzz_u64(in);
		if (width < 8)
			val &= BIT(8 * width) - 1; /* abort.c passes the access's bytes only */
	}
	dev = mmio_find(vm->mmio, vm->mmio_count, ipa);
	FUZZ_CHECK(dev == (redist ? &vm->vgic.redist_dev : &vm->vgic.dist_dev),
		   "IPA 0x%llx not routed to the %s", (unsigned long long)ipa,
		   redist ? "redistributors" : "distributor");
	if (ipa - dev->base + width > dev->size)
		return vcpu; /* would cross the end of the device: no syndrome says that */
	if (write) {
		ok = dev->ops->write(dev, vcpu, ipa - dev->base, width, val);
	} else {
		memcpy(&snap_vm, vm, sizeof(snap_vm));
		ok = dev->ops->read(dev, vcpu, ipa - dev->base, width, &got);
		check_same(&snap_vm, vm, sizeof(snap_vm), "the VM in a read");
		FUZZ_CHECK(!k.kicks, "a read at 0x%llx kicked a vCPU", (unsigned long long)ipa);
	}
	FUZZ_CHECK(ok == (ipa % width == 0), "access of width %u at 0x%llx: %d", width,
		   (unsigned long long)ipa, ok);
	if (ok && !write && width < 8)
		FUZZ_CHECK(!(got >> (8 * width)), "read of width %u at 0x%llx gave 0x%llx", width,
			   (unsigned long long)ipa, (unsigned long long)got);
	return vcpu;
}

/* Which vCPUs an ICC_SGI1R_EL1 write names (IRM: all but the sender). */
static bool sgi_hits(const struct vcpu *sender, const struct vcpu *t, uint64_t sgi1r)
{
	uint64_t aff = t->vmpidr;

	if (sgi1r & BIT(40))
		return t != sender;
	return FIELD(aff, 8, 8) == FIELD(sgi1r, 16, 8) &&
	       FIELD(aff, 16, 8) == FIELD(sgi1r, 32, 8) &&
	       FIELD(aff, 32, 8) == FIELD(sgi1r, 48, 8) &&
	       FIELD(aff, 0, 8) / 16 == FIELD(sgi1r, 44, 4) &&
	       (FIELD(sgi1r, 0, 16) & BIT(FIELD(aff, 0, 8) % 16));
}

/* An ICC_SGI0R_EL1 (or ICC_ASGI1R_EL1) write reaches only targets where the SGI is Group 0. */
static void send_sgi(struct fuzz_in *in, bool group0_only, struct vcpu **cause)
{
	struct vcpu *sender = pick_vcpu(in);
	uint64_t sgi1r = fuzz_u64(in);
	unsigned intid = (unsigned)FIELD(sgi1r, 24, 4);
	bool was[VCPU_MAX], group1[VCPU_MAX];

	for (unsigned c = 0; c < vm->vcpu_count; c++) {
		was[c] = vm->vcpus[c].vgic.priv[intid].pending;
		group1[c] = vm->vcpus[c].vgic.priv[intid].group1;
	}
	vgic_send_sgi(sender, sgi1r, group0_only);
	for (unsigned c = 0; c < vm->vcpu_count; c++) {
		bool hit = sgi_hits(sender, &vm->vcpus[c], sgi1r) && !(group0_only && group1[c]);
		FUZZ_CHECK(vgic_sgi_targets(sender, &vm->vcpus[c], sgi1r) ==
			       sgi_hits(sender, &vm->vcpus[c], sgi1r),
			   "vgic_sgi_targets disagrees for vCPU %u, ICC_SGI1R 0x%llx", c,
			   (unsigned long long)sgi1r);
		FUZZ_CHECK(vm->vcpus[c].vgic.priv[intid].pending == (was[c] || hit),
			   "SGI %u, ICC_SGI%uR 0x%llx: vCPU %u (Group %u) pending %d, named %d",
			   intid, group0_only ? 0 : 1, (unsigned long long)sgi1r, c, group1[c],
			   vm->vcpus[c].vgic.priv[intid].pending, hit);
	}
	*cause = sender;
}

/* The VM stops: every linked SPI still in flight is handed back to the physical GIC. */
static void check_release(void)
{
	uint64_t expect[ARRAY_SIZE(k.deactivated)] = {0};

	for (unsigned s = 0; s < VGIC_NR_SPIS; s++) {
		const struct virq *irq = &vm->vgic.spis[s];
		if (irq->hw)
			FUZZ_CHECK(irq->hw_intid == VGIC_NR_PRIVATE + s,
				   "SPI %u linked to physical INTID %u", VGIC_NR_PRIVATE + s,
				   irq->hw_intid);
		if (irq->hw && (irq->pending || irq->lr_pending || irq->active || irq->in_lr))
			expect[(VGIC_NR_PRIVATE + s) / 64] |= BIT((VGIC_NR_PRIVATE + s) % 64);
	}
	memset(k.deactivated, 0, sizeof(k.deactivated));
	vgic_release_hw(vm);
	FUZZ_CHECK(!memcmp(expect, k.deactivated, sizeof(expect)),
		   "released physical interrupts differ from the linked ones in flight");
	for (unsigned s = 0; s < VGIC_NR_SPIS; s++)
		FUZZ_CHECK(!vm->vgic.spis[s].hw, "SPI %u still linked after release",
			   VGIC_NR_PRIVATE + s);
	check_same(&snap_other, other, sizeof(snap_other), "the neighbouring VM");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = fuzz_in(data, size);
	uint8_t h0 = fuzz_u8(&in), online = fuzz_u8(&in), h2 = fuzz_u8(&in), seed = fuzz_u8(&in);
	uint64_t before[VCPU_MAX][VGIC_WANT_WORDS];

	make_vm(vm, cpus[0], 1 + (h0 & 3), (h0 >> 2) & 15, online);
	make_other(1 + (h2 & 3), seed);
	memcpy(&snap_vm, vm, sizeof(snap_vm));
	memcpy(&snap_other, other, sizeof(snap_other));
	FUZZ_CHECK(vm->mmio_count == 2, "%u MMIO devices", vm->mmio_count);
	check_invariants(true);

	for (unsigned step = 1; !fuzz_done(&in); step++) {
		uint8_t op = fuzz_u8(&in), b;
		struct vcpu *cause = NULL, *v;
		unsigned ppi;

		for (unsigned c = 0; c < vm->vcpu_count; c++)
			for (unsigned w = 0; w < VGIC_WANT_WORDS; w++)
				before[c][w] = want_of(&vm->vcpus[c], w);
		/* The snapshot follows the interrupt state: only the rest must stay put. */
		memcpy(&snap_vm, vm, sizeof(snap_vm));
		k.kicks = 0;
		switch (op & 7) {
		case 0:
		case 1:
		case 2:
		case 3:
			/* The accessing vCPU is the one that exited: it needs no kick. */
			cause = guest_access(&in, op, (op & 7) >= 2);
			break;
		case 4:
			b = fuzz_u8(&in);
			v = (b & 0x80) ? NULL : &vm->vcpus[b % vm->vcpu_count];
			vgic_inject(vm, v, fuzz_u8(&in));
			break;
		case 5:
			vgic_set_line(vm, fuzz_u8(&in), op & BIT(3));
			break;
		case 6:
			send_sgi(&in, op & BIT(3), &cause);
			cause = NULL; /* the sender is kicked too, harmlessly */
			break;
		default:
			if (op & BIT(3)) {
				vgic_inject_hw_spi(vm, fuzz_u8(&in));
				break;
			}
			cause = pick_vcpu(&in);
			ppi = 16 + fuzz_u8(&in) % 16;
			vgic_inject_hw(cause, ppi);
			break;
		}
		check_invariants(step % 8 == 0 || fuzz_done(&in));
		check_isolation();
		for (unsigned c = 0; c < vm->vcpu_count; c++) {
			struct vcpu *vcpu = &vm->vcpus[c];
			bool gained = false;
			for (unsigned w = 0; w < VGIC_WANT_WORDS; w++)
				gained |= (want_of(vcpu, w) & ~before[c][w]) != 0;
			if (gained && vcpu->pcpu && vcpu != cause)
				FUZZ_CHECK(kicked(vcpu->pcpu),
					   "vCPU %u gained an interrupt unkicked", c);
		}
	}
	check_release();
	return 0;
}
