/* SPDX-License-Identifier: Apache-2.0 */
/* A live vCPU's debug registers and vectors (kestrel/debug.h says when). */
#include <kestrel/debug.h>
#include <kestrel/hyp.h>
#include <kestrel/sysreg_defs.h>
#include <kestrel/vm.h>

extern char el2_vectors[], el2_vectors_debug[];

/*
 * The registers are named in their instructions: each count enters a chain of cases at its
 * highest register and falls through to register 0, one jump for the lot.
 */
#define CASE_PUT(n, kind, f)                                                                       \
	case n + 1:                                                                                \
		write_sysreg(dbg##kind##n##_el1, d->f[n]);                                         \
		__attribute__((fallthrough))
#define CASE_GET(n, kind, f)                                                                       \
	case n + 1:                                                                                \
		d->f[n] = read_sysreg(dbg##kind##n##_el1);                                         \
		__attribute__((fallthrough))
#define CHAIN(X, kind, f)                                                                          \
	X(15, kind, f);                                                                            \
	X(14, kind, f);                                                                            \
	X(13, kind, f);                                                                            \
	X(12, kind, f);                                                                            \
	X(11, kind, f);                                                                            \
	X(10, kind, f);                                                                            \
	X(9, kind, f);                                                                             \
	X(8, kind, f);                                                                             \
	X(7, kind, f);                                                                             \
	X(6, kind, f);                                                                             \
	X(5, kind, f);                                                                             \
	X(4, kind, f);                                                                             \
	X(3, kind, f);                                                                             \
	X(2, kind, f);                                                                             \
	X(1, kind, f);                                                                             \
	X(0, kind, f);                                                                             \
	default:                                                                                   \
		break;

#define PUT_ALL(kind, f, count)                                                                    \
	switch (count) {                                                                           \
		CHAIN(CASE_PUT, kind, f)                                                           \
	}
#define GET_ALL(kind, f, count)                                                                    \
	switch (count) {                                                                           \
		CHAIN(CASE_GET, kind, f)                                                           \
	}

void debug_restore(const struct vcpu *vcpu)
{
	const struct vdebug *d = &vcpu->dbg;

	PUT_ALL(bcr, bcr, hyp.debug_brps)
	PUT_ALL(bvr, bvr, hyp.debug_brps)
	PUT_ALL(wcr, wcr, hyp.debug_wrps)
	PUT_ALL(wvr, wvr, hyp.debug_wrps)
	/* Claim tags: DBGCLAIMCLR reads them, DBGCLAIMSET only sets. */
	write_sysreg(dbgclaimclr_el1, 0xff);
	write_sysreg(dbgclaimset_el1, d->claim);
	write_sysreg(mdccint_el1, d->mdccint);
	write_sysreg(mdscr_el1, d->mdscr);
	/* Its synchronous exits take the path that knows software step (entry.S). */
	write_sysreg(vbar_el2, el2_vectors_debug);
}

void debug_save(struct vcpu *vcpu)
{
	struct vdebug *d = &vcpu->dbg;

	d->mdscr = read_sysreg(mdscr_el1);
	/* Off before anything else can run here: no event of this vCPU fires in another. */
	write_sysreg(mdscr_el1, 0);
	write_sysreg(vbar_el2, el2_vectors);
	GET_ALL(bcr, bcr, hyp.debug_brps)
	GET_ALL(bvr, bvr, hyp.debug_brps)
	GET_ALL(wcr, wcr, hyp.debug_wrps)
	GET_ALL(wvr, wvr, hyp.debug_wrps)
	d->claim = read_sysreg(dbgclaimclr_el1) & 0xff;
	d->mdccint = read_sysreg(mdccint_el1);
	isb();
}

void debug_set_traps(const struct vcpu *vcpu)
{
	write_sysreg(mdcr_el2, vcpu->mdcr);
	isb();
}
