/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small driver for the GICv3 ITS at QEMU virt's address (the one kestrel gives every VM):
 * its registers, the commands (Arm IHI 0069, 5.3) as 32-byte values, and a command queue in
 * one page of the guest's memory, written one command at a time and waited for on GITS_CREADR.
 */
#ifndef GUEST_ITS_H
#define GUEST_ITS_H

#include <stdbool.h>
#include <stdint.h>

#define GITS_BASE	0x08080000ul
#define GITS_CTLR	0x0000
#define GITS_IIDR	0x0004
#define GITS_TYPER	0x0008
#define GITS_CBASER	0x0080
#define GITS_CWRITER	0x0088
#define GITS_CREADR	0x0090
#define GITS_BASER(n)	(0x0100 + 8 * (n))
#define GITS_PIDR2	0xffe8
#define GITS_TRANSLATER 0x10040

#define GITS_CTLR_ENABLED   (1u << 0)
#define GITS_CTLR_QUIESCENT (1u << 31)
#define GITS_CREADR_STALLED (1ull << 0)
#define GITS_CWRITER_RETRY  (1ull << 0)
#define GITS_VALID	    (1ull << 63)

/* The redistributor's LPI registers (RD frame) and GICD_TYPER.LPIS. */
#define GICR_PROPBASER	      0x0070
#define GICR_PENDBASER	      0x0078
#define GICR_CTLR_ENABLE_LPIS (1u << 0)
#define GICD_TYPER_LPIS	      (1u << 17)
#define LPI_BASE	      8192
#define LPI_ENABLE	      0x01 /* configuration byte: Enable; bits 7:2 are the priority */

/* Command numbers. */
#define ITS_MOVI    0x01
#define ITS_INT	    0x03
#define ITS_CLEAR   0x04
#define ITS_SYNC    0x05
#define ITS_MAPD    0x08
#define ITS_MAPC    0x09
#define ITS_MAPTI   0x0a
#define ITS_MAPI    0x0b
#define ITS_INV	    0x0c
#define ITS_INVALL  0x0d
#define ITS_MOVALL  0x0e
#define ITS_DISCARD 0x0f

struct its_cmd {
	uint64_t d[4];
};

/* The commands, with GITS_TYPER.PTA 0: a redistributor is named by its processor number. */
static inline struct its_cmd its_mapd(uint32_t dev, unsigned event_bits, uint64_t itt, bool v)
{
	return (struct its_cmd){{ITS_MAPD | (uint64_t)dev << 32, event_bits - 1,
				 (itt & ~0xfful) | (v ? 1ull << 63 : 0), 0}};
}

static inline struct its_cmd its_mapc(unsigned icid, unsigned rd, bool v)
{
	return (struct its_cmd){{ITS_MAPC, 0, icid | (uint64_t)rd << 16 | (v ? 1ull << 63 : 0), 0}};
}

static inline struct its_cmd its_mapti(uint32_t dev, uint32_t event, uint32_t intid, unsigned icid)
{
	return (struct its_cmd){
	    {ITS_MAPTI | (uint64_t)dev << 32, event | (uint64_t)intid << 32, icid, 0}};
}

/* The commands that name one event: INT, CLEAR, DISCARD, INV; MAPI and MOVI add an ICID. */
static inline struct its_cmd its_event(unsigned cmd, uint32_t dev, uint32_t event, unsigned icid)
{
	return (struct its_cmd){{cmd | (uint64_t)dev << 32, event, icid, 0}};
}

static inline struct its_cmd its_invall(unsigned icid)
{
	return (struct its_cmd){{ITS_INVALL, 0, icid, 0}};
}

static inline struct its_cmd its_sync(unsigned rd)
{
	return (struct its_cmd){{ITS_SYNC, 0, (uint64_t)rd << 16, 0}};
}

/* GITS_CBASER for a queue of pages 4 KiB pages at queue (4 KiB aligned); CWRITER starts at 0. */
void its_queue_init(void *queue, unsigned pages);

/* Appends c, moves GITS_CWRITER past it and waits (up to a second) until GITS_CREADR has
   too: true if it did, false if the ITS stalled or never got there. */
bool its_send(struct its_cmd c);

/* GITS_CREADR now (Offset and Stalled). */
uint64_t its_creadr(void);

#endif
