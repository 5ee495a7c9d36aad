/* SPDX-License-Identifier: Apache-2.0 */
/* What an exit handler returns: the contract between handlers and the exit dispatcher. */
#ifndef KESTREL_EXIT_RESULT_H
#define KESTREL_EXIT_RESULT_H

#include <kestrel/asm_offsets.h>
#include <kestrel/types.h>

/*
 * What a synchronous exit handler returns: what happens next. The dispatcher (guest_sync in
 * entry.S, exit_finish in exit.c) acts on it; a handler never leaves its vCPU, steps the PC
 * or calls anything that does not return.
 *   bits 0-7   how many bytes the PC steps past the emulated instruction (0, 2 or 4);
 *   EXIT_SLOW  anything but "resume": the dispatcher calls exit_finish, which re-evaluates
 *              the vCPU's interrupts and its CPU's scheduling (EXIT_RECHECK) or leaves the
 *              vCPU for the scheduler (EXIT_LEAVE: it blocked, powered off, or its VM has a
 *              lifecycle request).
 * entry.S tests EXIT_SLOW with one tbnz, so it is a single bit that every slow result has.
 */
typedef uint32_t exit_result;

#define EXIT_RESUME    0u    /* back to the guest, at the PC the exception left it */
#define EXIT_STEP_MASK 0xffu /* bytes to step the PC by */
#define EXIT_STEP_A64  4u    /* past one A64 instruction */
#define EXIT_SLOW      (1u << EXIT_SLOW_BIT)
#define EXIT_RECHECK   EXIT_SLOW	      /* interrupts or scheduling may have changed: look */
#define EXIT_LEAVE     (EXIT_SLOW | 1u << 17) /* the vCPU cannot go on: run the scheduler */

static inline bool exit_leaves(exit_result r)
{
	return r & 1u << 17; /* the bit only EXIT_LEAVE has */
}

/* Resume after the instruction that trapped, whose size ESR_EL2.IL (bit 25) gives: a 16-bit
   T32 instruction (AArch32 EL0) is 2 bytes, everything else 4. */
static inline exit_result exit_emulated(uint64_t esr)
{
	return 2 + (uint32_t)((esr >> 24) & 2);
}

struct vcpu;

/* A synchronous exit's handler, one per exception class (exit.c's table). */
typedef exit_result exit_fn(struct vcpu *vcpu, uint64_t esr);

#endif
