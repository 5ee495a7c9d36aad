/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What entry.S and boot.S do for core code, on the host: the FP/SIMD register file is the
 * fake CPU's; a fresh stack is the caller's own (what runs on it never returns: the test's
 * escape ends it); entering a guest and halting end at the escape.
 */
#include <stdlib.h>

#include <kestrel/mm.h>

#include <arch/fake_arch.h>

static NORETURN void escape(enum fake_jump why)
{
	if (fake_arch.escape)
		longjmp(*fake_arch.escape, why);
	abort();
}

void fpsimd_save(struct fpsimd_state *st)
{
	*st = fake_cpu()->fp;
}

void fpsimd_restore(const struct fpsimd_state *st)
{
	fake_cpu()->fp = *st;
}

void call_on_fresh_stack(void *arg, uintptr_t stack_top, void (*fn)(void *))
{
	(void)stack_top;
	fn(arg);
	abort(); /* fn never returns */
}

void vcpu_enter_fresh(struct vcpu *vcpu, uintptr_t stack_top)
{
	(void)stack_top;
	fake_arch.entered = vcpu;
	fake_arch.entries++;
	escape(FAKE_JUMP_GUEST);
}

void halt_forever(void)
{
	fake_arch.halts++;
	escape(FAKE_JUMP_HALT);
}
