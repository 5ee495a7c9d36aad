/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz-sources: hyp/vdev/vgic.c hyp/vdev/vgic_mmio.c hyp/vdev/vgic_lr.c hyp/core/mmio.c */
/* fuzz-sources: hyp/vdev/vgic_its.c hyp/arch/fake/cpu.c hyp/arch/fake/gic_cpuif.c */
/*
 * The virtual ITS and the LPIs of a VM with 1..4 vCPUs and 64 KiB of fake RAM, driven by a
 * hostile guest: ITS register accesses (the command queue, its base and tables anywhere,
 * CWRITER and CREADR), its RAM written behind the ITS's back (commands, tables, the queue
 * rewritten while it is read), commands given straight to the parser, the redistributors'
 * LPI registers, and the list registers filled, taken by the guest and folded back.
 *
 * Input: one header byte (bits 0..1: vCPUs - 1), then operations, each one byte whose low 3
 * bits say what it is:
 *   0  ITS access: bits 3..4 width (1 << n), bit 5 write; a register selector byte, an
 *      offset byte, for writes 8 bytes of value, then a vCPU byte
 *   1  a command: 32 bytes to vgic_its_command (DW0 bit 31, RES0: DW2's address bits made an
 *      address in the fake RAM)
 *   2  RAM write: a 16-bit offset, a length byte (up to 64) and the bytes
 *   3  a command queued: 32 bytes (as for 1) written at the queue's CWRITER, which then
 *      moves past it
 *   4  redistributor LPI register: frame, selector (CTLR, PROPBASER, PENDBASER, PROPBASER's
 *      upper half), 8 bytes (bit 63 set: the table put at 0x40000000 + bits 15:12)
 *   5  a vCPU's list registers filled (a vCPU byte), bit 3: the guest acknowledges them,
 *      bit 4: and ends them, then folded back
 *   6  GICD_CTLR written (bit 3: EnableGrp1)
 *   7  GITS_TRANSLATER written: 4 bytes of EventID
 *
 * After every step: every copy the ITS asked for is of this VM's RAM or refused; LPI slots
 * hold distinct INTIDs of the LPI range; each slot's reference count is the number of
 * translations that lead to it; translations name mapped devices and existing collections;
 * targets are this VM's vCPUs; each wanted-LPI bit is a live, deliverable LPI of that vCPU and
 * the want bitmap's LPI bit says whether any is set; CREADR and CWRITER are command offsets
 * inside the queue; and a second VM beside the first is unchanged.
 */
#include <stdlib.h>
#include <string.h>

#include <kestrel/gic_regs.h>
#include <kestrel/guest_layout.h>
#include <kestrel/vgic.h>
#include <kestrel/vm.h>

#include <arch/fake_arch.h>

#include "harness.h"
#include "vgic_vm.h"

#define RAM_BASE 0x40000000ull
#define RAM_SIZE 0x10000ull
#define LR_STATE (3ull << 62)

static struct vm vmp[2];
static struct vm *const vm = &vmp[0], *const other = &vmp[1];
static struct vm snap_other;
static uint8_t ram[RAM_SIZE];
static struct pcpu cpus[VCPU_MAX];

/* --- the hooks: kestrel's rules for guest memory, over the fake RAM --- */

static bool fake_in_ram(const struct vm *v, ipaddr_t ipa, uint64_t size)
{
	FUZZ_CHECK(v == vm, "the ITS looked at another VM's memory");
	return ipa >= RAM_BASE && size <= RAM_SIZE && ipa - RAM_BASE <= RAM_SIZE - size;
}

static int fake_read(struct vm *v, ipa_t src, void *dst, uint64_t size)
{
	if (!fake_in_ram(v, ipa_addr(src), size))
		return -E_RANGE;
	memcpy(dst, ram + (ipa_addr(src) - RAM_BASE), size);
	return E_OK;
}

static int fake_write(struct vm *v, ipa_t dst, const void *src, uint64_t size)
{
	if (!fake_in_ram(v, ipa_addr(dst), size))
		return -E_RANGE;
	memcpy(ram + (ipa_addr(dst) - RAM_BASE), src, size);
	return E_OK;
}

static void kick(struct vcpu *vcpu)
{
	FUZZ_CHECK(vcpu >= &vm->vcpus[0] && vcpu < &vm->vcpus[vm->vcpu_count],
		   "kicked a vCPU of another VM");
}

static void sync_lrs(struct vcpu *vcpu)
{
	kick(vcpu);
}

static struct vcpu *vcpu_by_mpidr(struct vm *v, uint64_t mpidr)
{
	for (unsigned i = 0; i < v->vcpu_count; i++)
		if ((v->vcpus[i].vmpidr & 0xff00ffffffull) == (mpidr & 0xff00ffffffull))
			return &v->vcpus[i];
	return NULL;
}

static enum vgic_level timer_level(struct vcpu *vcpu, unsigned intid, bool *here)
{
	(void)vcpu, (void)intid;
	*here = false;
	return VGIC_LEVEL_UNKNOWN;
}

static const struct vgic_hooks hooks = {kick,	   sync_lrs,   vcpu_by_mpidr, timer_level,
					fake_read, fake_write, fake_in_ram};

/* Physical interrupts are never linked here: LPIs are not. */
void gicv3_activate_ppi(unsigned intid)
{
	FUZZ_CHECK(false, "activated physical PPI %u", intid);
}

void gicv3_deactivate(unsigned intid)
{
	FUZZ_CHECK(false, "deactivated physical INTID %u", intid);
}

/* --- invariants --- */

static void check_invariants(void)
{
	const struct vgic_its *its = &vm->its;
	unsigned refs[VGIC_MAX_LPIS] = {0};
	uint64_t qsize = (FIELD(its->cbaser, 0, 8) + 1) * 0x1000;

	for (unsigned i = 0; i < ITS_MAX_ITES; i++) {
		const struct its_ite *ite = &its->ite[i];
		bool dev = false;
		if (!ite->valid)
			continue;
		FUZZ_CHECK(ite->slot < VGIC_MAX_LPIS && vm->its.lpis[ite->slot].intid,
			   "entry %u leads to a free slot %u", i, ite->slot);
		FUZZ_CHECK(ite->icid < ITS_MAX_COLLECTIONS, "entry %u: ICID %u", i, ite->icid);
		for (unsigned d = 0; d < ITS_MAX_DEVICES; d++)
			dev |= its->dev[d].valid && its->dev[d].id == ite->devid &&
			       ite->eventid < BIT(its->dev[d].event_bits);
		FUZZ_CHECK(dev, "entry %u: device %u event %u is not mapped", i, ite->devid,
			   ite->eventid);
		refs[ite->slot]++;
		for (unsigned j = 0; j < i; j++)
			FUZZ_CHECK(!its->ite[j].valid || its->ite[j].devid != ite->devid ||
				       its->ite[j].eventid != ite->eventid,
				   "device %u event %u mapped twice", ite->devid, ite->eventid);
	}
	for (unsigned d = 0; d < ITS_MAX_DEVICES; d++)
		for (unsigned e = 0; e < d; e++)
			FUZZ_CHECK(!its->dev[d].valid || !its->dev[e].valid ||
				       its->dev[d].id != its->dev[e].id,
				   "device %u mapped twice", its->dev[d].id);
	for (unsigned c = 0; c < ITS_MAX_COLLECTIONS; c++)
		FUZZ_CHECK(its->coll[c] == VGIC_NO_TARGET || its->coll[c] < vm->vcpu_count,
			   "collection %u targets %u", c, its->coll[c]);
	for (unsigned s = 0; s < VGIC_MAX_LPIS; s++) {
		const struct vgic_lpi *l = &vm->its.lpis[s];
		FUZZ_CHECK(l->refs == refs[s], "slot %u: %u references, %u entries", s, l->refs,
			   refs[s]);
		if (!l->intid)
			continue;
		FUZZ_CHECK(l->intid >= VGIC_LPI_BASE && l->intid < BIT(VGIC_ID_BITS),
			   "slot %u holds INTID %u", s, l->intid);
		FUZZ_CHECK(l->irq.target == VGIC_NO_TARGET || l->irq.target < vm->vcpu_count,
			   "LPI %u targets %u", l->intid, l->irq.target);
		for (unsigned t = 0; t < s; t++)
			FUZZ_CHECK(vm->its.lpis[t].intid != l->intid, "LPI %u in two slots",
				   l->intid);
		bool want = !l->irq.in_lr && (l->irq.active || (l->irq.pending && l->irq.enabled &&
								(vm->vgic.ctlr & BIT(1))));
		for (unsigned c = 0; c < vm->vcpu_count; c++) {
			const struct vgic_lpi_rd *vc = &vm->its.rd[c];
			bool is = vc->lpi_want[s / 64] & BIT(s % 64);
			bool should = want && vgic_spi_target(vm, &l->irq) == &vm->vcpus[c] &&
				      vc->lpis_enabled;
			FUZZ_CHECK(is == should, "LPI %u: wanted by vCPU %u %d, should be %d",
				   l->intid, c, is, should);
		}
	}
	for (unsigned c = 0; c < vm->vcpu_count; c++) {
		const struct vgic_lpi_rd *vc = &vm->its.rd[c];
		uint64_t any = 0;
		for (unsigned w = 0; w < VGIC_LPI_WORDS; w++)
			any |= vc->lpi_want[w];
		for (unsigned s = 0; s < VGIC_MAX_LPIS; s++)
			FUZZ_CHECK(!(vc->lpi_want[s / 64] & BIT(s % 64)) || vm->its.lpis[s].intid,
				   "vCPU %u wants free slot %u", c, s);
		FUZZ_CHECK(!!(vm->vcpus[c].vgic.want[1] & BIT(VGIC_WANT_LPI % 64)) == !!any,
			   "vCPU %u: the LPI want bit disagrees with its LPIs", c);
	}
	FUZZ_CHECK(its->creadr % ITS_CMD_SIZE == 0 && its->creadr < qsize &&
		       its->cwriter % ITS_CMD_SIZE == 0 && its->cwriter < qsize,
		   "CREADR 0x%x, CWRITER 0x%x, queue 0x%llx", its->creadr, its->cwriter,
		   (unsigned long long)qsize);
	FUZZ_CHECK(!memcmp(&snap_other, other, sizeof(snap_other)), "the neighbouring VM changed");
}

/* --- set-up and operations --- */

static void make_vm(struct vm *v, unsigned count)
{
	vgic_test_vm(v, cpus, count);
	vgic_init(v, 4, &hooks);
	FUZZ_CHECK(mmio_insert(v->mmio, &v->mmio_count, VM_MMIO_MAX, &v->its.mmio) == E_OK &&
		       mmio_insert(v->mmio, &v->mmio_count, VM_MMIO_MAX, &v->vgic.redist_dev) ==
			   E_OK,
		   "the ITS or the redistributors do not fit the MMIO table");
}

static const uint32_t its_offsets[] = {
    GITS_CTLR,	GITS_IIDR,	GITS_TYPER,	 GITS_CBASER, GITS_CWRITER,    GITS_CREADR,
    GITS_BASER, GITS_BASER + 8, GITS_BASER + 16, GIC_PIDR2,   GITS_TRANSLATER, 0x1ff00};

static void its_access(struct fuzz_in *in, uint8_t op)
{
	unsigned width = 1u << ((op >> 3) & 3);
	bool write = op & BIT(5);
	uint64_t off = its_offsets[fuzz_u8(in) % ARRAY_SIZE(its_offsets)];
	uint64_t val, got = 0;
	struct mmio_dev *dev = &vm->its.mmio;
	struct vcpu *vcpu;
	bool ok;

	off += fuzz_u8(in) % 8;
	val = write ? fuzz_u64(in) : 0;
	vcpu = &vm->vcpus[fuzz_u8(in) % vm->vcpu_count];

	if (width < 8)
		val &= BIT(8 * width) - 1;
	if (off + width > dev->size)
		return;
	ok = write ? dev->ops->write(dev, vcpu, off, width, val)
		   : dev->ops->read(dev, vcpu, off, width, &got);
	FUZZ_CHECK(ok == (off % width == 0), "ITS access of width %u at 0x%llx: %d", width,
		   (unsigned long long)off, ok);
	if (ok && !write && width < 8)
		FUZZ_CHECK(!(got >> (8 * width)), "read of width %u gave 0x%llx", width,
			   (unsigned long long)got);
}

static void read_cmd(struct fuzz_in *in, uint64_t cmd[4])
{
	for (unsigned i = 0; i < 4; i++)
		cmd[i] = fuzz_u64(in);
	/* DW0 bit 31 (RES0): DW2's address (MAPD's ITT) into the fake RAM. */
	if (cmd[0] & BIT(31))
		cmd[2] = (cmd[2] & ~0xffffffffff00ull) | (RAM_BASE + (cmd[2] & 0xff00));
}

static void queue_cmd(struct fuzz_in *in)
{
	struct vgic_its *its = &vm->its;
	uint64_t cmd[4], base = its->cbaser & 0xffffffffff000ull;
	struct mmio_dev *dev = &vm->its.mmio;
	uint64_t qsize = (FIELD(its->cbaser, 0, 8) + 1) * 0x1000;

	read_cmd(in, cmd);
	if (base >= RAM_BASE && base - RAM_BASE + its->cwriter + 32 <= RAM_SIZE)
		memcpy(ram + (base - RAM_BASE) + its->cwriter, cmd, sizeof(cmd));
	FUZZ_CHECK(dev->ops->write(dev, &vm->vcpus[0], GITS_CWRITER, 8,
				   (its->cwriter + ITS_CMD_SIZE) % qsize),
		   "CWRITER write refused");
}

static void redist_lpi(struct fuzz_in *in)
{
	static const uint32_t regs[] = {GICR_CTLR, GICR_PROPBASER, GICR_PENDBASER,
					GICR_PROPBASER + 4};
	unsigned frame = fuzz_u8(in) % vm->vcpu_count;
	uint32_t reg = regs[fuzz_u8(in) % ARRAY_SIZE(regs)];
	uint64_t val = fuzz_u64(in);
	unsigned width = reg == GICR_CTLR || (reg & 4) ? 4 : 8;
	struct mmio_dev *dev = &vm->vgic.redist_dev;

	/* Tables mostly in the fake RAM. */
	if (reg != GICR_CTLR && (val & BIT(63)))
		val = (val & 0xfff) | (RAM_BASE + (val & 0xf000));
	if (width == 4)
		val &= 0xffffffff;
	FUZZ_CHECK(
	    dev->ops->write(dev, &vm->vcpus[frame], frame * GUEST_GICR_STRIDE + reg, width, val),
	    "redistributor write refused");
}

/* The vCPU's list registers filled, maybe taken by its guest, and folded back. */
static void run_vcpu(struct fuzz_in *in, uint8_t op)
{
	struct vcpu *vcpu = &vm->vcpus[fuzz_u8(in) % vm->vcpu_count];
	struct fake_cpu *cpu = fake_cpu();

	vgic_flush_lrs(vcpu);
	for (unsigned n = 0; n < 4; n++) {
		uint64_t lr = cpu->ich_lr[n];
		if (!(lr & LR_STATE))
			continue;
		if (op & BIT(3)) /* acknowledged: pending to active */
			lr = (lr & ~LR_STATE) | (2ull << 62);
		if (op & BIT(4)) /* and ended */
			lr &= ~LR_STATE;
		fake_ich_lr_write(n, lr);
	}
	vgic_sync_lrs(vcpu);
	for (unsigned n = 0; n < 4; n++)
		FUZZ_CHECK(!(cpu->ich_lr[n] & LR_STATE),
			   "list register %u left after the fold-back", n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = fuzz_in(data, size);
	unsigned count = (fuzz_u8(&in) & 3) + 1;
	unsigned steps = 0;

	fake_arch_reset();
	memset(ram, 0, sizeof(ram));
	make_vm(vm, count);
	make_vm(other, 2);
	other->its.cbaser = 0x1234;
	memcpy(&snap_other, other, sizeof(snap_other));
	while (!fuzz_done(&in) && steps++ < 512) {
		uint8_t op = fuzz_u8(&in);
		uint64_t cmd[4];
		switch (op & 7) {
		case 0:
			its_access(&in, op);
			break;
		case 1:
			read_cmd(&in, cmd);
			(void)!vgic_its_command(vm, cmd);
			break;
		case 2: {
			uint16_t off = fuzz_u16(&in);
			size_t len = fuzz_u8(&in) % 65;
			uint8_t buf[64];
			len = fuzz_bytes(&in, buf, len);
			if (off + len <= RAM_SIZE)
				memcpy(ram + off, buf, len);
			break;
		}
		case 3:
			queue_cmd(&in);
			break;
		case 4:
			redist_lpi(&in);
			break;
		case 5:
			run_vcpu(&in, op);
			break;
		case 6: {
			uint64_t v = (op & BIT(3)) ? 2 : 0;
			struct mmio_dev *d = &vm->vgic.dist_dev;
			FUZZ_CHECK(d->ops->write(d, &vm->vcpus[0], GICD_CTLR, 4, v),
				   "GICD_CTLR write refused");
			break;
		}
		default: {
			struct mmio_dev *d = &vm->its.mmio;
			FUZZ_CHECK(
			    d->ops->write(d, &vm->vcpus[0], GITS_TRANSLATER, 4, fuzz_u32(&in)),
			    "GITS_TRANSLATER write refused");
			break;
		}
		}
		check_invariants();
	}
	return 0;
}
