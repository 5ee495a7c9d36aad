/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Self-hosted debug for guests: breakpoints, watchpoints and software step, taken by the
 * hardware at the guest's EL1 (MDCR_EL2.TDE = 0), with the debug registers switched lazily.
 * A vCPU starts with its debug registers trapped (MDCR_EL2.TDA); its first access traps
 * here once, kestrel loads them and stops trapping it, and from then on they are saved and
 * restored with its context. A vCPU whose debug is off again (MDSCR_EL1 with neither MDE, KDE
 * nor SS) when it leaves its CPU goes back to trapping, as KVM does, so a guest that only
 * cleared them at boot pays nothing later.
 *
 * The OS lock and OS double lock (OSLAR/OSLSR/OSDLR/DBGPRCR, MDCR_EL2.TDOSA) always trap and
 * are emulated: while either is locked the vCPU's debug registers are not live (they are
 * emulated as storage, and the hardware's MDSCR_EL1 is 0 for it), so no breakpoint,
 * watchpoint or step fires, as the architecture says; BRK still does.
 *
 * A vCPU whose debug registers are live runs under its own EL2 vectors: its synchronous exits
 * take the full path (exit_sync_debug in exit.c), where the PC step past an emulated instruction
 * also clears PSTATE.SS, so a guest stepping over an instruction kestrel carried out takes its
 * software step exception before the next one. Every other vCPU keeps the fast path as it is.
 *   hyp/core/debug.c           going live, the locks, the step rule;
 *   hyp/arch/aarch64/debug.c   the registers and the vectors;
 *   hyp/arch/fake/debug.c      a register file in memory, for unit tests.
 */
#ifndef KESTREL_DEBUG_H
#define KESTREL_DEBUG_H

#include <kestrel/exit_result.h>
#include <kestrel/types.h>

struct vcpu;

/* ID_AA64DFR0_EL1.BRPs and WRPs count up to 16 each. */
#define DEBUG_PAIRS_MAX 16

/* MDSCR_EL1: software step, kernel debug and monitor debug enables. */
#define MDSCR_SS  BIT(0)
#define MDSCR_KDE BIT(13)
#define MDSCR_MDE BIT(15)
#define MDSCR_ON  (MDSCR_SS | MDSCR_KDE | MDSCR_MDE)

/* OSLSR_EL1: OSLM 0b10 (the OS lock is implemented), OSLK; OSDLR_EL1.DLK; DBGPRCR.CORENPDRQ */
#define OSLSR_OSLM	  BIT(3)
#define OSLSR_OSLK	  BIT(1)
#define OSDLR_DLK	  BIT(0)
#define DBGPRCR_CORENPDRQ BIT(0)

/* A vCPU's debug registers: in the hardware while it is live (LAZY_DEBUG in vcpu->lazy), its
   storage otherwise. */
struct vdebug {
	uint64_t mdscr, oslsr, osdlr, dbgprcr, claim, mdccint;
	uint64_t bvr[DEBUG_PAIRS_MAX], bcr[DEBUG_PAIRS_MAX];
	uint64_t wvr[DEBUG_PAIRS_MAX], wcr[DEBUG_PAIRS_MAX];
};

/* Which of a breakpoint/watchpoint pair's registers: op2 of DBG{B,W}{V,C}R<n>_EL1. */
enum debug_pair_reg { DEBUG_BVR = 4, DEBUG_BCR, DEBUG_WVR, DEBUG_WCR };

/* OS lock or OS double lock in effect for a vCPU's registers: no debug event but BRK. Inline:
   the emulated registers' exit path tests it. The Arm ARM's DoubleLockStatus() is DLK
   unless a powerdown was not asked for (CORENPDRQ). */
static inline bool debug_locked(const struct vdebug *d)
{
	return (d->oslsr & OSLSR_OSLK) ||
	       ((d->osdlr & OSDLR_DLK) && !(d->dbgprcr & DBGPRCR_CORENPDRQ));
}
/* An access to a debug register that traps until the vCPU's first use (MDCR_EL2.TDA): its
   registers go live and the access runs again, or, while locked, it is emulated. */
exit_result debug_enable(struct vcpu *vcpu);
/* Breakpoint or watchpoint register n (CRm), as the trapped access gives it. */
exit_result debug_pair_access(struct vcpu *vcpu, unsigned n, enum debug_pair_reg which,
			      unsigned reg, bool read);
/* The OS lock registers changed (OSLAR, OSDLR, DBGPRCR): live or not, as the locks say. */
void debug_locks_changed(struct vcpu *vcpu);
/* Leaving the CPU (arch_vcpu_put, after the save): back to trapping if its debug is off. */
void debug_put(struct vcpu *vcpu);

/* The arch side (vcpu_context.c calls the first two for a live vCPU): its registers into the
   hardware, with its own vectors; back into the vCPU, leaving the hardware's MDSCR_EL1 at 0
   and the common vectors, so nothing of it fires for whatever runs next; its MDCR_EL2. */
void debug_restore(const struct vcpu *vcpu);
void debug_save(struct vcpu *vcpu);
void debug_set_traps(const struct vcpu *vcpu);

#endif
