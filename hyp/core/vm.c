/* SPDX-License-Identifier: Apache-2.0 */
/* A VM as an object: its creation, start, release and what it answers about itself. How it is
   built is vm_build.c; stop and restart are requests (vm_lifecycle.c). */
#include <kestrel/arch.h>
#include <kestrel/guest_dtb.h>
#include <kestrel/guest_layout.h>
#include <kestrel/hyp.h>
#include <kestrel/lib.h>
#include <kestrel/mm.h>
#include <kestrel/sched.h>
#include <kestrel/sysreg_defs.h>
#include <kestrel/vcpu.h>
#include <kestrel/vm.h>
#include <kestrel/vm_build.h>
#include <kestrel/vm_passthrough.h>
#include <kestrel/vm_ram.h>
#include <kestrel/vm_virtio.h>
#include <kestrel/vmid.h>

struct vm vms[VM_MAX];

/* Invalidates every stage-1+2 translation of the VM: its VMID must be live in VTTBR. */
void vm_s2_flush(struct vm *vm)
{
	arch_s2_tlb_flush(vm->vttbr);
}

struct vcpu *vm_vcpu_by_mpidr(struct vm *vm, uint64_t mpidr)
{
	mpidr &= 0xff00ffffffull; /* affinity fields only */
	for (unsigned i = 0; i < vm->vcpu_count; i++)
		if ((vm->vcpus[i].vmpidr & 0xff00ffffffull) == mpidr)
			return &vm->vcpus[i];
	return NULL;
}

int vm_refuse(struct vm *vm, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kprintf(VM_REFUSED_FMT, vm->name, msg);
	return -E_INVAL;
}

void vm_release(struct vm *vm, bool scrubbed)
{
	vm_virtio_stop(vm); /* before its RAM goes: no device copies into it after this */
	vm_passthrough_release(vm);
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
	vm_build_sve_release(vm);
	if (vm->vmid)
		vmid_free(vm->vmid);
	vm->ram_pa = pa_init(0);
	vm->dtb_pa = 0;
	vm->vmid = 0;
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
	vm_passthrough_route(vm);
	/* Its CPU may be running a vCPU that never blocks, with no slice armed because it was
	   alone there: a bare kick would let that one go on, and this VM would never run. */
	sched_vcpu_kick(boot);
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
	    {EC_SVE, "sve"},
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
