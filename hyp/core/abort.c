/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Stage-2 aborts. A fault inside an emulated device is an MMIO access to emulate from the
 * syndrome; anything else (no device, no syndrome, a table walk fault) is a stray access the
 * guest gets back as a synchronous external abort, logged at a bounded rate.
 */
#include <kestrel/abort.h>
#include <kestrel/hyp.h>
#include <kestrel/lib.h>
#include <kestrel/pstate.h>
#include <kestrel/sysreg_defs.h>
#include <kestrel/vcpu.h>
#include <kestrel/vm.h>
#include <kestrel/vm_ram.h>

/* Lines per VM run before the rate applies, then at most one line a second: a guest that
   probes its address space must not flood the console, nor make kestrel spend its time
   printing. The count of every stray is the vCPU's, for the stop report. */
#define STRAY_LOG_BURST 16

static void log_stray(struct vcpu *vcpu, const char *what, ipaddr_t ipa)
{
	struct vm *vm = vcpu->vm;
	uint64_t unlogged;
	char note[64] = "";

	vcpu->stats[STAT_STRAY]++;
	/* Several vCPUs of the VM may race here: at worst a line more, or a count a little off. */
	if (vm->stray_logged >= STRAY_LOG_BURST && arch_counter() < vm->stray_next_log) {
		vm->stray_unlogged++;
		return;
	}
	unlogged = vm->stray_unlogged;
	vm->stray_unlogged = 0;
	if (++vm->stray_logged >= STRAY_LOG_BURST)
		vm->stray_next_log = arch_counter() + hyp.cntfrq;
	if (unlogged)
		snprintf(note, sizeof(note), " (%llu more not logged since the last line)",
			 (unsigned long long)unlogged);
	else if (vm->stray_logged == STRAY_LOG_BURST)
		snprintf(note, sizeof(note), " (from now on at most one line a second)");
	kprintf("%s/vcpu%u: stray %s at IPA 0x%lx (PC 0x%lx): %s abort injected%s", vm->name,
		vcpu->id, what, (unsigned long)ipa, (unsigned long)vcpu->regs.pc,
		what[0] == 'i' ? "instruction" : "data", note);
}

static uint64_t extend(uint64_t val, const struct mmio_access *acc)
{
	unsigned bits = acc->width * 8;

	if (acc->sign_extend && bits < 64 && (val & BIT(bits - 1)))
		val |= ~((BIT(bits)) - 1);
	return acc->sf ? val : (uint32_t)val;
}

/*
 * No device there, no syndrome, or a fault other than translation. Either RAM the guest
 * touches for the first time (any access form, its own table walks included: the block
 * appears and the access is retried), or the guest's mistake.
 */
static NOINLINE exit_result stray_dabt(struct vcpu *vcpu, uint64_t esr, uint64_t hpfar,
				       uint64_t far, bool decoded)
{
	bool write = ESR_ISS(esr) & BIT(6);
	ipaddr_t ipa = esr_fault_ipa(hpfar, far);

	if (vm_ram_fault(vcpu->vm, ipa, esr))
		return EXIT_RESUME; /* the access runs again, on RAM that is there now */
	if (decoded)
		log_stray(vcpu, write ? "data write" : "data read", ipa);
	else
		log_stray(vcpu, write ? "data write (no syndrome)" : "data read (no syndrome)",
			  ipa);
	return vcpu_inject_abort(vcpu, false, far, write);
}

/* The access's fields by value: with its address taken, abort_dabt_exit kept the whole decode on
   the stack. */
static NOINLINE exit_result refused(struct vcpu *vcpu, bool write, ipaddr_t ipa, uint64_t far)
{
	log_stray(vcpu, write ? "device write" : "device read", ipa);
	return vcpu_inject_abort(vcpu, false, far, write);
}

/* The device this vCPU used last comes first: drivers access one device in runs. */
static struct mmio_dev *find_device(struct vcpu *vcpu, ipaddr_t ipa)
{
	struct mmio_dev *dev = vcpu->mmio_last;
	struct vm *vm = vcpu->vm;

	if (likely(dev && ipa - dev->base < dev->size))
		return dev;
	dev = mmio_find(vm->mmio, vm->mmio_count, ipa);
	if (dev)
		vcpu->mmio_last = dev;
	return dev;
}

/*
 * A device's registers are little-endian on the bus; a guest whose data accesses are big-
 * endian (SCTLR_EL1.EE at EL1, E0E at EL0) sees their bytes reversed, as with any memory, so
 * the value passing between its register and the device is byte-swapped at its width.
 */
static uint64_t guest_endian(const struct vcpu *vcpu, uint64_t sctlr, uint64_t val, unsigned width)
{
	bool el0 = (vcpu->regs.pstate & 0xc) == 0;

	if (!(sctlr & (el0 ? SCTLR_EL1_E0E : SCTLR_EL1_EE)))
		return val;
	switch (width) {
	case 2:
		return __builtin_bswap16((uint16_t)val);
	case 4:
		return __builtin_bswap32((uint32_t)val);
	case 8:
		return __builtin_bswap64(val);
	default:
		return val;
	}
}

/* Without the stack protector: its one address-taken local is the u64 a device reads into. */
__attribute__((no_stack_protector)) exit_result abort_dabt_exit(struct vcpu *vcpu, uint64_t esr)
{
	uint64_t hpfar = arch_exit_hpfar(), far = arch_exit_far(), sctlr;
	struct mmio_access acc;
	struct mmio_dev *dev;
	uint64_t val;

	if (!esr_decode_dabt(esr, hpfar, far, &acc))
		return stray_dabt(vcpu, esr, hpfar, far, false);
	dev = find_device(vcpu, acc.ipa);
	if (!dev || !FSC_IS_TRANSLATION(ESR_ISS(esr) & 0x3f))
		return stray_dabt(vcpu, esr, hpfar, far, true);
	vcpu->stats[STAT_MMIO]++;
	sctlr = arch_el1_sctlr();
	if (acc.write) {
		val = vcpu_get_reg(vcpu, acc.reg);
		if (acc.width < 8)
			val &= BIT(acc.width * 8) - 1;
		if (unlikely(sctlr & (SCTLR_EL1_EE | SCTLR_EL1_E0E)))
			val = guest_endian(vcpu, sctlr, val, acc.width);
		if (!dev->ops->write(dev, vcpu, acc.ipa - dev->base, acc.width, val))
			return refused(vcpu, acc.write, acc.ipa, far);
	} else {
		if (!dev->ops->read(dev, vcpu, acc.ipa - dev->base, acc.width, &val))
			return refused(vcpu, acc.write, acc.ipa, far);
		if (unlikely(sctlr & (SCTLR_EL1_EE | SCTLR_EL1_E0E)))
			val = guest_endian(vcpu, sctlr, val, acc.width);
		vcpu_set_reg(vcpu, acc.reg, extend(val, &acc));
	}
	/* exit_emulated(esr), in one instruction less: ESR_EL2.ISV (bit 24) is set here, so
	   bits 25:24 (IL, ISV) are 3 for a 4-byte instruction and 1 for a 2-byte one. */
	return (uint32_t)((esr >> 24) & 3) + 1;
}

exit_result abort_iabt_exit(struct vcpu *vcpu, uint64_t esr)
{
	uint64_t far = arch_exit_far();
	ipaddr_t ipa = esr_fault_ipa(arch_exit_hpfar(), far);

	if (vm_ram_fault(vcpu->vm, ipa, esr))
		return EXIT_RESUME;
	log_stray(vcpu, "instruction fetch", ipa);
	return vcpu_inject_abort(vcpu, true, far, false);
}
