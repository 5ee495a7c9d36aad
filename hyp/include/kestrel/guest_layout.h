/* SPDX-License-Identifier: Apache-2.0 */
/* The guest-physical map every VM sees: QEMU virt's, so guests that know virt just work. */
#ifndef KESTREL_GUEST_LAYOUT_H
#define KESTREL_GUEST_LAYOUT_H

#define GUEST_GICD_BASE	  0x08000000ull
#define GUEST_GICD_SIZE	  0x00010000ull
#define GUEST_ITS_BASE	  0x08080000ull /* GITS frame, then the translation frame */
#define GUEST_ITS_SIZE	  0x00020000ull
#define GUEST_GICR_BASE	  0x080a0000ull
#define GUEST_GICR_STRIDE 0x00020000ull /* RD frame + SGI frame per vCPU */
#define GUEST_UART_BASE	  0x09000000ull
#define GUEST_UART_SIZE	  0x00001000ull
#define GUEST_UART_SPI	  1 /* INTID 33 */
#define GUEST_RAM_BASE	  0x40000000ull
/* The EL1 timers' PPIs as the guest sees them (QEMU virt's), whatever the host's are. */
#define GUEST_PPI_VTIMER 27
#define GUEST_PPI_PTIMER 30
/* The PMU's overflow interrupt (QEMU virt's): kestrel gives guests the PMU only where the
   host's is this one too (pmu.h). */
#define GUEST_PPI_PMU	  23
#define GUEST_MPIDR(vcpu) (0x80000000ull | (vcpu)) /* bit 31 is RES1 */

#endif
