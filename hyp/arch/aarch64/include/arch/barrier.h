/* SPDX-License-Identifier: Apache-2.0 */
/* Barriers and the CPU's waits, as AArch64 instructions. */
#ifndef KESTREL_ARCH_BARRIER_H
#define KESTREL_ARCH_BARRIER_H

#define isb()	 __asm__ volatile("isb" ::: "memory")
#define dsb(opt) __asm__ volatile("dsb " #opt ::: "memory")
#define dmb(opt) __asm__ volatile("dmb " #opt ::: "memory")
#define wfi()	 __asm__ volatile("wfi" ::: "memory")
#define wfe()	 __asm__ volatile("wfe" ::: "memory")
#define sev()	 __asm__ volatile("sev" ::: "memory")

#endif
