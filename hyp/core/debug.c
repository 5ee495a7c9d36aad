/* SPDX-License-Identifier: Apache-2.0 */
/* Self-hosted debug for guests: going live on first use, the OS locks (kestrel/debug.h). */
#include <kestrel/debug.h>
#include <kestrel/hyp.h>
#include <kestrel/sysreg_defs.h>
#include <kestrel/vcpu.h>
#include <kestrel/vm.h>

static void go_live(struct vcpu *vcpu)
{
	vcpu->lazy |= LAZY_DEBUG;
	vcpu->mdcr &= ~MDCR_TDA;
	debug_restore(vcpu);
	debug_set_traps(vcpu);
}

static void drop(struct vcpu *vcpu)
{
	debug_save(vcpu);
	vcpu->lazy &= ~LAZY_DEBUG;
	vcpu->mdcr |= MDCR_TDA;
	debug_set_traps(vcpu);
}

exit_result debug_enable(struct vcpu *vcpu)
{
	/* Locked, a register is storage only (debug_pair_access and the table's rows); live
	   already cannot trap: TDA is clear for it. */
	if (!(vcpu->lazy & LAZY_DEBUG))
		go_live(vcpu);
	return EXIT_RESUME; /* the access runs again, on the registers themselves */
}

exit_result debug_pair_access(struct vcpu *vcpu, unsigned n, enum debug_pair_reg which,
			      unsigned reg, bool read)
{
	struct vdebug *d = &vcpu->dbg;
	uint64_t *r;

	/* Registers past the counts ID_AA64DFR0_EL1 gives do not exist. */
	if (n >= (which <= DEBUG_BCR ? hyp.debug_brps : hyp.debug_wrps))
		return vcpu_inject_undef(vcpu);
	if (!debug_locked(&vcpu->dbg))
		return debug_enable(vcpu);
	r = which == DEBUG_BVR	 ? &d->bvr[n]
	    : which == DEBUG_BCR ? &d->bcr[n]
	    : which == DEBUG_WVR ? &d->wvr[n]
				 : &d->wcr[n];
	if (read)
		vcpu_set_reg(vcpu, reg, *r);
	else
		*r = vcpu_get_reg(vcpu, reg);
	return EXIT_STEP_A64;
}

/*
 * Locked: nothing but BRK may fire, so the registers leave the hardware and are storage until
 * unlocked. Unlocked with debug on (an OS restoring its state under the lock, then unlocking,
 * touches nothing after): live at once; with debug off, at the next access.
 */
void debug_locks_changed(struct vcpu *vcpu)
{
	bool locked = debug_locked(&vcpu->dbg);

	if ((vcpu->lazy & LAZY_DEBUG) && locked)
		drop(vcpu);
	else if (!(vcpu->lazy & LAZY_DEBUG) && !locked && (vcpu->dbg.mdscr & MDSCR_ON))
		go_live(vcpu);
}

void debug_put(struct vcpu *vcpu)
{
	if (!(vcpu->dbg.mdscr & MDSCR_ON)) {
		vcpu->lazy &= ~LAZY_DEBUG;
		vcpu->mdcr |= MDCR_TDA;
	}
}
