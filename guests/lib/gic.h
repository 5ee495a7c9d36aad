/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small GICv3 driver: the distributor, this vCPU's redistributor, the system-register CPU
 * interface, and IRQ exceptions. Addresses are QEMU virt's (the map kestrel gives every VM);
 * register layouts are those of the GICv3 architecture (ARM IHI 0069).
 *
 * Interrupt numbers below 32 (SGIs and PPIs) are programmed in the calling vCPU's
 * redistributor, the others (SPIs) in the distributor: the per-interrupt helpers pick the
 * right frame. Everything assumes affinity routing and a single security state, where all
 * interrupts the guest uses are Group 1.
 */
#ifndef GUEST_GIC_H
#define GUEST_GIC_H

#include <stdbool.h>
#include <stdint.h>

#define GICD_BASE	  0x08000000ul
#define GICR_BASE	  0x080a0000ul
#define GICR_FRAME_STRIDE 0x20000ul /* RD frame, then the SGI frame */
#define GICR_SGI_FRAME	  0x10000ul
#define GICR_MAX_FRAMES	  64 /* a bound on the scan for a missing Last bit */

/* Distributor registers (offsets from GICD_BASE). */
#define GICD_CTLR	0x0000
#define GICD_TYPER	0x0004
#define GICD_IIDR	0x0008
#define GICD_IGROUPR	0x0080
#define GICD_ISENABLER	0x0100
#define GICD_ICENABLER	0x0180
#define GICD_ISPENDR	0x0200
#define GICD_ICPENDR	0x0280
#define GICD_ISACTIVER	0x0300
#define GICD_ICACTIVER	0x0380
#define GICD_IPRIORITYR 0x0400
#define GICD_ICFGR	0x0c00
#define GICD_IROUTER	0x6000
#define GIC_PIDR2	0xffe8 /* in the distributor and in each RD frame */

#define GICD_CTLR_ENABLE_GRP0 (1u << 0)
#define GICD_CTLR_ENABLE_GRP1 (1u << 1) /* EnableGrp1 with a single security state */
#define GICD_CTLR_ARE	      (1u << 4)
#define GICD_CTLR_DS	      (1u << 6)
#define GICD_CTLR_RWP	      (1u << 31)

/* Redistributor RD frame registers. */
#define GICR_CTLR	  0x0000
#define GICR_IIDR	  0x0004
#define GICR_TYPER	  0x0008 /* 64 bits */
#define GICR_WAKER	  0x0014
#define GICR_TYPER_LAST	  (1ull << 4)
#define GICR_WAKER_SLEEP  (1u << 1) /* ProcessorSleep */
#define GICR_WAKER_ASLEEP (1u << 2) /* ChildrenAsleep */

/*
 * The SGI frame's per-interrupt registers sit at the distributor's offsets (IGROUPR0 at
 * 0x80, ISENABLER0 at 0x100, ...), covering INTIDs 0-31.
 */

#define GIC_NR_SGIS	   16
#define GIC_NR_PRIVATE	   32
#define GIC_INTID_SPURIOUS 1023
#define GIC_PRIO_DEFAULT   0xa0
#define GIC_PPI_PHYS_TIMER 30 /* EL1 physical timer */
#define GIC_PPI_VIRT_TIMER 27 /* EL1 virtual timer */

/* ---- distributor (once, on the boot vCPU) ---- */

/*
 * Disables the distributor, makes every SPI Group 1, disabled, not pending or active, of
 * priority GIC_PRIO_DEFAULT, level-sensitive and routed to the calling vCPU, then enables it
 * with ARE | EnableGrp1. Returns false if GICD_CTLR.RWP never cleared.
 */
bool gic_dist_init(void);

/* INTIDs the distributor covers (GICD_TYPER.ITLinesNumber), at most 1020. */
unsigned gic_dist_nr_irqs(void);

/* ---- this vCPU ---- */

/* The RD frame whose GICR_TYPER affinity matches mpidr, or 0 if none does. */
uintptr_t gic_redist_find(uint64_t mpidr);

/* GICR_TYPER's affinity field (bits 63:32) in MPIDR_EL1's layout (Aff3 at 39:32). */
uint64_t gic_typer_to_mpidr(uint64_t typer);

/*
 * Finds this vCPU's redistributor by MPIDR, wakes it (GICR_WAKER), makes its SGIs and PPIs
 * Group 1, disabled, not pending or active and of priority GIC_PRIO_DEFAULT, then sets up the
 * CPU interface (gic_cpu_iface_init). Returns false if no frame matches or it stays asleep.
 */
bool gic_cpu_init(void);

/* This vCPU's RD frame and SGI frame; valid after gic_cpu_init() on this vCPU. */
uintptr_t gic_redist(void);
uintptr_t gic_redist_sgi(void);

/* ICC_SRE_EL1.SRE = 1, PMR = 0xff, BPR1 = 0, CTLR.EOImode = 0, IGRPEN1 = 1. */
void gic_cpu_iface_init(void);

/* ---- one interrupt ---- */

/* The frame holding intid's registers: this vCPU's SGI frame or the distributor. */
uintptr_t gic_irq_frame(unsigned intid);

void gic_enable(unsigned intid);
void gic_disable(unsigned intid);
bool gic_is_enabled(unsigned intid);
void gic_set_pending(unsigned intid);
void gic_clear_pending(unsigned intid);
bool gic_is_pending(unsigned intid);
void gic_set_active(unsigned intid);
void gic_clear_active(unsigned intid);
bool gic_is_active(unsigned intid);
void gic_set_group1(unsigned intid, bool group1);
void gic_set_priority(unsigned intid, uint8_t prio); /* a byte access */
uint8_t gic_priority(unsigned intid);
void gic_set_edge(unsigned intid, bool edge); /* ICFGR: edge-triggered or level-sensitive */
bool gic_is_edge(unsigned intid);
void gic_route_spi(unsigned intid, uint64_t mpidr); /* GICD_IROUTER, Interrupt_Routing_Mode 0 */
uint64_t gic_spi_route(unsigned intid);

/* ---- CPU interface ---- */

/* ICC_IAR1_EL1: the INTID acknowledged, GIC_INTID_SPURIOUS if none was pending. */
unsigned gic_ack(void);
/* ICC_EOIR1_EL1: with EOImode 0, priority drop and deactivation. */
void gic_eoi(unsigned intid);
void gic_set_pmr(uint8_t pmr);
uint8_t gic_pmr(void);

/*
 * ICC_SGI1R_EL1: SGI intid to the vCPU with this MPIDR; to the vCPUs whose Aff0 % 16 is a bit
 * of targets among those sharing mpidr's Aff3.Aff2.Aff1 and Aff0 / 16 (the range selector);
 * or to every vCPU but this one (Interrupt Routing Mode 1).
 */
void gic_send_sgi(unsigned intid, uint64_t mpidr);
void gic_send_sgi_list(unsigned intid, uint64_t mpidr, uint16_t targets);
void gic_send_sgi_others(unsigned intid);

/* ---- IRQ exceptions ---- */

/*
 * The IRQ vector acknowledges the interrupt, calls the hook with its INTID, then writes EOIR.
 * One hook for all vCPUs; it runs with IRQs masked. An IRQ with no hook registered is an
 * unexpected exception.
 */
typedef void (*gic_irq_hook_fn)(unsigned intid);
void gic_set_irq_hook(gic_irq_hook_fn hook);

/* Called by the exception vector; false if no hook is registered. */
bool gic_handle_irq(void);

/* IRQ exceptions that acknowledged nothing (ICC_IAR1_EL1 read a special INTID). */
unsigned gic_spurious_count(void);

static inline void irq_unmask(void)
{
	__asm__ __volatile__("msr daifclr, #2\n\tisb" : : : "memory");
}

static inline void irq_mask(void)
{
	__asm__ __volatile__("msr daifset, #2" : : : "memory");
}

#endif
