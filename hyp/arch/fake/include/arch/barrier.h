/* SPDX-License-Identifier: Apache-2.0 */
/* Barriers and the CPU's waits on the host: C11 fences, and a WFI the fake arch counts. */
#ifndef KESTREL_ARCH_BARRIER_H
#define KESTREL_ARCH_BARRIER_H

void fake_wfi(void);

#define isb()	 __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define dsb(opt) __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define dmb(opt) __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define wfi()	 fake_wfi()
#define wfe()	 ((void)0)
#define sev()	 ((void)0)

#endif
