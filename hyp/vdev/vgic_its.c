/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The virtual ITS and the LPIs it translates to (GICv3, Arm IHI 0069, chapters 5 and 6).
 *
 * The guest's command queue is read one command at a time into kestrel's memory, through the
 * checked copies of struct vgic_hooks, and each command acts on that copy only: a guest that
 * rewrites its queue meanwhile changes nothing already read. Commands are taken when the
 * guest writes GITS_CWRITER, enables the ITS or reads GITS_CREADR (which is how software
 * waits for them), at most ITS_CMD_BATCH per access, so an endless or huge queue costs its
 * own vCPU one bounded piece per access. A command the ITS cannot carry out (an ID out of
 * range, a device, event or collection not mapped, a table or ITT outside the VM's RAM, a
 * full table) is dropped and counted, as KVM does; a queue that cannot be read (CBASER
 * outside RAM) stalls the ITS (GITS_CREADR.Stalled) until CWRITER.Retry or a new CBASER.
 *
 * Translations live here, bounded (ITS_MAX_DEVICES, ITS_MAX_ITES, ITS_MAX_COLLECTIONS), and
 * LPIs in VGIC_MAX_LPIS slots of the vGIC. The LPI configuration table (priority, enable) is
 * read from guest memory when an LPI is mapped and on INV and INVALL, as the architecture lets
 * a GIC cache it; the pending table is read when a redistributor's EnableLPIs is set (which
 * then stays set, GICR_CTLR.CES being 0).
 */
#include <kestrel/gic_regs.h>
#include <kestrel/guest_layout.h>
#include <kestrel/lib.h>
#include <kestrel/vgic.h>
#include <kestrel/vm.h>

#define ITS_IIDR	      0x4b00043bu /* implementer Arm (0x43b), product 'K', as the GIC's */
#define ITS_PIDR2	      0x3b	  /* ArchRev 3: GICv3 */
#define GITS_CTLR_ENABLED     BIT(0)
#define GITS_CTLR_QUIESCENT   BIT(31)
#define GITS_CREADR_STALLED   BIT(0)
#define GITS_CWRITER_RETRY    BIT(0)
#define GITS_OFFSET	      0xfffe0ull /* CWRITER/CREADR bits 19:5 */
#define GITS_VALID	      BIT(63)
#define ITS_ITT_ENTRY_SIZE    8
#define ITS_TABLE_ENTRY_SIZE  8
#define BASER_TYPE_DEVICES    1ull
#define BASER_TYPE_COLLECTION 4ull
#define PA_BITS(hi, lo)	      ((BIT((hi) + 1) - 1) & ~(BIT(lo) - 1))
#define CACHE_SHARE	      ((7ull << 59) | (7ull << 53) | (3ull << 10))
/* What the guest may write: Valid, the cacheability and shareability it asks for, the address,
   and (BASER) Page_Size and (both) Size. Indirect, Type and Entry_Size are kestrel's. */
#define BASER_RW	 (GITS_VALID | CACHE_SHARE | PA_BITS(47, 12) | (3ull << 8) | 0xff)
#define CBASER_RW	 (GITS_VALID | CACHE_SHARE | PA_BITS(51, 12) | 0xff)
#define PROPBASER_RW	 ((7ull << 56) | PA_BITS(51, 12) | (3ull << 10) | (7ull << 7) | 0x1f)
#define PENDBASER_PTZ	 BIT(62)
#define PENDBASER_RW	 ((7ull << 56) | PA_BITS(51, 16) | (3ull << 10) | (7ull << 7) | PENDBASER_PTZ)
#define LPI_CFG_ENABLE	 BIT(0)
#define LPI_CFG_PRIORITY 0xfc

enum its_cmd {
	CMD_MOVI = 0x01,
	CMD_INT = 0x03,
	CMD_CLEAR = 0x04,
	CMD_SYNC = 0x05,
	CMD_MAPD = 0x08,
	CMD_MAPC = 0x09,
	CMD_MAPTI = 0x0a,
	CMD_MAPI = 0x0b,
	CMD_INV = 0x0c,
	CMD_INVALL = 0x0d,
	CMD_MOVALL = 0x0e,
	CMD_DISCARD = 0x0f,
};

/* A command's fields (four little-endian doublewords). */
#define CMD_DEVID(c)   ((uint32_t)((c)[0] >> 32))
#define CMD_EVENTID(c) ((uint32_t)(c)[1])
#define CMD_PINTID(c)  ((uint32_t)((c)[1] >> 32))
#define CMD_SIZE(c)    ((unsigned)FIELD((c)[1], 0, 5))
#define CMD_ITT(c)     ((c)[2] & PA_BITS(51, 8))
#define CMD_ICID(c)    ((unsigned)FIELD((c)[2], 0, 16))
#define CMD_RDBASE(c)  FIELD((c)[2], 16, 36) /* GITS_TYPER.PTA 0: a processor number */
#define CMD_VALID(c)   ((c)[2] >> 63)

struct virq *vgic_its_lpi(struct vm *vm, unsigned intid)
{
	if (intid < VGIC_LPI_BASE || intid >= BIT(VGIC_ID_BITS))
		return NULL;
	for (unsigned i = 0; i < VGIC_MAX_LPIS; i++)
		if (vm->its.lpis[i].intid == intid)
			return &vm->its.lpis[i].irq;
	return NULL;
}

/* --- which vCPU wants each LPI (the want bitmap's LPI part; vgic.c has the rest) --- */

/* The redistributor LPI state of vcpu. */
static struct vgic_lpi_rd *rd_of(const struct vcpu *vcpu)
{
	return &vcpu->vm->its.rd[vcpu->id];
}

static void set_lpi_want(struct vcpu *vcpu, unsigned slot, bool want)
{
	struct vgic_lpi_rd *rd = rd_of(vcpu);
	uint64_t any = 0;

	if (want)
		rd->lpi_want[slot / 64] |= BIT(slot % 64);
	else
		rd->lpi_want[slot / 64] &= ~BIT(slot % 64);
	for (unsigned w = 0; w < VGIC_LPI_WORDS; w++)
		any |= rd->lpi_want[w];
	if (any) {
		vcpu->vgic.want[VGIC_WANT_LPI / 64] |= BIT(VGIC_WANT_LPI % 64);
		vcpu->attention = 1;
	} else {
		vcpu->vgic.want[VGIC_WANT_LPI / 64] &= ~BIT(VGIC_WANT_LPI % 64);
	}
}

/* As vgic.c's deliverable(): an LPI is wanted by the target of its collection, once that
   redistributor has LPIs on, while pending and enabled, or active and out of the list
   registers (the guest must still see it). */
static void update_lpi(struct vm *vm, struct vgic_lpi *l)
{
	unsigned slot = (unsigned)(l - vm->its.lpis);
	struct virq *irq = &l->irq;
	struct vcpu *t = vgic_spi_target(vm, irq);
	bool want = !irq->in_lr &&
		    (irq->active || (irq->pending && irq->enabled && (vm->vgic.ctlr & BIT(1))));

	for (unsigned i = 0; i < vm->vcpu_count; i++)
		if (vm->its.rd[i].lpi_want[slot / 64] & BIT(slot % 64))
			set_lpi_want(&vm->vcpus[i], slot, false);
	if (t && rd_of(t)->lpis_enabled && want)
		set_lpi_want(t, slot, true);
	/* Unmapped by the ITS and no longer anywhere: the slot is free for another LPI. */
	if (!l->refs && !irq->pending && !irq->in_lr && !irq->active)
		l->intid = 0;
}

void vgic_its_update(struct vm *vm, unsigned intid)
{
	struct virq *irq = vgic_its_lpi(vm, intid);

	if (irq)
		update_lpi(vm, (struct vgic_lpi *)(void *)irq);
}

void vgic_its_update_all(struct vm *vm)
{
	for (unsigned i = 0; i < VGIC_MAX_LPIS; i++)
		if (vm->its.lpis[i].intid)
			update_lpi(vm, &vm->its.lpis[i]);
}

bool vgic_its_pending(const struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;

	for (unsigned s = 0; s < VGIC_MAX_LPIS; s++)
		if ((READ_ONCE(rd_of(vcpu)->lpi_want[s / 64]) & BIT(s % 64)) &&
		    !READ_ONCE(vm->its.lpis[s].irq.active))
			return true;
	return false;
}

unsigned vgic_its_wanted(const struct vcpu *vcpu, unsigned limit)
{
	unsigned n = 0;

	for (unsigned s = 0; s < VGIC_MAX_LPIS && n <= limit; s++)
		n += (rd_of(vcpu)->lpi_want[s / 64] >> (s % 64)) & 1;
	return n;
}

unsigned vgic_its_urgent(const struct vcpu *vcpu, unsigned *prio)
{
	const struct vgic_lpi *lpis = vcpu->vm->its.lpis;
	unsigned best = 0;

	for (unsigned s = 0; s < VGIC_MAX_LPIS; s++)
		if ((rd_of(vcpu)->lpi_want[s / 64] & BIT(s % 64)) && lpis[s].irq.priority < *prio) {
			best = lpis[s].intid;
			*prio = lpis[s].irq.priority;
		}
	return best;
}

/* --- the LPIs' tables in guest memory --- */

/* LPI intid's configuration byte, from the property table of redistributor rd's vCPU (any
   vCPU's when rd names none: the tables are common, GICR_TYPER.CommonLPIAff 0). False when the
   table does not cover intid or is not the VM's RAM: the LPI stays disabled. */
static bool lpi_config(struct vm *vm, unsigned rd, unsigned intid, uint8_t *cfg)
{
	uint64_t prop = READ_ONCE(vm->its.rd[rd < vm->vcpu_count ? rd : 0].propbaser);
	unsigned bits = MIN((unsigned)FIELD(prop, 0, 5) + 1, (unsigned)VGIC_ID_BITS);

	if (intid >= BIT(bits))
		return false;
	return vm->vgic.hooks->read_ram(
		   vm, ipa_init((prop & PA_BITS(51, 12)) + intid - VGIC_LPI_BASE), cfg, 1) == E_OK;
}

static void apply_config(struct virq *irq, bool ok, uint8_t cfg)
{
	irq->enabled = ok && (cfg & LPI_CFG_ENABLE);
	irq->priority = ok ? cfg & LPI_CFG_PRIORITY : irq->priority;
}

/* EnableLPIs of vcpu's redistributor is set (vGIC lock held): its LPIs' pending bits come in
   from the pending table, unless PTZ said it is zero. It stays set: GICR_CTLR.CES is 0, so
   software knows that it cannot be cleared, and the table is never written back. */
static void enable_lpis(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	struct vgic_lpi_rd *c = rd_of(vcpu);

	for (unsigned i = 0; i < VGIC_MAX_LPIS && !(c->pendbaser & PENDBASER_PTZ); i++) {
		struct vgic_lpi *l = &vm->its.lpis[i];
		uint8_t bits;
		if (l->intid && l->irq.target == vcpu->id &&
		    vm->vgic.hooks->read_ram(
			vm, ipa_init((c->pendbaser & PA_BITS(51, 16)) + l->intid / 8), &bits, 1) ==
			E_OK &&
		    (bits & BIT(l->intid % 8)))
			l->irq.pending = true;
	}
	c->lpis_enabled = true;
	vgic_its_update_all(vm);
}

bool vgic_its_redist_access(struct vcpu *vcpu, uint64_t off, unsigned width, bool write,
			    uint64_t *val)
{
	struct vgic_lpi_rd *c = rd_of(vcpu);
	unsigned shift = (unsigned)(off & 4) * 8;
	uint64_t *reg, v;

	if (off == GICR_CTLR && width == 4) {
		if (write && (*val & 1) && !c->lpis_enabled)
			enable_lpis(vcpu);
		else if (!write)
			*val = c->lpis_enabled;
		return true;
	}
	reg = (off & ~7ull) == GICR_PROPBASER	? &c->propbaser
	      : (off & ~7ull) == GICR_PENDBASER ? &c->pendbaser
						: NULL;
	if (!reg || width < 4)
		return false;
	if (!write) {
		v = *reg & ~PENDBASER_PTZ; /* PTZ is write-only */
		*val = width == 8 ? v : (v >> shift) & 0xffffffff;
		return true;
	}
	/* Changing the tables of a redistributor with LPIs on is UNPREDICTABLE: ignored. */
	if (c->lpis_enabled)
		return true;
	v = width == 8 ? *val : (*reg & ~(0xffffffffull << shift)) | (*val << shift);
	*reg = v & (reg == &c->propbaser ? PROPBASER_RW : PENDBASER_RW);
	return true;
}

/* --- translations --- */

static struct its_device *find_device(struct vgic_its *its, uint32_t devid)
{
	for (unsigned i = 0; i < ITS_MAX_DEVICES; i++)
		if (its->dev[i].valid && its->dev[i].id == devid)
			return &its->dev[i];
	return NULL;
}

static struct its_ite *find_ite(struct vgic_its *its, uint32_t devid, uint32_t eventid)
{
	for (unsigned i = 0; i < ITS_MAX_ITES; i++)
		if (its->ite[i].valid && its->ite[i].devid == devid &&
		    its->ite[i].eventid == eventid)
			return &its->ite[i];
	return NULL;
}

/* The command's (DeviceID, EventID) translation, or NULL. */
static struct its_ite *cmd_ite(struct vgic_its *its, const uint64_t cmd[4])
{
	return find_ite(its, CMD_DEVID(cmd), CMD_EVENTID(cmd));
}

/* Whether the flat table GITS_BASER<n> declares has an entry for id, all of it in the VM's
   RAM: where a real ITS would write the entry, so where a guest must have put the table. */
static bool table_holds(struct vm *vm, uint64_t baser, uint32_t id)
{
	unsigned psz = (unsigned)FIELD(baser, 8, 2);
	uint64_t page = psz == 0 ? 0x1000 : psz == 1 ? 0x4000 : 0x10000;
	uint64_t pa = baser & PA_BITS(47, 12), size = (FIELD(baser, 0, 8) + 1) * page;

	/* With 64 KiB pages bits 15:12 are PA[51:48]: beyond any IPA kestrel gives. */
	if (!(baser & GITS_VALID) || (page == 0x10000 && (pa & 0xf000)))
		return false;
	return id < size / ITS_TABLE_ENTRY_SIZE && vm->vgic.hooks->in_ram(vm, pa, size);
}

/* The slot's interrupt goes to vCPU target (or none), pending state and all. */
static void retarget(struct vm *vm, struct vgic_lpi *l, uint8_t target)
{
	struct virq *irq = &l->irq;

	if (irq->target == target)
		return;
	irq->target = target;
	/* In a list register: its holder folds it back and hands it over (vgic_lr.c). */
	if (irq->in_lr) {
		irq->lr_override |= VGIC_OVR_MOVED;
		vm->vcpus[irq->lr_vcpu].vgic.lr_stale = true;
	}
	update_lpi(vm, l);
}

static void clear_pending(struct vm *vm, struct vgic_lpi *l)
{
	l->irq.pending = false;
	l->irq.lr_pending = false;
	/* The list register holding it must give it back now, not pending any more. */
	if (l->irq.in_lr)
		vm->vcpus[l->irq.lr_vcpu].vgic.lr_stale = true;
	update_lpi(vm, l);
}

/* The entry goes: its LPI is no longer pending and, mapped by nothing else, its slot frees. */
static void discard(struct vm *vm, struct its_ite *ite)
{
	struct vgic_lpi *l = &vm->its.lpis[ite->slot];

	ite->valid = false;
	l->refs--;
	clear_pending(vm, l);
}

static int cmd_mapd(struct vm *vm, const uint64_t cmd[4])
{
	struct vgic_its *its = &vm->its;
	uint32_t devid = CMD_DEVID(cmd);
	unsigned bits = CMD_SIZE(cmd) + 1;
	struct its_device *dev;

	if (devid >= BIT(ITS_DEVICE_BITS) || !table_holds(vm, its->baser[0], devid))
		return -E_RANGE;
	if (CMD_VALID(cmd) &&
	    (bits > ITS_EVENT_BITS ||
	     !vm->vgic.hooks->in_ram(vm, CMD_ITT(cmd), BIT(bits) * ITS_ITT_ENTRY_SIZE)))
		return -E_RANGE;
	/* Mapped already: its old translations go, whether it is mapped again or not. */
	dev = find_device(its, devid);
	if (dev) {
		dev->valid = false;
		for (unsigned i = 0; i < ITS_MAX_ITES; i++)
			if (its->ite[i].valid && its->ite[i].devid == devid)
				discard(vm, &its->ite[i]);
	}
	if (!CMD_VALID(cmd))
		return E_OK;
	for (unsigned i = 0; i < ITS_MAX_DEVICES; i++)
		if (!its->dev[i].valid) {
			its->dev[i] = (struct its_device){devid, (uint8_t)bits, true};
			return E_OK;
		}
	return -E_NOMEM;
}

static int cmd_mapc(struct vm *vm, const uint64_t cmd[4])
{
	struct vgic_its *its = &vm->its;
	unsigned icid = CMD_ICID(cmd);
	uint8_t target = VGIC_NO_TARGET;

	if (icid >= ITS_MAX_COLLECTIONS || !table_holds(vm, its->baser[1], icid))
		return -E_RANGE;
	if (CMD_VALID(cmd)) {
		if (CMD_RDBASE(cmd) >= vm->vcpu_count)
			return -E_RANGE;
		target = (uint8_t)CMD_RDBASE(cmd);
	}
	/* Mapped to another redistributor: its LPIs follow, as KVM moves them. */
	its->coll[icid] = target;
	for (unsigned i = 0; i < ITS_MAX_ITES; i++)
		if (its->ite[i].valid && its->ite[i].icid == icid)
			retarget(vm, &vm->its.lpis[its->ite[i].slot], target);
	return E_OK;
}

/* A slot for LPI intid: the one that has it, or a free one made ready for it. */
static struct vgic_lpi *lpi_slot(struct vm *vm, unsigned intid, uint8_t cfg, bool cfg_ok)
{
	struct vgic_lpi *free = NULL;

	for (unsigned i = 0; i < VGIC_MAX_LPIS; i++) {
		struct vgic_lpi *l = &vm->its.lpis[i];
		if (l->intid == intid)
			return l;
		if (!l->intid && !free)
			free = l;
	}
	if (!free)
		return NULL;
	*free = (struct vgic_lpi){.intid = (uint16_t)intid};
	free->irq.edge = true; /* LPIs are edges: no EOI maintenance */
	free->irq.group1 = true;
	free->irq.target = VGIC_NO_TARGET;
	apply_config(&free->irq, cfg_ok, cfg);
	return free;
}

static int cmd_mapti(struct vm *vm, const uint64_t cmd[4], bool mapi)
{
	struct vgic_its *its = &vm->its;
	struct its_device *dev = find_device(its, CMD_DEVID(cmd));
	uint32_t eventid = CMD_EVENTID(cmd), intid = mapi ? eventid : CMD_PINTID(cmd);
	unsigned icid = CMD_ICID(cmd);
	struct its_ite *ite = NULL;
	struct vgic_lpi *l;
	uint8_t cfg = 0;
	bool cfg_ok;

	if (!dev || eventid >= BIT(dev->event_bits) || intid < VGIC_LPI_BASE ||
	    intid >= BIT(VGIC_ID_BITS) || icid >= ITS_MAX_COLLECTIONS)
		return -E_RANGE;
	if (cmd_ite(its, cmd))
		return -E_EXIST; /* mapping a mapped event is UNPREDICTABLE: refused */
	for (unsigned i = 0; i < ITS_MAX_ITES && !ite; i++)
		if (!its->ite[i].valid)
			ite = &its->ite[i];
	if (!ite)
		return -E_NOMEM;
	cfg_ok = lpi_config(vm, its->coll[icid], intid, &cfg);
	spin_lock(&vm->vgic.lock);
	l = lpi_slot(vm, intid, cfg, cfg_ok);
	if (l) {
		l->refs++;
		*ite = (struct its_ite){dev->id, eventid, (uint16_t)(l - vm->its.lpis),
					(uint16_t)icid, true};
		retarget(vm, l, its->coll[icid]);
		update_lpi(vm, l);
	}
	spin_unlock(&vm->vgic.lock);
	return l ? E_OK : -E_NOMEM;
}

/* INV of one entry's LPI: its configuration byte again. */
static void reload_config(struct vm *vm, const struct its_ite *ite)
{
	struct vgic_lpi *l = &vm->its.lpis[ite->slot];
	uint8_t cfg = 0;
	bool ok = lpi_config(vm, vm->its.coll[ite->icid], l->intid, &cfg);

	spin_lock(&vm->vgic.lock);
	apply_config(&l->irq, ok, cfg);
	update_lpi(vm, l);
	spin_unlock(&vm->vgic.lock);
}

static int cmd_movi(struct vm *vm, struct its_ite *ite, unsigned icid)
{
	uint8_t target;

	if (icid >= ITS_MAX_COLLECTIONS)
		return -E_RANGE;
	target = vm->its.coll[icid];
	if (target == VGIC_NO_TARGET)
		return -E_NOENT;
	ite->icid = (uint16_t)icid;
	retarget(vm, &vm->its.lpis[ite->slot], target);
	return E_OK;
}

/* The commands that act on one mapped event (INT, CLEAR, DISCARD, INV, MOVI). */
static int cmd_event(struct vm *vm, unsigned num, const uint64_t cmd[4])
{
	struct vgic_its *its = &vm->its;
	struct its_ite *ite = cmd_ite(its, cmd);
	struct vgic_lpi *l;
	int err = E_OK;

	if (!ite)
		return -E_NOENT;
	if (num == CMD_INV) {
		reload_config(vm, ite);
		return E_OK;
	}
	l = &vm->its.lpis[ite->slot];
	spin_lock(&vm->vgic.lock);
	switch (num) {
	case CMD_INT:
		/* An LPI whose collection is not mapped has nowhere to go: a command error. */
		if (its->coll[ite->icid] == VGIC_NO_TARGET) {
			err = -E_NOENT;
			break;
		}
		l->irq.pending = true;
		update_lpi(vm, l);
		break;
	case CMD_CLEAR:
		clear_pending(vm, l);
		break;
	case CMD_DISCARD:
		discard(vm, ite);
		break;
	default: /* CMD_MOVI */
		err = cmd_movi(vm, ite, CMD_ICID(cmd));
		break;
	}
	spin_unlock(&vm->vgic.lock);
	return err;
}

int vgic_its_command(struct vm *vm, const uint64_t cmd[4])
{
	struct vgic_its *its = &vm->its;
	unsigned num = (unsigned)(cmd[0] & 0xff);
	int err = E_OK;

	its->cmds++;
	switch (num) {
	case CMD_MAPD:
	case CMD_MAPC:
		spin_lock(&vm->vgic.lock);
		err = num == CMD_MAPD ? cmd_mapd(vm, cmd) : cmd_mapc(vm, cmd);
		spin_unlock(&vm->vgic.lock);
		break;
	case CMD_MAPTI:
	case CMD_MAPI:
		err = cmd_mapti(vm, cmd, num == CMD_MAPI);
		break;
	case CMD_INT:
	case CMD_CLEAR:
	case CMD_DISCARD:
	case CMD_INV:
	case CMD_MOVI:
		err = cmd_event(vm, num, cmd);
		break;
	case CMD_INVALL:
		if (CMD_ICID(cmd) >= ITS_MAX_COLLECTIONS ||
		    its->coll[CMD_ICID(cmd)] == VGIC_NO_TARGET) {
			err = -E_NOENT;
			break;
		}
		for (unsigned i = 0; i < ITS_MAX_ITES; i++)
			if (its->ite[i].valid && its->ite[i].icid == CMD_ICID(cmd))
				reload_config(vm, &its->ite[i]);
		break;
	case CMD_MOVALL: {
		uint64_t from = CMD_RDBASE(cmd), to = FIELD(cmd[3], 16, 36);
		if (from >= vm->vcpu_count || to >= vm->vcpu_count) {
			err = -E_RANGE;
			break;
		}
		spin_lock(&vm->vgic.lock);
		for (unsigned i = 0; i < VGIC_MAX_LPIS; i++)
			if (vm->its.lpis[i].intid && vm->its.lpis[i].irq.target == from)
				retarget(vm, &vm->its.lpis[i], (uint8_t)to);
		spin_unlock(&vm->vgic.lock);
		break;
	}
	case CMD_SYNC: /* every command's effects are visible once it is taken */
		err = CMD_RDBASE(cmd) < vm->vcpu_count ? E_OK : -E_RANGE;
		break;
	default: /* unknown, or GICv4's (GITS_TYPER.Virtual is 0) */
		err = -E_INVAL;
		break;
	}
	if (err)
		its->errors++;
	return err;
}

/* --- the command queue --- */

static uint64_t queue_size(const struct vgic_its *its)
{
	return (FIELD(its->cbaser, 0, 8) + 1) * 0x1000;
}

/* Every other vCPU that now has an interrupt to take, or a list register to give back,
   must notice: as after a write to the distributor. */
static void kick_waiting(struct vm *vm, struct vcpu *self)
{
	for (unsigned i = 0; i < vm->vcpu_count; i++) {
		struct vcpu *v = &vm->vcpus[i];
		if (v != self && ((READ_ONCE(v->vgic.want[0]) | READ_ONCE(v->vgic.want[1])) ||
				  READ_ONCE(v->vgic.lr_stale)))
			vm->vgic.hooks->kick(v);
	}
}

/* Up to ITS_CMD_BATCH commands from CREADR towards CWRITER (ITS lock held). */
static void process(struct vm *vm, struct vcpu *self)
{
	struct vgic_its *its = &vm->its;
	unsigned n;

	for (n = 0; n < ITS_CMD_BATCH; n++) {
		uint64_t cmd[4];
		if (!(its->ctlr & GITS_CTLR_ENABLED) || !(its->cbaser & GITS_VALID) ||
		    its->stalled || its->creadr == its->cwriter)
			break;
		/* Read once, here: what the guest writes there later is the next lap's. */
		if (vm->vgic.hooks->read_ram(
			vm, ipa_init((its->cbaser & PA_BITS(51, 12)) + its->creadr), cmd,
			sizeof(cmd)) != E_OK) {
			its->stalled = true;
			its->errors++;
			break;
		}
		(void)!vgic_its_command(vm, cmd); /* counted in its->errors */
		its->creadr = (uint32_t)((its->creadr + ITS_CMD_SIZE) % queue_size(its));
	}
	if (n)
		kick_waiting(vm, self);
}

/* --- registers: one row each (the BASERs one row of eight), as KVM's tables have them --- */

struct its_reg {
	uint32_t off, size;
	uint64_t (*read)(struct vm *vm, struct vcpu *vcpu, uint64_t off);
	void (*write)(struct vm *vm, struct vcpu *vcpu, uint64_t off, uint64_t val);
};

static uint64_t ctlr_read(struct vm *vm, struct vcpu *vcpu, uint64_t off)
{
	(void)vcpu, (void)off;
	/* Quiescent once disabled: nothing is ever in flight when a command has been taken. */
	return vm->its.ctlr & GITS_CTLR_ENABLED ? GITS_CTLR_ENABLED : GITS_CTLR_QUIESCENT;
}

static void ctlr_write(struct vm *vm, struct vcpu *vcpu, uint64_t off, uint64_t val)
{
	(void)off;
	vm->its.ctlr = (uint32_t)(val & GITS_CTLR_ENABLED);
	process(vm, vcpu);
}

static uint64_t iidr_read(struct vm *vm, struct vcpu *vcpu, uint64_t off)
{
	(void)vm, (void)vcpu, (void)off;
	return ITS_IIDR;
}

static uint64_t pidr2_read(struct vm *vm, struct vcpu *vcpu, uint64_t off)
{
	(void)vm, (void)vcpu, (void)off;
	return ITS_PIDR2;
}

static uint64_t typer_read(struct vm *vm, struct vcpu *vcpu, uint64_t off)
{
	(void)vm, (void)vcpu, (void)off;
	/* Physical LPIs, no GICv4, PTA 0 (redistributors by processor number), HCC 0, CIL with
	   CIDbits: the sizes kestrel keeps. */
	return BIT(0) | ((ITS_ITT_ENTRY_SIZE - 1ull) << 4) | ((ITS_EVENT_BITS - 1ull) << 8) |
	       ((ITS_DEVICE_BITS - 1ull) << 13) | ((ITS_COLLECTION_BITS - 1ull) << 32) | BIT(36);
}

static uint64_t cbaser_read(struct vm *vm, struct vcpu *vcpu, uint64_t off)
{
	(void)vcpu, (void)off;
	return vm->its.cbaser;
}

static void cbaser_write(struct vm *vm, struct vcpu *vcpu, uint64_t off, uint64_t val)
{
	struct vgic_its *its = &vm->its;

	(void)vcpu, (void)off;
	if (its->ctlr & GITS_CTLR_ENABLED)
		return; /* UNPREDICTABLE while enabled: ignored */
	its->cbaser = val & CBASER_RW;
	its->creadr = its->cwriter = 0;
	its->stalled = false;
}

static uint64_t cwriter_read(struct vm *vm, struct vcpu *vcpu, uint64_t off)
{
	(void)vcpu, (void)off;
	return vm->its.cwriter;
}

static void cwriter_write(struct vm *vm, struct vcpu *vcpu, uint64_t off, uint64_t val)
{
	struct vgic_its *its = &vm->its;

	(void)off;
	/* An offset outside the queue is UNPREDICTABLE: ignored, as KVM does. */
	if ((val & GITS_OFFSET) >= queue_size(its))
		return;
	its->cwriter = (uint32_t)(val & GITS_OFFSET);
	if ((val & GITS_CWRITER_RETRY) && its->stalled)
		its->stalled = false; /* the command that stalled is read again */
	process(vm, vcpu);
}

static uint64_t creadr_read(struct vm *vm, struct vcpu *vcpu, uint64_t off)
{
	struct vgic_its *its = &vm->its;

	(void)off;
	process(vm, vcpu); /* software waits for its commands here: the next piece */
	return its->creadr | (its->stalled ? GITS_CREADR_STALLED : 0);
}

static uint64_t baser_read(struct vm *vm, struct vcpu *vcpu, uint64_t off)
{
	unsigned n = (unsigned)(off - GITS_BASER) / 8;
	static const uint64_t type[ITS_NR_BASERS] = {BASER_TYPE_DEVICES, BASER_TYPE_COLLECTION};

	(void)vcpu;
	if (n >= ITS_NR_BASERS)
		return 0; /* Type 0: not implemented */
	return vm->its.baser[n] | (type[n] << 56) | ((ITS_TABLE_ENTRY_SIZE - 1ull) << 48);
}

static void baser_write(struct vm *vm, struct vcpu *vcpu, uint64_t off, uint64_t val)
{
	struct vgic_its *its = &vm->its;
	unsigned n = (unsigned)(off - GITS_BASER) / 8;

	(void)vcpu;
	if (n >= ITS_NR_BASERS || (its->ctlr & GITS_CTLR_ENABLED))
		return;
	/* Page_Size 3 is reserved: 64 KiB, the largest. */
	if (FIELD(val, 8, 2) == 3)
		val &= ~(1ull << 8);
	its->baser[n] = val & BASER_RW;
}

static const struct its_reg its_regs[] = {
    {GITS_CTLR, 4, ctlr_read, ctlr_write},
    {GITS_IIDR, 4, iidr_read, NULL},
    {GITS_TYPER, 8, typer_read, NULL},
    {GITS_CBASER, 8, cbaser_read, cbaser_write},
    {GITS_CWRITER, 8, cwriter_read, cwriter_write},
    {GITS_CREADR, 8, creadr_read, NULL},
    {GITS_BASER, 64, baser_read, baser_write},
    {GIC_PIDR2, 4, pidr2_read, NULL},
};

/* A write of GITS_TRANSLATER by a CPU: its DeviceID is 0 (QEMU's is the bus requester's, 0
   for a CPU), its EventID the value; taken at once, as an INT would be, when enabled. */
static void translate(struct vm *vm, struct vcpu *vcpu, uint32_t eventid)
{
	uint64_t cmd[4] = {CMD_INT, eventid, 0, 0};

	if (!(vm->its.ctlr & GITS_CTLR_ENABLED))
		return;
	(void)!vgic_its_command(vm, cmd);
	kick_waiting(vm, vcpu);
}

static bool its_access(struct mmio_dev *dev, struct vcpu *vcpu, uint64_t off, unsigned width,
		       bool write, uint64_t *val)
{
	struct vm *vm = vcpu->vm;
	struct vgic_its *its = &vm->its;
	const struct its_reg *r = NULL;

	(void)dev;
	if (!IS_ALIGNED(off, width))
		return false;
	spin_lock(&its->lock);
	if (off == GITS_TRANSLATER && write && (width == 4 || width == 2))
		translate(vm, vcpu, (uint32_t)*val);
	for (unsigned i = 0; i < ARRAY_SIZE(its_regs) && !r; i++)
		if (off - its_regs[i].off < its_regs[i].size)
			r = &its_regs[i];
	if (!write)
		*val = 0;
	/* 64-bit registers take 32-bit accesses to either half; the others 32-bit ones only. */
	if (r && (width == 4 || (width == 8 && r->size >= 8))) {
		uint64_t reg = r->off + ((off - r->off) & ~7ull), shift = (off & 4) * 8;
		if (r->size == 4)
			reg = r->off, shift = 0;
		if (!write) {
			uint64_t v = r->read(vm, vcpu, reg);
			*val = width == 8 ? v : (v >> shift) & 0xffffffff;
		} else if (r->write) {
			uint64_t v = *val;
			if (width == 4 && r->size >= 8)
				v = (r->read(vm, vcpu, reg) & ~(0xffffffffull << shift)) |
				    (v << shift);
			r->write(vm, vcpu, reg, v);
		}
	}
	spin_unlock(&its->lock);
	return true;
}

static bool its_read(struct mmio_dev *dev, struct vcpu *vcpu, uint64_t off, unsigned width,
		     uint64_t *val)
{
	return its_access(dev, vcpu, off, width, false, val);
}

static bool its_write(struct mmio_dev *dev, struct vcpu *vcpu, uint64_t off, unsigned width,
		      uint64_t val)
{
	return its_access(dev, vcpu, off, width, true, &val);
}

static const struct mmio_ops its_ops = {its_read, its_write};

void vgic_its_init(struct vm *vm)
{
	struct vgic_its *its = &vm->its;

	memset(its, 0, sizeof(*its));
	memset(its->coll, VGIC_NO_TARGET, sizeof(its->coll));
	its->mmio = (struct mmio_dev){GUEST_ITS_BASE, GUEST_ITS_SIZE, "gits", &its_ops};
}
