/* SPDX-License-Identifier: Apache-2.0 */
/* VM lifecycle: build (memory, stage 2, images, devices), start, stop, restart. */
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

#define GUEST_DTB_MAX	(64 * 1024)
#define STOP_WAIT_LOOPS 100000000ull

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
static void s2_flush_vm(struct vm *vm)
{
	uint64_t saved = read_sysreg(vttbr_el2);

	dsb(ishst);
	write_sysreg(vttbr_el2, vm->vttbr);
	isb();
	__asm__ volatile("tlbi vmalls12e1is" ::: "memory");
	dsb(ish);
	write_sysreg(vttbr_el2, saved);
	isb();
}

static void s2_tlb_flush(void *ctx, uint64_t ia, uint64_t size)
{
	(void)ia, (void)size;
	s2_flush_vm(ctx);
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

static void *ipa_to_va(const struct vm *vm, ipaddr_t ipa)
{
	return pa_to_ptr(pa_add(vm->ram_pa, ipa - ipa_addr(vm->ram_ipa)));
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

/* Copies the images into the VM's RAM and writes its DTB; RAM is already zero. */
static int load_images(struct vm *vm)
{
	const struct vm_config *cfg = &vm->config;
	const void *kernel = (const void *)(uintptr_t)cfg->kernel_pa;
	struct image_info img;
	ipaddr_t kernel_end, initrd = 0;

	if (image_parse(kernel, cfg->kernel_size, &img) != E_OK)
		return refuse(vm, "the kernel module has a malformed arm64 Image header");
	if (!img.has_header && !cfg->kernel_raw)
		return refuse(vm,
			      "the kernel module is not an arm64 Image (no \"ARM\\x64\" magic): "
			      "set kernel-format = \"raw\" to load it raw");
	kernel_end = ipa_addr(vm->ram_ipa) + img.load_offset + ALIGN_UP(img.mem_size, PAGE_SIZE);
	vm->dtb_ipa = ipa_addr(vm->ram_ipa) + vm->ram_size - SZ_2M;
	if (cfg->initrd_size)
		initrd = ALIGN_DOWN(vm->dtb_ipa - cfg->initrd_size, PAGE_SIZE);
	if (kernel_end > (cfg->initrd_size ? initrd : vm->dtb_ipa) ||
	    cfg->initrd_size > vm->ram_size)
		return refuse(vm, "kernel (%llu KiB)%s do not fit in its %llu MiB of memory",
			      (unsigned long long)(img.mem_size >> 10),
			      cfg->initrd_size ? " and initrd" : "",
			      (unsigned long long)(vm->ram_size >> 20));
	vm->entry = ipa_addr(vm->ram_ipa) + img.load_offset;
	/* The blocks the images go into are handed over now, zeroed first like any other. */
	if (vm_ram_prepare(vm, vm->entry, cfg->kernel_size) ||
	    vm_ram_prepare(vm, initrd, cfg->initrd_size) ||
	    vm_ram_prepare(vm, vm->dtb_ipa, vm->dtb_size))
		return refuse(vm, "no memory left for its stage-2 tables");
	copy_to_pages((paddr_t)(uintptr_t)ipa_to_va(vm, vm->entry), kernel, cfg->kernel_size);
	if (cfg->initrd_size)
		copy_to_pages((paddr_t)(uintptr_t)ipa_to_va(vm, initrd),
			      (const void *)(uintptr_t)cfg->initrd_pa, cfg->initrd_size);
	memcpy(ipa_to_va(vm, vm->dtb_ipa), (const void *)(uintptr_t)vm->dtb_pa, vm->dtb_size);
	vm->boots++;
	fpsimd_claim_for_kestrel(); /* libfdt uses FP/SIMD registers */
	fdt_setprop_inplace_u32(ipa_to_va(vm, vm->dtb_ipa),
				fdt_path_offset(ipa_to_va(vm, vm->dtb_ipa), "/chosen"),
				"kestrel,boot-count", (uint32_t)vm->boots);
	fpsimd_release_from_kestrel();
	/* In RAM for a guest with its MMU off, and no stale instructions for its first fetches. */
	clean_to_poc((paddr_t)(uintptr_t)ipa_to_va(vm, vm->entry), cfg->kernel_size);
	if (cfg->initrd_size)
		clean_to_poc((paddr_t)(uintptr_t)ipa_to_va(vm, initrd), cfg->initrd_size);
	clean_to_poc((paddr_t)(uintptr_t)ipa_to_va(vm, vm->dtb_ipa), vm->dtb_size);
	invalidate_icache();
	return E_OK;
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

static void release(struct vm *vm)
{
	vm_virtio_stop(vm); /* before its RAM goes: no device copies into it after this */
	/* vmconfig checked them: SPIs the vGIC has, below the doorbells, no other VM's. */
	for (unsigned i = 0; i < vm->config.nspis; i++)
		passthrough_irq_release(vm->config.spi_intids[i]);
	vgic_release_hw(vm);
	if (vm->s2.root) {
		s2_flush_vm(vm);
		pgtable_destroy(&vm->s2);
	}
	if (pa_addr(vm->ram_pa)) {
		vm_ram_scrub(vm, false);
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

int vm_build(struct vm *vm)
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
		release(vm);
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
		release(vm);
		return refuse(vm, "no memory left for its stage-2 tables");
	}
	if (!err)
		err = shm_map(vm);
	if (!err)
		err = map_passthrough(vm);
	if (err) {
		release(vm);
		return refuse(vm, "no memory left for its stage-2 tables");
	}
	vm->vttbr = vm->s2.root | ((uint64_t)vm->vmid << 48);
	err = build_dtb(vm);
	if (!err)
		err = load_images(vm);
	if (err) {
		release(vm);
		return err;
	}
	vm->con_len = 0; /* a stopped run's unfinished output line is not this run's */
	/* Input arrives only through the UART interrupt on one CPU (vconsole.c), never by a
	   guest polling the physical UART from whichever CPU it runs on. */
	vpl011_init(&vm->uart, GUEST_UART_BASE, guest_output);
	vm->uart.irq_line = uart_line;
	vm_virtio_build(vm);
	vgic_init(vm, gicv3_list_regs(), &vm_vgic_hooks);
	err = attach_devices(vm);
	if (err) {
		release(vm);
		return err;
	}
	for (unsigned i = 0; i < vm->vcpu_count; i++)
		memset(vm->vcpus[i].stats, 0, sizeof(vm->vcpus[i].stats));
	if (invariants_check_vm(vm, "built")) {
		release(vm);
		return refuse(vm, "its stage 2 breaks kestrel's isolation invariants");
	}
	vm->state = VM_STOPPED;
	return E_OK;
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
	release(vm);
	vm->state = VM_FREE;
}

static void finish_stop(struct vm *vm, const char *what);

void vm_start(struct vm *vm)
{
	struct vcpu *boot = &vm->vcpus[0];

	/* The guest's virtual counter starts near zero. */
	vm->cntvoff = read_sysreg(cntpct_el0);
	vm->started_ms = uptime_ms();
	vm->stray_logged = 0;
	vm->watch_len = 0;
	vm->crash_seen = false;
	vm->stray_unlogged = 0;
	vm->stray_next_log = 0;
	vcpu_reset(boot, vm->entry, vm->dtb_ipa);
	boot->power = VCPU_ON_PENDING;
	dsb(ish);
	/* kestrel's console may have asked a restarting VM to stop: it stops instead. */
	spin_lock(&vm->lock);
	bool stop = vm->stop_requested;
	if (!stop)
		vm->state = VM_RUNNING;
	spin_unlock(&vm->lock);
	if (stop) {
		finish_stop(vm, "stopped (stopped from the console)");
		return;
	}
	passthrough_irqs_route(vm);
	/* Its CPU may be running a vCPU that never blocks, with no slice armed because it was
	   alone there: a bare kick would let that one go on, and this VM would never run. */
	vcpu_kick(boot);
}

/* Takes every vCPU of the VM off its CPU; on return none of them runs anywhere. */
static bool quiesce(struct vm *vm)
{
	struct pcpu *self = this_pcpu();

	spin_lock(&vm->lock);
	if (vm->state != VM_RUNNING) {
		spin_unlock(&vm->lock);
		return false;
	}
	vm->state = VM_STOPPING;
	for (unsigned i = 0; i < vm->vcpu_count; i++) {
		vm->vcpus[i].power = VCPU_OFF;
		vm->vcpus[i].attention = 1; /* one of them may be in its exit on this CPU */
	}
	spin_unlock(&vm->lock);
	for (unsigned i = 0; i < vm->vcpu_count; i++) {
		struct vcpu *vcpu = &vm->vcpus[i];
		uint64_t loops = 0;
		if (vcpu->pcpu == self)
			continue;
		pcpu_kick(vcpu->pcpu);
		while (READ_ONCE(vcpu->pcpu->current) == vcpu ||
		       READ_ONCE(vcpu->pcpu->loaded) == vcpu)
			if (++loops == STOP_WAIT_LOOPS)
				panic("vm '%s': CPU %u does not leave vcpu%u", vm->name,
				      vcpu->pcpu->id, vcpu->id);
	}
	/* This CPU may be running one of the VM's vCPUs right now: detach it. */
	if (self->loaded && self->loaded->vm == vm)
		pcpu_unload(self);
	if (self->current && self->current->vm == vm)
		self->current = NULL;
	for (unsigned i = 0; i < vm->vcpu_count; i++)
		fpsimd_forget(&vm->vcpus[i]);
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
	kprintf("%s %s; exits:%s; RAM touched %llu of %llu MiB", vm->name, what, n ? line : " none",
		(unsigned long long)(vm->ram_lazy ? vm->ram_blocks_ready * (SZ_2M >> 20)
						  : vm->ram_size >> 20),
		(unsigned long long)(vm->ram_size >> 20));
}

static bool all_stopped(void)
{
	for (unsigned i = 0; i < VM_MAX; i++)
		if (vms[i].state == VM_RUNNING || vms[i].state == VM_STOPPING)
			return false;
	return true;
}

static void power_off_if_all_stopped(void)
{
	if (all_stopped()) {
		sched_report_idle();
		kprintf("all VMs stopped, powering off");
		psci_fw_system_off();
	}
}

/* Every way a quiesced VM ends: report it, check it, give everything back. */
static void finish_stop(struct vm *vm, const char *what)
{
	vm_print_stats(vm, what);
	invariants_check_vm(vm, "stopped");
	release(vm);
	spin_lock(&vm->lock);
	vm->state = VM_STOPPED;
	vm->stop_requested = false;
	spin_unlock(&vm->lock);
	power_off_if_all_stopped();
}

void vm_stop(struct vm *vm, const char *reason)
{
	if (!quiesce(vm))
		return;
	char what[80];

	snprintf(what, sizeof(what), "stopped (%s) after %llu ms", reason,
		 (unsigned long long)(uptime_ms() - vm->started_ms));
	finish_stop(vm, what);
}

void vm_event(struct vm *vm, enum vm_event ev)
{
	static const char *const what[] = {"powered off", "reset", "crashed"};
	enum vm_policy policy = ev == VM_EVENT_POWEROFF ? vm->config.on_poweroff
				: ev == VM_EVENT_RESET	? vm->config.on_reset
							: vm->config.on_crash;

	if (ev == VM_EVENT_CRASH) {
		vm_crash(vm, "an exception it cannot handle, in a loop");
		return;
	}
	if (policy == POLICY_RESTART && ev == VM_EVENT_POWEROFF)
		kprintf("%s powered off: restarting it, as its on-poweroff policy says", vm->name);
	if (policy == POLICY_RESTART)
		vm_restart(vm, ev == VM_EVENT_RESET ? "reset requested" : what[ev]);
	else
		vm_stop(vm, what[ev]);
}

void vm_crash(struct vm *vm, const char *why)
{
	bool restart = vm->config.on_crash == POLICY_RESTART;

	if (vm->state != VM_RUNNING) /* already being stopped or restarted: that goes on */
		return;
	kprintf("%s crashed (%s): %s per its on-crash policy", vm->name, why,
		restart ? "restarting" : "stopping");
	if (restart)
		vm_restart(vm, "crashed");
	else
		vm_stop(vm, "crashed");
}

void vm_restart(struct vm *vm, const char *why)
{
	if (!quiesce(vm))
		return;
	if (vm->stop_requested) {
		finish_stop(vm, "stopped (stopped from the console)");
		return;
	}
	kprintf("%s: %s, restarting from its original images", vm->name, why);
	for (unsigned i = 0; i < vm->vcpu_count; i++)
		memset(vm->vcpus[i].stats, 0, sizeof(vm->vcpus[i].stats));
	vm_virtio_stop(vm);
	vm_ram_scrub(vm, true);
	s2_flush_vm(vm);
	if (load_images(vm) != E_OK) {
		finish_stop(vm, "stopped (reset failed)");
		return;
	}
	vm->uart.rx_count = 0;
	vgic_release_hw(vm); /* a device interrupt in flight must not stay active for ever */
	vgic_init(vm, vm->vgic.nr_lrs, vm->vgic.hooks);
	vm_start(vm);
}
