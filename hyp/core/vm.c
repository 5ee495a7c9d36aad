/* SPDX-License-Identifier: Apache-2.0 */
/* VMs: build (memory, stage 2, images, devices), start, release. Stop and restart are
   requests (vm_lifecycle.c). */
#include <kestrel/arch.h>
#include <kestrel/drivers.h>
#include <kestrel/exits.h>
#include <kestrel/guest_dtb.h>
#include <kestrel/guest_layout.h>
#include <kestrel/hyp.h>
#include <kestrel/image.h>
#include <kestrel/lib.h>
#include <kestrel/mm.h>
#include <kestrel/platform.h>
#include <libfdt.h>
#include <kestrel/shm.h>
#include <kestrel/sysreg.h>
#include <kestrel/vm.h>

#define GUEST_DTB_MAX (64 * 1024)
#define IMAGE_PIECE   SZ_2M /* copied per step: a block of RAM */

struct vm vms[VM_MAX];

/* --- stage-2 table memory: pages owned by kestrel, zeroed --- */

static paddr_t s2_alloc(void *ctx, unsigned npages)
{
	struct vm *vm = ctx;
	paddr_t pa = mm_alloc_zeroed(npages, OWNER_KESTREL);

	if (pa)
		vm->s2_pages += npages;
	return pa;
}

static void s2_free(void *ctx, paddr_t pa, unsigned npages)
{
	struct vm *vm = ctx;

	vm->s2_pages -= npages;
	mm_free(pa, npages, OWNER_KESTREL);
}

static void *s2_va(void *ctx, paddr_t pa)
{
	(void)ctx;
	return (void *)(uintptr_t)pa;
}

/* Invalidates every stage-1+2 translation of the VM: its VMID must be live in VTTBR. */
void vm_s2_flush(struct vm *vm)
{
	arch_s2_tlb_flush(vm->vttbr);
}

static void s2_tlb_flush(void *ctx, uint64_t ia, uint64_t size)
{
	(void)ia, (void)size;
	vm_s2_flush(ctx);
}

static const struct pgtable_mm s2_mm_template = {s2_alloc, s2_free, s2_va, s2_tlb_flush, NULL};

/* --- guest console output --- */

static void guest_output(struct vpl011 *u, char c)
{
	struct vm *vm = (struct vm *)(void *)((char *)u - offsetof(struct vm, uart));

	vconsole_output(vm, c);
}

static void uart_line(struct vpl011 *u, bool level)
{
	struct vm *vm = (struct vm *)(void *)((char *)u - offsetof(struct vm, uart));

	vgic_set_line(vm, 32 + GUEST_UART_SPI, level);
}

bool vm_ipa_is_ram(const struct vm *vm, ipaddr_t ipa, uint64_t size)
{
	uint64_t ram = ipa_addr(vm->ram_ipa);

	return ipa >= ram && size <= vm->ram_size && ipa - ram <= vm->ram_size - size;
}

struct vcpu *vm_vcpu_by_mpidr(struct vm *vm, uint64_t mpidr)
{
	mpidr &= 0xff00ffffffull; /* affinity fields only */
	for (unsigned i = 0; i < vm->vcpu_count; i++)
		if ((vm->vcpus[i].vmpidr & 0xff00ffffffull) == mpidr)
			return &vm->vcpus[i];
	return NULL;
}

static int refuse(struct vm *vm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int refuse(struct vm *vm, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kprintf(VM_REFUSED_FMT, vm->name, msg);
	return -E_INVAL;
}

/* Lays the images out in the VM's RAM (which is zero): where the kernel, initrd and DTB go. */
int vm_images_begin(struct vm *vm)
{
	const struct vm_config *cfg = &vm->config;
	const void *kernel = (const void *)(uintptr_t)cfg->kernel_pa;
	struct image_info img;
	ipaddr_t kernel_end;

	if (image_parse(kernel, cfg->kernel_size, &img) != E_OK)
		return refuse(vm, "the kernel module has a malformed arm64 Image header");
	if (!img.has_header && !cfg->kernel_raw)
		return refuse(vm,
			      "the kernel module is not an arm64 Image (no \"ARM\\x64\" magic): "
			      "set kernel-format = \"raw\" to load it raw");
	kernel_end = ipa_addr(vm->ram_ipa) + img.load_offset + ALIGN_UP(img.mem_size, PAGE_SIZE);
	vm->dtb_ipa = ipa_addr(vm->ram_ipa) + vm->ram_size - SZ_2M;
	vm->initrd_ipa = 0;
	if (cfg->initrd_size)
		vm->initrd_ipa = ALIGN_DOWN(vm->dtb_ipa - cfg->initrd_size, PAGE_SIZE);
	if (kernel_end > (cfg->initrd_size ? vm->initrd_ipa : vm->dtb_ipa) ||
	    cfg->initrd_size > vm->ram_size)
		return refuse(vm, "kernel (%llu KiB)%s do not fit in its %llu MiB of memory",
			      (unsigned long long)(img.mem_size >> 10),
			      cfg->initrd_size ? " and initrd" : "",
			      (unsigned long long)(vm->ram_size >> 20));
	vm->entry = ipa_addr(vm->ram_ipa) + img.load_offset;
	return E_OK;
}

/* Copies [off, off + size) of an image to ipa + off: the blocks it goes into are handed over
   first (zeroed like any other), and it is cleaned to the point of coherency for a guest
   whose MMU is off. */
static int copy_piece(struct vm *vm, ipaddr_t ipa, const void *src, uint64_t off, uint64_t size)
{
	if (vm_ram_prepare(vm, ipa + off, size))
		return refuse(vm, "no memory left for its stage-2 tables");
	copy_to_pages(pa_addr(vm_ram_pa(vm, ipa + off)), (const char *)src + off, size);
	clean_to_poc(pa_addr(vm_ram_pa(vm, ipa + off)), size);
	return E_OK;
}

/* The DTB, with this boot's count, and no stale instructions for the guest's first fetches. */
static int finish_images(struct vm *vm)
{
	if (vm_ram_prepare(vm, vm->dtb_ipa, vm->dtb_size))
		return refuse(vm, "no memory left for its stage-2 tables");
	memcpy(pa_to_ptr(vm_ram_pa(vm, vm->dtb_ipa)), (const void *)(uintptr_t)vm->dtb_pa,
	       vm->dtb_size);
	vm->boots++;
	fpsimd_claim_for_kestrel(); /* libfdt uses FP/SIMD registers */
	fdt_setprop_inplace_u32(pa_to_ptr(vm_ram_pa(vm, vm->dtb_ipa)),
				fdt_path_offset(pa_to_ptr(vm_ram_pa(vm, vm->dtb_ipa)), "/chosen"),
				"kestrel,boot-count", (uint32_t)vm->boots);
	fpsimd_release_from_kestrel();
	clean_to_poc(pa_addr(vm_ram_pa(vm, vm->dtb_ipa)), vm->dtb_size);
	invalidate_icache();
	return E_OK;
}

/* cursor runs over the kernel's bytes, then the initrd's; a piece is at most IMAGE_PIECE. */
int vm_images_step(struct vm *vm, uint64_t *cursor, uint64_t until)
{
	const struct vm_config *cfg = &vm->config;
	uint64_t total = cfg->kernel_size + cfg->initrd_size;

	do {
		uint64_t at = *cursor, piece;
		int err;
		if (at >= total)
			return finish_images(vm);
		if (at < cfg->kernel_size) {
			piece = MIN(IMAGE_PIECE, cfg->kernel_size - at);
			err = copy_piece(vm, vm->entry, (const void *)(uintptr_t)cfg->kernel_pa, at,
					 piece);
		} else {
			at -= cfg->kernel_size;
			piece = MIN(IMAGE_PIECE, cfg->initrd_size - at);
			err = copy_piece(vm, vm->initrd_ipa,
					 (const void *)(uintptr_t)cfg->initrd_pa, at, piece);
		}
		if (err)
			return err;
		*cursor += piece;
	} while (arch_counter() < until);
	return 1;
}

/* At build time: all of the images at once. */
static int load_images(struct vm *vm)
{
	uint64_t cursor = 0;
	int err = vm_images_begin(vm);

	if (err)
		return err;
	do
		err = vm_images_step(vm, &cursor, 0);
	while (err > 0);
	return err;
}

static int build_dtb(struct vm *vm)
{
	const struct vm_config *cfg = &vm->config;
	struct guest_dtb_params p = {
	    .ram_base = ipa_addr(vm->ram_ipa),
	    .ram_size = vm->ram_size,
	    .vcpus = vm->vcpu_count,
	    .bootargs = cfg->bootargs,
	    .initrd_size = cfg->initrd_size,
	    .initrd_start = ALIGN_DOWN(
		ipa_addr(vm->ram_ipa) + vm->ram_size - SZ_2M - cfg->initrd_size, PAGE_SIZE),
	};
	int size;

	shm_dtb_params(vm, &p);
	p.nvirtio = vm->config.nvirtio;
	p.host_fdt = platform.fdt;
	p.npassthrough = vm->config.npassthrough;
	for (unsigned i = 0; i < p.npassthrough; i++)
		p.passthrough[i] = vm->config.passthrough[i];
	vm->dtb_pa = mm_alloc_zeroed(GUEST_DTB_MAX / PAGE_SIZE, OWNER_KESTREL);
	if (!vm->dtb_pa)
		return refuse(vm, "no memory left for its device tree");
	fpsimd_claim_for_kestrel(); /* libfdt uses FP/SIMD registers */
	size = guest_dtb_build((void *)(uintptr_t)vm->dtb_pa, GUEST_DTB_MAX, &p);
	fpsimd_release_from_kestrel();
	if (size < 0)
		return refuse(vm, "its device tree does not fit in %u KiB (bootargs too long?)",
			      GUEST_DTB_MAX / 1024);
	vm->dtb_size = (uint64_t)size;
	return E_OK;
}

/* Register region i of passed-through device d, widened to whole pages: [*base, *end). */
static bool passthrough_range(const struct vm *vm, unsigned d, int i, paddr_t *base, paddr_t *end)
{
	uint64_t addr, size;

	if (hostdt_reg(platform.fdt, vm->config.passthrough[d], i, &addr, &size) != E_OK)
		return false;
	*base = ALIGN_DOWN(addr, PAGE_SIZE);
	*end = ALIGN_UP(addr + size, PAGE_SIZE);
	return true;
}

/* Device pages [base, end), one by one, skipping those another region of the VM mapped. */
static int map_device_pages(struct vm *vm, paddr_t base, paddr_t end)
{
	for (paddr_t pa = base; pa < end; pa += PAGE_SIZE) {
		int err = s2pt_map(&vm->s2, ipa_from_pa(pa_init(pa)), pa_init(pa), PAGE_SIZE,
				   PT_R | PT_W | PT_DEVICE);
		if (err && err != -E_EXIST)
			return err;
	}
	return E_OK;
}

/* A passed-through device's registers, at the same address in the guest (Device memory). */
static int map_passthrough(struct vm *vm)
{
	paddr_t base, end;

	for (unsigned d = 0; d < vm->config.npassthrough; d++)
		for (int i = 0; passthrough_range(vm, d, i, &base, &end); i++) {
			int err = s2pt_map(&vm->s2, ipa_from_pa(pa_init(base)), pa_init(base),
					   end - base, PT_R | PT_W | PT_DEVICE);
			if (err == -E_EXIST) /* a page shared with another region */
				err = map_device_pages(vm, base, end);
			if (err)
				return err;
		}
	return E_OK;
}

bool vm_passthrough_covers(const struct vm *vm, paddr_t pa, uint64_t size)
{
	paddr_t base, end;

	for (unsigned d = 0; d < vm->config.npassthrough; d++)
		for (int i = 0; passthrough_range(vm, d, i, &base, &end); i++)
			if (pa >= base && pa + size <= end)
				return true;
	return false;
}

void vm_release(struct vm *vm, bool scrubbed)
{
	vm_virtio_stop(vm); /* before its RAM goes: no device copies into it after this */
	/* vmconfig checked them: SPIs the vGIC has, below the doorbells, no other VM's. */
	for (unsigned i = 0; i < vm->config.nspis; i++)
		passthrough_irq_release(vm->config.spi_intids[i]);
	vgic_release_hw(vm);
	if (vm->s2.root) {
		vm_s2_flush(vm);
		pgtable_destroy(&vm->s2);
	}
	if (pa_addr(vm->ram_pa)) {
		if (!scrubbed)
			vm_ram_scrub(vm);
		mm_free(pa_addr(vm->ram_pa), vm->ram_size >> PAGE_SHIFT, OWNER_VM(vm->id));
	}
	if (vm->dtb_pa)
		mm_free(vm->dtb_pa, GUEST_DTB_MAX / PAGE_SIZE, OWNER_KESTREL);
	if (vm->vmid)
		vmid_free(vm->vmid);
	vm->ram_pa = pa_init(0);
	vm->dtb_pa = 0;
	vm->vmid = 0;
}

/*
 * Every emulated device of the VM goes into its MMIO table here, and only here. The layout
 * is kestrel's own (platform.h), so a refused insert is a kestrel bug: the VM is refused
 * rather than run with one device shadowing another.
 */
static int attach_devices(struct vm *vm)
{
	struct mmio_dev *devs[] = {&vm->uart.dev, &vm->vgic.dist_dev, &vm->vgic.redist_dev,
				   shm_attach(vm), vm_virtio_attach(vm)};

	vm->mmio_count = 0;
	for (unsigned i = 0; i < vm->vcpu_count; i++)
		vm->vcpus[i].mmio_last = NULL;
	for (unsigned i = 0; i < ARRAY_SIZE(devs); i++) {
		int err;
		if (!devs[i])
			continue;
		err = mmio_insert(vm->mmio, &vm->mmio_count, VM_MMIO_MAX, devs[i]);
		if (err)
			return refuse(vm, "emulated device %s at 0x%llx: %s", devs[i]->name,
				      (unsigned long long)devs[i]->base,
				      err == -E_EXIST ? "overlaps another"
						      : "no room in the MMIO table");
	}
	return E_OK;
}

/* With copy_images false, the images are laid out (and refused if they do not fit) but not
   copied: the caller copies them with vm_images_step. */
static int build(struct vm *vm, bool copy_images)
{
	int err;

	vm->ram_lazy = false; /* until vm_ram_setup: a failed build scrubs all it got */
	vm->vmid = vmid_alloc();
	if (!vm->vmid)
		return refuse(vm, "no VMID left");
	if (vm->config.direct_map && vm->config.mem_base)
		vm->ram_pa = pa_init(
		    mm_claim(vm->config.mem_base, vm->ram_size >> PAGE_SHIFT, OWNER_VM(vm->id)));
	else
		vm->ram_pa = pa_init(mm_alloc(vm->ram_size >> PAGE_SHIFT, SZ_2M, OWNER_VM(vm->id)));
	if (!pa_addr(vm->ram_pa)) {
		vm_release(vm, false);
		if (vm->config.direct_map && vm->config.mem_base)
			return refuse(vm,
				      "property 'memory-base': memory at 0x%llx is already in use "
				      "(kestrel, images or another VM)",
				      (unsigned long long)vm->config.mem_base);
		return refuse(vm, "property 'memory': %llu MiB is more than the free memory",
			      (unsigned long long)(vm->ram_size >> 20));
	}
	/* Direct-mapped: the guest sees its RAM where it really is, so DMA addresses work. */
	vm->ram_ipa = vm->config.direct_map ? ipa_from_pa(vm->ram_pa)
		      : vm->config.mem_base ? ipa_init(vm->config.mem_base)
					    : ipa_init(GUEST_RAM_BASE);
	vm->s2_mm = s2_mm_template;
	vm->s2_mm.ctx = vm;
	err = pgtable_init(&vm->s2, hyp.ipa_bits, true, &vm->s2_mm);
	if (!err)
		err = vm_ram_setup(vm);
	if (err) {
		vm_release(vm, false);
		return refuse(vm, "no memory left for its stage-2 tables");
	}
	if (!err)
		err = shm_map(vm);
	if (!err)
		err = map_passthrough(vm);
	if (err) {
		vm_release(vm, false);
		return refuse(vm, "no memory left for its stage-2 tables");
	}
	vm->vttbr = vm->s2.root | ((uint64_t)vm->vmid << 48);
	err = build_dtb(vm);
	if (!err)
		err = copy_images ? load_images(vm) : vm_images_begin(vm);
	if (err) {
		vm_release(vm, false);
		return err;
	}
	vm->con_len = 0; /* a stopped run's unfinished output line is not this run's */
	/* Input arrives only through the UART interrupt on one CPU (vconsole.c), never by a
	   guest polling the physical UART from whichever CPU it runs on. */
	vpl011_init(&vm->uart, GUEST_UART_BASE, guest_output);
	vm->uart.irq_line = uart_line;
	err = vm_virtio_build(vm);
	if (err) {
		vm_release(vm, false);
		return err;
	}
	vgic_init(vm, gicv3_list_regs(), &vm_vgic_hooks);
	err = attach_devices(vm);
	if (err) {
		vm_release(vm, false);
		return err;
	}
	for (unsigned i = 0; i < vm->vcpu_count; i++)
		memset(vm->vcpus[i].stats, 0, sizeof(vm->vcpus[i].stats));
	if (invariants_check_vm(vm, "built")) {
		vm_release(vm, false);
		return refuse(vm, "its stage 2 breaks kestrel's isolation invariants");
	}
	vm->state = VM_STOPPED;
	return E_OK;
}

int vm_build(struct vm *vm)
{
	return build(vm, true);
}

int vm_build_unloaded(struct vm *vm)
{
	return build(vm, false);
}

int vm_create(struct vm *vm, unsigned id, const struct vm_config *cfg)
{
	memset(vm, 0, sizeof(*vm));
	vm->id = id;
	vm->config = *cfg;
	strlcpy(vm->name, cfg->name, sizeof(vm->name));
	vm->label = (struct console_label){vm->name, cfg->console_prefix, cfg->console_color};
	vm->vcpu_count = cfg->vcpus;
	vm->ram_size = cfg->mem_size;
	vm->job.cpu = -1;
	for (unsigned i = 0; i < vm->vcpu_count; i++) {
		struct vcpu *vcpu = &vm->vcpus[i];
		vcpu->vm = vm;
		vcpu->id = i;
		vcpu->hcr = hyp.vcpu_hcr;
		vcpu->cptr = hyp.vcpu_cptr;
		vcpu->mdcr = hyp.vcpu_mdcr;
		vcpu->vmpidr = GUEST_MPIDR(i);
	}
	return vm_build(vm);
}

/* Physical SPIs of passed-through devices go to the CPU of the VM's first vCPU. */
static void passthrough_irqs_route(struct vm *vm)
{
	for (unsigned i = 0; i < vm->config.nspis; i++)
		passthrough_irq_claim(vm->config.spi_intids[i], vm);
}

void vm_destroy(struct vm *vm)
{
	vm_release(vm, false);
	vm->state = VM_FREE;
}

bool vm_start(struct vm *vm)
{
	struct vcpu *boot = &vm->vcpus[0];

	/* The guest's virtual counter starts near zero. */
	vm->cntvoff = arch_counter();
	vm->started_ms = uptime_ms();
	vm->stray_logged = 0;
	vm->watch_len = 0;
	vm->stray_unlogged = 0;
	vm->stray_next_log = 0;
	vcpu_reset(boot, vm->entry, vm->dtb_ipa);
	/* kestrel's console may have asked a restarting VM to stop: it stops instead. Whatever
	   else its last run asked is over. */
	spin_lock(&vm->lock);
	bool stop = vm->requests & VM_REQ_STOP;
	if (!stop) {
		boot->power = VCPU_ON_PENDING;
		vm->requests = 0;
		vm->state = VM_RUNNING;
	}
	spin_unlock(&vm->lock);
	if (stop)
		return false;
	passthrough_irqs_route(vm);
	/* Its CPU may be running a vCPU that never blocks, with no slice armed because it was
	   alone there: a bare kick would let that one go on, and this VM would never run. */
	vcpu_kick(boot);
	return true;
}

void vm_print_stats(const struct vm *vm, const char *what)
{
	static const struct {
		unsigned stat;
		const char *name;
	} shown[] = {
	    {EC_HVC64, "hvc"},
	    {EC_SMC64, "smc"},
	    {EC_SYS64, "sysreg"},
	    {STAT_MMIO, "mmio"},
	    {EC_DABT_LOW, "dabt"},
	    {EC_IABT_LOW, "iabt"},
	    {EC_WFX, "wfx"},
	    {EC_FP_ASIMD, "fpsimd"},
	    {STAT_IRQ, "irq"},
	    {EC_UNKNOWN, "unknown"},
	    {STAT_ABORT_INJECTED, "aborts-injected"},
	    {STAT_UNDEF_INJECTED, "undefs-injected"},
	    {STAT_STRAY, "strays"},
	};
	char line[300];
	int n = 0;

	for (unsigned s = 0; s < ARRAY_SIZE(shown); s++) {
		uint64_t total = 0;
		for (unsigned i = 0; i < vm->vcpu_count; i++)
			total += vm->vcpus[i].stats[shown[s].stat];
		if (total && n < (int)sizeof(line))
			n += snprintf(line + n, sizeof(line) - (size_t)n, " %s=%llu", shown[s].name,
				      (unsigned long long)total);
		if (shown[s].stat == STAT_STRAY && total > vm->stray_logged &&
		    n < (int)sizeof(line))
			n += snprintf(line + n, sizeof(line) - (size_t)n, " (%llu not logged)",
				      (unsigned long long)(total - vm->stray_logged));
	}
	kprintf("%s %s; exits:%s; RAM touched %llu of %llu MiB; CPU time %llu ms, lifecycle work "
		"%llu ms",
		vm->name, what, n ? line : " none",
		(unsigned long long)(vm->ram_lazy ? vm->ram_blocks_ready * (SZ_2M >> 20)
						  : vm->ram_size >> 20),
		(unsigned long long)(vm->ram_size >> 20),
		(unsigned long long)(vm->cpu_ticks / (hyp.cntfrq / 1000)),
		(unsigned long long)(vm->job_ticks / (hyp.cntfrq / 1000)));
	vm_virtio_print_stats(vm);
}
