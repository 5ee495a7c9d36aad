/* SPDX-License-Identifier: Apache-2.0 */
/* GICv3 distributor and redistributor register offsets (Arm IHI 0069), for the driver of the
   machine's GIC (drivers/gicv3.c) and the guests' emulated one (vdev/vgic_mmio.c, vgic_its.c). */
#ifndef KESTREL_GIC_REGS_H
#define KESTREL_GIC_REGS_H

/* Distributor; the SGI frame of a redistributor has the same offsets for INTIDs 0-31. */
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
#define GIC_PIDR2	0xffe8 /* in both */

/* A redistributor's RD frame, then its SGI frame. */
#define GICR_CTLR      0x0000
#define GICR_IIDR      0x0004
#define GICR_TYPER     0x0008
#define GICR_WAKER     0x0014
#define GICR_PROPBASER 0x0070
#define GICR_PENDBASER 0x0078
#define GICR_SGI       0x10000

/* The ITS: its control frame, then the translation frame (GITS_TRANSLATER). */
#define GITS_CTLR	0x0000
#define GITS_IIDR	0x0004
#define GITS_TYPER	0x0008
#define GITS_CBASER	0x0080
#define GITS_CWRITER	0x0088
#define GITS_CREADR	0x0090
#define GITS_BASER	0x0100 /* GITS_BASER<n> at 0x100 + 8n, n = 0..7 */
#define GITS_TRANSLATER 0x10040

#endif
