/* SPDX-License-Identifier: Apache-2.0 */
/* Shared memory regions between VMs, and their doorbells: see shm.h. */
#include <kestrel/guest_dtb.h>
#include <kestrel/lib.h>
#include <kestrel/mm.h>
#include <kestrel/shm.h>
#include <kestrel/smccc_ids.h>
#include <kestrel/vm.h>

#define OWNER_SHM(i) ((owner_t)(OWNER_VM_BASE + VM_MAX + (i)))

static struct shm_config regions[SHM_MAX];
static paddr_t region_pa[SHM_MAX];
static unsigned nregions;

static void shm_error(const char *name, const char *msg)
{
	kprintf(SHM_REFUSED_FMT, name, msg);
}

unsigned shm_setup(const void *fdt, const struct vm_config *vms, unsigned nvms)
{
	struct shm_config cfg[SHM_MAX];
	unsigned n = vmconfig_shm_parse(fdt, vms, nvms, cfg, SHM_MAX, shm_error);

	for (unsigned i = 0; i < n; i++) {
		paddr_t pa = mm_alloc(cfg[i].size >> PAGE_SHIFT, PAGE_SIZE, OWNER_SHM(nregions));
		if (!pa) {
			shm_error(cfg[i].name, "property 'size': not enough free memory");
			continue;
		}
		zero_pages(pa, cfg[i].size);
		clean_to_poc(pa, cfg[i].size);
		region_pa[nregions] = pa;
		regions[nregions++] = cfg[i];
		kprintf("shared region '%s': %llu KiB at IPA 0x%llx, doorbell INTID %u",
			cfg[i].name, (unsigned long long)(cfg[i].size >> 10),
			(unsigned long long)cfg[i].ipa, 32 + SHM_SPI_BASE + nregions - 1);
	}
	return nregions;
}

static bool member(unsigned r, unsigned vm_id)
{
	for (unsigned i = 0; i < regions[r].nvms; i++)
		if (regions[r].vm[i] == vm_id)
			return true;
	return false;
}

bool shm_owner_shared_with(uint16_t owner, const struct vm *vm)
{
	for (unsigned r = 0; r < nregions; r++)
		if (owner == OWNER_SHM(r))
			return member(r, vm->id);
	return false;
}

unsigned shm_drop_regions_of(unsigned vm_id, const char *name)
{
	unsigned peers = 0;

	for (unsigned r = 0; r < nregions; r++) {
		if (!member(r, vm_id))
			continue;
		kprintf(
		    "shared region '%s' refused: VM '%s' was refused; the others run without it",
		    regions[r].name, name);
		for (unsigned i = 0; i < regions[r].nvms; i++)
			if (regions[r].vm[i] != vm_id)
				peers |= 1u << regions[r].vm[i];
		/* No member left: nothing maps it, its doorbell is refused, its SPI stays unused.
		 */
		regions[r].nvms = 0;
		mm_free(region_pa[r], regions[r].size >> PAGE_SHIFT, OWNER_SHM(r));
	}
	return peers;
}

int shm_map(struct vm *vm)
{
	for (unsigned r = 0; r < nregions; r++) {
		int err;
		if (!member(r, vm->id))
			continue;
		err = s2pt_map(&vm->s2, ipa_init(regions[r].ipa), pa_init(region_pa[r]),
			       regions[r].size, PT_R | PT_W);
		if (err)
			return err;
	}
	return E_OK;
}

void shm_dtb_params(const struct vm *vm, struct guest_dtb_params *p)
{
	p->nshm = 0;
	for (unsigned r = 0; r < nregions && p->nshm < ARRAY_SIZE(p->shm); r++) {
		if (!member(r, vm->id))
			continue;
		p->shm[p->nshm].id = r;
		p->shm[p->nshm].ipa = regions[r].ipa;
		p->shm[p->nshm].size = regions[r].size;
		p->shm[p->nshm].spi = SHM_SPI_BASE + r;
		p->shm[p->nshm].doorbell = SHM_DOORBELL_IPA + 8 * r;
		p->nshm++;
	}
}

int64_t shm_doorbell(struct vcpu *vcpu, uint64_t r)
{
	struct vm *self = vcpu->vm;

	if (r >= nregions || !member((unsigned)r, self->id))
		return PSCI_INVALID_PARAMETERS;
	for (unsigned i = 0; i < regions[r].nvms; i++) {
		struct vm *peer = &vms[regions[r].vm[i]];
		if (peer != self && peer->state == VM_RUNNING) {
			__atomic_fetch_add(&peer->shm.received[r], 1, __ATOMIC_RELAXED);
			vgic_inject(peer, NULL, 32 + SHM_SPI_BASE + (unsigned)r);
		}
	}
	return 0;
}

/* Only whole, aligned 32-bit accesses to a region the VM is a member of; else an abort. */
static bool doorbell_reg(struct vcpu *vcpu, uint64_t off, unsigned width, unsigned *r)
{
	*r = (unsigned)(off / 8);
	return width == 4 && off % 4 == 0 && *r < nregions && member(*r, vcpu->vm->id);
}

static bool doorbell_read(struct mmio_dev *dev, struct vcpu *vcpu, uint64_t off, unsigned width,
			  uint64_t *val)
{
	unsigned r;

	(void)dev;
	if (!doorbell_reg(vcpu, off, width, &r) || off % 8 != SHM_DOORBELL_RECEIVED)
		return false;
	*val = __atomic_load_n(&vcpu->vm->shm.received[r], __ATOMIC_RELAXED);
	return true;
}

static bool doorbell_write(struct mmio_dev *dev, struct vcpu *vcpu, uint64_t off, unsigned width,
			   uint64_t val)
{
	unsigned r;

	(void)dev, (void)val;
	if (!doorbell_reg(vcpu, off, width, &r) || off % 8 != SHM_DOORBELL_RING)
		return false;
	shm_doorbell(vcpu, r);
	return true;
}

static const struct mmio_ops doorbell_ops = {doorbell_read, doorbell_write};

struct mmio_dev *shm_attach(struct vm *vm)
{
	bool in_any = false;

	for (unsigned r = 0; r < nregions; r++) {
		in_any |= member(r, vm->id);
		vm->shm.received[r] = 0;
	}
	if (!in_any)
		return NULL;
	vm->shm.doorbell =
	    (struct mmio_dev){SHM_DOORBELL_IPA, PAGE_SIZE, "shm-doorbell", &doorbell_ops};
	return &vm->shm.doorbell;
}
