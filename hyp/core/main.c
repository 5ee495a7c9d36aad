/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Boot: check how kestrel was started, bring up the console, memory, interrupt controller
 * and CPUs, create the VMs the device tree describes, and start them.
 */
#include <kestrel/arch.h>
#include <kestrel/gicv3.h>
#include <kestrel/guest_layout.h>
#include <kestrel/pl011.h>
#include <kestrel/psci_fw.h>
#include <kestrel/hostdisk.h>
#include <kestrel/hostdt.h>
#include <kestrel/hyp.h>
#include <kestrel/sysreg.h>
#include <kestrel/lib.h>
#include <kestrel/mm.h>
#include <kestrel/mmu.h>
#include <kestrel/mte.h>
#include <kestrel/pgtable.h>
#include <kestrel/pmu.h>
#include <kestrel/sched.h>
#include <kestrel/shm.h>
#include <kestrel/sve.h>
#include <kestrel/sysreg_defs.h>
#include <kestrel/vconsole.h>
#include <kestrel/vm.h>
#include <kestrel/vmconfig.h>
#include <libfdt.h>

#ifndef KESTREL_EARLYCON
#define KESTREL_EARLYCON 0x09000000ull /* QEMU virt's PL011, used only without a DTB */
#endif
#define MIN_IPA_BITS 40
/* How long a secondary CPU may take to come up after PSCI CPU_ON before it is left out. */
#define CPU_START_WAIT_S 1

extern char pcpu_stacks[];
void secondary_entry(void);

static void console_up(const void *dtb, int parse_err)
{
	paddr_t base = platform.uart_base ? platform.uart_base : KESTREL_EARLYCON;

	(void)dtb, (void)parse_err;
	/* Without the UART mapped there is no console to say why: stop where a debugger sees. */
	if (mmu_map_device(base, 0x1000) != E_OK)
		halt_forever();
	pl011_init(base);
}

static void choose_hyp_config(void)
{
	uint64_t mmfr1 = arch_id_reg(ARCH_ID_AA64MMFR1), dfr0 = arch_id_reg(ARCH_ID_AA64DFR0);
	unsigned pa_bits = mmu_pa_bits();

	arch_memops_init();
	if (pa_bits < MIN_IPA_BITS)
		fatal("this CPU has %u-bit physical addresses and kestrel needs at least %u: use "
		      "a CPU with a larger PARange (QEMU: -cpu max)",
		      pa_bits, MIN_IPA_BITS);
	hyp.ipa_bits = pa_bits;
	hyp.vmid_bits = FIELD(mmfr1, 4, 4) == 2 ? 16 : 8;
	hyp.cntfrq = arch_counter_freq();
	hyp.vcpu_hcr = HCR_VM | HCR_SWIO | HCR_FMO | HCR_IMO | HCR_AMO | HCR_FB | HCR_BSU_IS |
		       HCR_TWI | HCR_TWE | HCR_TID3 | HCR_TSC | HCR_TIDCP | HCR_TACR | HCR_TSW |
		       HCR_RW | HCR_TLOR | HCR_TERR;
	hyp.vcpu_cptr = CPTR_RES1 | CPTR_TZ | CPTR_TSM | CPTR_TTA | CPTR_TAM;
	hyp.vcpu_mdcr = MDCR_TPMCR | MDCR_TPM | MDCR_TDA | MDCR_TDOSA | MDCR_TDRA | MDCR_TTRF;
	/* HPMN: every counter is EL1's, as kestrel counts nothing itself (pmu.h); HPMD and
	   HCCD: none counts at EL2. PMCR_EL0 is UNDEFINED without an architected PMU (PMUVer
	   0, or 0xf: IMPLEMENTATION DEFINED). Guests get the PMU where HCCD exists (PMUv3p5:
	   before it, a guest's cycle counter filter could count kestrel) and its interrupt is
	   the PPI theirs is (the overflow interrupt is linked to the same virtual PPI). */
	if (FIELD(dfr0, 8, 4) != 0 && FIELD(dfr0, 8, 4) != PMUVER_IMPDEF) {
		hyp.pmu_counters = arch_pmu_counters();
		hyp.vcpu_mdcr |= hyp.pmu_counters;
		if (FIELD(dfr0, 8, 4) >= PMUVER_V3P1)
			hyp.vcpu_mdcr |= MDCR_HPMD;
		if (FIELD(dfr0, 8, 4) >= PMUVER_V3P5)
			hyp.vcpu_mdcr |= MDCR_HCCD;
		hyp.has_pmu = FIELD(dfr0, 8, 4) >= PMUVER_V3P5 && hyp.pmu_counters &&
			      platform.ppi_pmu == GUEST_PPI_PMU;
	}
	/* SPE's sampling controls (PMS*_EL1) are EL1 registers kestrel does not switch: they
	   trap (UNDEF). Its buffer controls trap already (MDCR_EL2.E2PB = 0, as TRBE's E2TB). */
	if (FIELD(dfr0, 32, 4))
		hyp.vcpu_mdcr |= MDCR_TPMS;
	hyp.debug_brps = (unsigned)FIELD(dfr0, 12, 4) + 1;
	hyp.debug_wrps = (unsigned)FIELD(dfr0, 20, 4) + 1;
	hyp.has_ras = FIELD(arch_id_reg(ARCH_ID_AA64PFR0), 28, 4) != 0;
	if (FIELD(arch_id_reg(ARCH_ID_AA64PFR0), 32, 4))
		hyp.sve_vqs = sve_probe_vqs();
	/* APA, API, GPA, GPI; APA3, GPA3: the address or generic authentication guests see. */
	hyp.has_pac = (arch_id_reg(ARCH_ID_AA64ISAR1) & 0xff000ff0ull) ||
		      (arch_id_reg(ARCH_ID_AA64ISAR2) & 0xff00ull);
	hyp.has_mte =
	    FIELD(arch_id_reg(ARCH_ID_AA64PFR1), MTE_ID_FIELD_SHIFT, 4) >= MTE_ID_FEAT_MTE2;
	/* VTCR: geometry per pgtable, walks cacheable inner shareable, PS, VMID size. */
	hyp.vtcr = pgtable_vtcr_geometry(pa_bits) | BIT(31) | (1ull << 8) | (1ull << 10) |
		   (3ull << 12) | ((uint64_t)mmu_ps_field(pa_bits) << 16) |
		   (hyp.vmid_bits == 16 ? BIT(19) : 0);
}

/* Registers every CPU sets the same way before it runs anything, then its interrupts. */
static void el2_cpu_init(struct pcpu *pcpu)
{
	arch_cpu_init(pcpu);
	if (gicv3_init_cpu(pcpu->mpidr) != E_OK)
		panic("CPU %u (MPIDR 0x%lx) has no GICv3 redistributor", pcpu->id,
		      (unsigned long)pcpu->mpidr);
	gicv3_enable_ppi(platform.ppi_hyp_timer);
	gicv3_enable_ppi(platform.ppi_virt_timer);
	gicv3_enable_ppi(platform.ppi_phys_timer);
	gicv3_enable_ppi(platform.ppi_gic_maint);
	if (hyp.has_pmu)
		gicv3_enable_ppi(platform.ppi_pmu);
	pcpu->stack_top = (uintptr_t)pcpu_stacks + (pcpu->id + 1) * PCPU_STACK_SIZE;
}

void secondary_main(unsigned idx);
void secondary_main(unsigned idx)
{
	struct pcpu *pcpu = &pcpus[idx];

	el2_cpu_init(pcpu);
	pcpu->online = true;
	dsb(ish);
	sched_pcpu_idle();
}

static void start_secondaries(void)
{
	for (unsigned i = 1; i < pcpu_count; i++) {
		int64_t ret = psci_fw_call(0xc4000003u, pcpus[i].mpidr,
					   (uint64_t)(uintptr_t)secondary_entry, i);
		uint64_t deadline = arch_counter() + hyp.cntfrq * CPU_START_WAIT_S;

		while (ret == 0 && !pcpus[i].online && arch_counter() < deadline)
			dmb(ish);
		if (!pcpus[i].online)
			kprintf("CPU %u (MPIDR 0x%lx) did not start (PSCI %ld): not used", i,
				(unsigned long)pcpus[i].mpidr, (long)ret);
	}
}

static void banner(void)
{
	uint64_t midr = arch_midr(), mmfr1 = arch_id_reg(ARCH_ID_AA64MMFR1);
	uint64_t mmfr2 = arch_id_reg(ARCH_ID_AA64MMFR2);

	kprintf("kestrel %s: a Type-1 hypervisor for AArch64", KESTREL_VERSION);
	kprintf("CPU: MIDR 0x%lx, %u CPUs; %u-bit PA, %u-bit IPA for guests, %u-bit VMIDs",
		(unsigned long)midr, pcpu_count, mmu_pa_bits(), hyp.ipa_bits, hyp.vmid_bits);
	kprintf("features: VHE %s, nested virt %s, GICv3 with %u list registers, timer %lu Hz",
		FIELD(mmfr1, 8, 4) ? "present (not used)" : "absent",
		FIELD(mmfr2, 24, 4) >= 2
		    ? "NV2 present (not used)"
		    : (FIELD(mmfr2, 24, 4) ? "NV present (not used)" : "absent"),
		gicv3_list_regs(), (unsigned long)hyp.cntfrq);
	if (hyp.has_mte)
		kprintf(
		    "MTE: allocation tags for guests, zeroed with every page kestrel hands over "
		    "or scrubs");
	if (hyp.pmu_counters)
		kprintf("PMU: PMUv3 with %u event counters, %s", hyp.pmu_counters,
			hyp.has_pmu ? "given to guests"
				    : "hidden from guests (kestrel needs PMUv3p5 and its interrupt "
				      "on PPI 23)");
	if (hyp.sve_vqs)
		kprintf("SVE: vectors up to %u bits for guests (SME hidden)",
			(32 - (unsigned)__builtin_clz(hyp.sve_vqs)) * SVE_VQ_BYTES * 8);
	kprintf("memory: %lu MiB at 0x%lx, %lu MiB free after kestrel and images",
		(unsigned long)(platform.ram_size >> 20), (unsigned long)platform.ram_base,
		(unsigned long)((mm_pages.free_pages << PAGE_SHIFT) >> 20));
}

static void vm_config_error(const char *vm, const char *msg)
{
	kprintf(VM_REFUSED_FMT, vm, msg);
}

static unsigned next_pcpu;

static void unplace_vcpus(struct vm *vm)
{
	for (unsigned i = 0; i < vm->vcpu_count; i++)
		sched_remove(&vm->vcpus[i]);
}

/* Each vCPU joins the run queue of its CPU: from cpu-affinity, or spread in turn. A VM that
   cannot be placed whole leaves no vCPU behind in a run queue. */
static bool place_vcpus(struct vm *vm)
{
	for (unsigned i = 0; i < vm->vcpu_count; i++) {
		unsigned cpu =
		    vm->config.has_affinity ? vm->config.affinity[i] : next_pcpu++ % pcpu_count;
		if (!pcpus[cpu].online || sched_add(&pcpus[cpu], &vm->vcpus[i]) != E_OK) {
			kprintf(
			    "vm '%s' refused: property 'cpu-affinity': CPU %u cannot take vCPU %u",
			    vm->name, cpu, i);
			unplace_vcpus(vm);
			return false;
		}
	}
	return true;
}

static bool build_and_place(unsigned i, const struct vm_config *cfg)
{
	if (vm_create(&vms[i], i, cfg) != E_OK)
		return false;
	if (!place_vcpus(&vms[i])) {
		vm_destroy(&vms[i]);
		return false;
	}
	return true;
}

/* A refused VM's shared regions go, and the other members are built again without them: no
   VM keeps a region (its mapping, its DTB node) whose peer is missing. */
static void drop_regions_of_refused(const struct vm_config *configs, unsigned n, bool *built)
{
	for (bool again = true; again;) {
		again = false;
		for (unsigned i = 0; i < n; i++) {
			unsigned peers = built[i] ? 0 : shm_drop_regions_of(i, configs[i].name);
			for (unsigned j = 0; j < n; j++) {
				if (!(peers & (1u << j)) || !built[j])
					continue;
				unplace_vcpus(&vms[j]);
				vm_destroy(&vms[j]);
				built[j] = build_and_place(j, &configs[j]);
				again |= !built[j];
			}
		}
	}
}

static const struct vm_config *passed_configs;
static unsigned passed_count;

/* Whether a VM has a device passed through on these pages: kestrel leaves it alone then. */
static bool passed_through(paddr_t base, uint64_t size)
{
	for (unsigned v = 0; v < passed_count; v++)
		for (unsigned d = 0; d < passed_configs[v].npassthrough; d++) {
			uint64_t b, s;
			for (int i = 0; hostdt_reg(platform.fdt, passed_configs[v].passthrough[d],
						   i, &b, &s) == E_OK;
			     i++)
				if (ALIGN_DOWN(b, PAGE_SIZE) < base + size &&
				    base < ALIGN_UP(b + s, PAGE_SIZE))
					return true;
		}
	return false;
}

static unsigned create_vms(const void *dtb)
{
	static struct vm_config configs[VM_MAX];
	unsigned n = vmconfig_parse(dtb, &platform, configs, VM_MAX, vm_config_error), started = 0;
	bool built[VM_MAX] = {false};

	passed_configs = configs;
	passed_count = n;
	hostdisk_probe(dtb, passed_through, pcpus[0].mpidr);
	shm_setup(dtb, configs, n);
	for (unsigned i = 0; i < n; i++)
		built[i] = build_and_place(i, &configs[i]);
	drop_regions_of_refused(configs, n, built);
	for (unsigned i = 0; i < n; i++) {
		struct vm *vm = &vms[i];
		if (!built[i])
			continue;
		kprintf("vm '%s': %u vCPU%s, %llu MiB at PA 0x%lx, kernel %llu KiB%s, VMID %u, "
			"stage-2 tables %llu KiB (root 0x%lx)",
			vm->name, vm->vcpu_count, vm->vcpu_count > 1 ? "s" : "",
			(unsigned long long)(vm->ram_size >> 20),
			(unsigned long)pa_addr(vm->ram_pa),
			(unsigned long long)(configs[i].kernel_size >> 10),
			configs[i].initrd_size ? ", initrd" : "", vm->vmid,
			(unsigned long long)(vm->s2_pages * (PAGE_SIZE >> 10)),
			(unsigned long)vm->s2.root);
		started++;
	}
	return started;
}

/* Reserved at boot: kestrel's image, the DTB, every module, the firmware's reservations. */
static unsigned collect_reserved(const void *dtb, paddr_t (*r)[2], unsigned max)
{
	static struct vm_config configs[VM_MAX];
	unsigned n = 0, nvm;

	r[n][0] = (paddr_t)(uintptr_t)__image_start;
	r[n++][1] = (paddr_t)(uintptr_t)__image_end;
	r[n][0] = ALIGN_DOWN((paddr_t)(uintptr_t)dtb, PAGE_SIZE);
	r[n++][1] = ALIGN_UP((paddr_t)(uintptr_t)dtb + fdt_totalsize(dtb), PAGE_SIZE);
	for (unsigned i = 0; i < platform.nreserved && n < max; i++, n++) {
		r[n][0] = platform.reserved[i][0];
		r[n][1] = platform.reserved[i][1];
	}
	nvm = vmconfig_parse(dtb, &platform, configs, VM_MAX, NULL);
	for (unsigned i = 0; i < nvm && n + 2 <= max; i++) {
		r[n][0] = configs[i].kernel_pa;
		r[n++][1] = configs[i].kernel_pa + configs[i].kernel_size;
		if (configs[i].initrd_size) {
			r[n][0] = configs[i].initrd_pa;
			r[n++][1] = configs[i].initrd_pa + configs[i].initrd_size;
		}
	}
	return n;
}

/* Code in kestrel's data, which its stage-1 tables make execute-never: a lone RET. */
static uint32_t selftest_code[] = {0xd65f03c0};

/* Takes every free page, for good: the VMs then run with none left for kestrel. */
static void take_all_free_pages(void)
{
	uint64_t taken = 0;

	/* Halving runs, so that fragments are taken without a scan of the whole owner table
	   for each page. */
	for (uint64_t n = mm_pages.free_pages; n; n /= 2)
		while (n <= mm_pages.free_pages && mm_alloc(n, PAGE_SIZE, OWNER_KESTREL))
			taken += n;
	kprintf("selftest: took all %llu free pages, %llu left: the VMs run with none",
		(unsigned long long)taken, (unsigned long long)mm_pages.free_pages);
}

/*
 * /chosen/kestrel,selftest: take an exception at EL2 on purpose, so that a test can see the
 * panic report every unexpected EL2 exception gets. "panic" reads an unmapped address;
 * "write-text" and "exec-data" break W^X, which must end in a permission fault.
 * "no-free-pages" is no exception: kestrel takes every free page once the VMs are built, to
 * show that a running VM needs none (its RAM's first touch, a restart).
 */
static void selftest(const void *dtb)
{
	const char *what =
	    fdt_getprop(dtb, fdt_path_offset(dtb, "/chosen"), "kestrel,selftest", NULL);

	if (!what)
		return;
	if (!strcmp(what, "no-free-pages")) {
		take_all_free_pages();
		return;
	}
	if (!strcmp(what, "panic")) {
		kprintf("selftest: reading unmapped address 0x8 at EL2");
		(void)arch_load_unmapped(0x8);
	} else if (!strcmp(what, "write-text")) {
		volatile uint32_t *text = (volatile uint32_t *)(uintptr_t)selftest;
		kprintf("selftest: writing to kestrel's text at 0x%lx",
			(unsigned long)(uintptr_t)text);
		*text = 0xd503201f; /* NOP */
	} else if (!strcmp(what, "exec-data")) {
		void (*code)(void) = (void (*)(void))(uintptr_t)selftest_code;
		kprintf("selftest: executing kestrel's data at 0x%lx",
			(unsigned long)(uintptr_t)code);
		code();
	}
	kprintf("selftest: '%s' came back: kestrel's own protection failed", what);
}

void kmain(const void *dtb, unsigned el);
void kmain(const void *dtb, unsigned el)
{
	static paddr_t reserved[PLAT_MAX_RESERVED + 2 + 2 * VM_MAX][2];
	char msg[256];
	int err = hostdt_parse(dtb, &platform, msg, sizeof(msg));

	platform.fdt = dtb;
	unsigned nres, nvms;

	console_up(dtb, err);
	if (el != 2)
		fatal("kestrel was entered at EL%u, not EL2: enable the virtualization extensions "
		      "(QEMU: -machine virt,virtualization=on)",
		      el);
	if (err)
		fatal("%s", msg);
	choose_hyp_config();
	sched_init();
	if (mmu_map_ram(platform.ram_base, platform.ram_size) != E_OK ||
	    mmu_map_device(platform.gic.dist_base, platform.gic.dist_size) != E_OK ||
	    mmu_map_device(platform.gic.redist_base, platform.gic.redist_size) != E_OK)
		fatal("kestrel could not map RAM and the GIC: the device tree's memory or GIC "
		      "ranges overlap kestrel's image");
	nres = collect_reserved(dtb, reserved, ARRAY_SIZE(reserved));
	if (mm_init(platform.ram_base, platform.ram_size, (const paddr_t(*)[2])reserved, nres))
		fatal("not enough free RAM for kestrel's page owner table: give the machine more "
		      "memory");
	mmu_use_allocator();
	/* The stage 2 of CPUs that run no vCPU: VMID 0, which no VM gets, over an empty root
	   (as many zeroed pages as a concatenated stage-2 root may have). */
	hyp.park_vttbr = mm_alloc_zeroed(16, OWNER_KESTREL);
	if (!hyp.park_vttbr)
		fatal("not enough free RAM for kestrel's idle stage-2 table");
	pcpu_count = platform.cpu_count;
	for (unsigned i = 0; i < pcpu_count; i++) {
		pcpus[i].id = i;
		pcpus[i].mpidr = platform.cpu_mpidr[i];
	}
	if (gicv3_init_dist(&platform.gic) != E_OK)
		fatal("the GICv3 distributor could not be set up");
	el2_cpu_init(&pcpus[0]);
	pcpus[0].online = true;
	if (platform.uart_spi) {
		gicv3_route_spi(platform.uart_spi, pcpus[0].mpidr);
		pl011_enable_rx_irq();
	}
	sysreg_init_id_values(hyp.ipa_bits);
	banner();
	if (platform.cpus_ignored)
		kprintf("%u CPUs beyond the first %u are not used", platform.cpus_ignored,
			PCPU_MAX);
	start_secondaries();
	nvms = create_vms(dtb);
	if (!nvms) {
		kprintf("%s", VMCONFIG_NO_VM);
		psci_fw_system_off();
	}
	selftest(dtb);
	vconsole_start(nvms);
	for (unsigned i = 0; i < VM_MAX; i++)
		if (vms[i].state == VM_STOPPED)
			vm_start(&vms[i]);
	sched_pcpu_idle();
}
