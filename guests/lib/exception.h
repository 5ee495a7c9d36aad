/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Synchronous exceptions a test provokes on purpose (UNDEFs, aborts). A test announces the
 * next one with exception_expect(); the handler records it in last_exception and resumes.
 * Any exception that was not announced fails the test and powers the VM off.
 */
#ifndef GUEST_EXCEPTION_H
#define GUEST_EXCEPTION_H

#include <stdint.h>

#define ESR_EC(esr)	  (((esr) >> 26) & 0x3fu)
#define ESR_ISS(esr)	  ((esr)&0x1ffffffu)
#define ESR_FSC(esr)	  ((esr)&0x3fu) /* DFSC / IFSC */
#define ESR_DABT_WNR	  (1u << 6)
#define EC_UNKNOWN	  0x00u
#define EC_IABT_CUR	  0x21u
#define EC_DABT_CUR	  0x25u
#define FSC_SYNC_EXTERNAL 0x10u

struct exception_record {
	uint64_t esr, far, elr, spsr;
	/* PSTATE.PAN, DIT and SSBS as the handler found them: what exception entry set. */
	uint64_t entry_pstate;
};

#define PSTATE_SSBS (1ul << 12)
#define PSTATE_PAN  (1ul << 22)
#define PSTATE_DIT  (1ul << 24)

/* Filled in by the handler; read after the faulting instruction. */
extern volatile struct exception_record last_exception;

/*
 * Allows one synchronous exception, until exception_expect_end(). The handler resumes at
 * recovery if that is non-zero (needed when the fault is an instruction fetch, where ELR
 * does not point at our code), otherwise at the instruction after the faulting one.
 */
void exception_expect(uint64_t recovery);

/*
 * Closes the window; returns how many exceptions were taken in it: 0 or 1 (a second one
 * would have been unexpected, and fatal).
 */
unsigned exception_expect_end(void);

/*
 * Branches to addr, the fetch fault there announced with exception_expect(); the handler
 * resumes after the branch. Close the window with exception_expect_end().
 */
void exception_fetch_from(uint64_t addr);

/* Called from vectors.S with the saved registers; may change frame->elr. */
struct exception_frame {
	uint64_t x[31];
	uint64_t elr, spsr;
	uint64_t pad; /* keeps the frame a multiple of 16 bytes */
};
void exception_handle(uint64_t vector, struct exception_frame *frame);

#endif
