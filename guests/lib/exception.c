/* SPDX-License-Identifier: Apache-2.0 */
#include <stdbool.h>
#include "check.h"
#include "exception.h"
#include "gic.h"
#include "printf.h"
#include "sysreg.h"

volatile struct exception_record last_exception;

static volatile bool expected;
static volatile uint64_t recovery_address;
static volatile unsigned taken, taken_before_window;

/* vectors.S builds this frame by hand. */
_Static_assert(sizeof(struct exception_frame) == 34 * 8, "frame layout shared with vectors.S");

/* The sixteen vector entries, in table order (see vectors.S). */
#define VECTOR_SYNC_EL1H 4
#define VECTOR_IRQ_EL1H	 5

static const char *const vector_names[16] = {
    "sync EL1t",   "IRQ EL1t",	 "FIQ EL1t",   "SError EL1t",	/* from EL1 on SP_EL0 */
    "sync EL1h",   "IRQ EL1h",	 "FIQ EL1h",   "SError EL1h",	/* from EL1 on SP_EL1 */
    "sync EL0/64", "IRQ EL0/64", "FIQ EL0/64", "SError EL0/64", /* from AArch64 EL0 */
    "sync EL0/32", "IRQ EL0/32", "FIQ EL0/32", "SError EL0/32", /* from AArch32 EL0 */
};

void exception_expect(uint64_t recovery)
{
	recovery_address = recovery;
	taken_before_window = taken;
	expected = true;
	dsb_sy();
}

unsigned exception_expect_end(void)
{
	expected = false;
	recovery_address = 0;
	dsb_sy();
	return taken - taken_before_window;
}

void exception_handle(uint64_t vector, struct exception_frame *frame)
{
	uint64_t esr, far, entry_pstate;

	/* IRQs go to the hook a test registered with gic_set_irq_hook(). */
	if (vector == VECTOR_IRQ_EL1H && gic_handle_irq())
		return;
	/* Nothing in the handler so far changed PAN, DIT or SSBS: they are what exception entry
	   set. Read by encoding: the guests are built for Armv8.0. */
	entry_pstate = (read_sysreg(S3_0_C4_C2_3) & PSTATE_PAN) |
		       (read_sysreg(S3_3_C4_C2_5) & PSTATE_DIT) |
		       (read_sysreg(S3_3_C4_C2_6) & PSTATE_SSBS);

	esr = read_sysreg(esr_el1);
	far = read_sysreg(far_el1);
	if (vector == VECTOR_SYNC_EL1H && expected) {
		last_exception.esr = esr;
		last_exception.far = far;
		last_exception.elr = frame->elr;
		last_exception.spsr = frame->spsr;
		last_exception.entry_pstate = entry_pstate;
		taken = taken + 1;
		expected = false;
		frame->elr = recovery_address ? recovery_address : frame->elr + 4;
		recovery_address = 0;
		return;
	}

	printf("unexpected exception (%s): ESR_EL1=0x%lx (EC 0x%x) ELR_EL1=0x%lx FAR_EL1=0x%lx\n",
	       vector < 16 ? vector_names[vector] : "?", esr, (unsigned)ESR_EC(esr), frame->elr,
	       far);
	test_fail();
	test_finish();
}

/*
 * Branches to addr with exception_expect(recovery) announced first, recovery being the
 * instruction after the branch (ELR will be addr itself). It is all one asm statement so the
 * compiler cannot separate the recovery label from the branch; addr sits in callee-saved
 * x19 to survive the call.
 */
__attribute__((noinline)) void exception_fetch_from(uint64_t addr)
{
	register uint64_t target __asm__("x19") = addr;

	__asm__ __volatile__("adr x0, 1f\n\t"
			     "bl exception_expect\n\t"
			     "blr %0\n"
			     "1:\n"
			     :
			     : "r"(target)
			     : "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10",
			       "x11", "x12", "x13", "x14", "x15", "x16", "x17", "x30", "cc",
			       "memory");
}
