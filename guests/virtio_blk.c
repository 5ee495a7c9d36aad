/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio_blk: drives kestrel's virtio-blk as a driver would (virtio 1.2 §3.1 initialization):
 * slot 0 a writable disk, slot 1 a read-only one, both images made by the case with sector n
 * holding bytes (n + i) & 0xff. It checks the registers and configuration space, feature
 * negotiation, reads, a write read back (sector 7, which the case then finds in the image
 * file), FLUSH and GET_ID, a sector past the end, a queue reset, a buffer outside its RAM (the
 * device must go to NEEDS_RESET with nothing used, and come back after a reset), and that the
 * read-only disk fails a write with IOERR. Last it resets its VM (PSCI SYSTEM_RESET) right after
 * offering a read of the whole disk, which is then still at the machine's disk: after the
 * restart the device reads as after a reset, the buffer that read was for is zero (nothing came
 * back into the scrubbed RAM), and the disk works.
 */
#include <stddef.h>

#include "boot_info.h"
#include "check.h"
#include "mmio.h"
#include "printf.h"
#include "runtime.h"
#include "smccc.h"
#include "sysreg.h"
#include "virtio_mmio.h"

#define F_SEG_MAX  (1ull << 2)
#define F_RO	   (1ull << 5)
#define F_BLK_SIZE (1ull << 6)
#define F_FLUSH	   (1ull << 9)

#define T_IN	 0u
#define T_OUT	 1u
#define T_FLUSH	 4u
#define T_GET_ID 8u

#define QN	8   /* of the ring's VIRTQ_N entries */
#define SECTORS 128 /* the case's images: 64 KiB */

static struct virtq ring;
static struct {
	uint32_t type, reserved;
	uint64_t sector;
} hdr __attribute__((aligned(16)));
static uint8_t data[1024] __attribute__((aligned(16)));
static uint8_t whole[SECTORS * 512] __attribute__((aligned(16)));
static volatile uint8_t status_byte;
static uintptr_t dev;

static uint32_t r32(unsigned off)
{
	return mmio_read32(dev + off);
}

static void w32(unsigned off, uint32_t v)
{
	mmio_write32(dev + off, v);
}

static void zero(void *p, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		((volatile char *)p)[i] = 0;
}

static uint64_t features(void)
{
	w32(R_DEV_FEAT_S, 0);
	uint64_t f = r32(R_DEV_FEAT);
	w32(R_DEV_FEAT_S, 1);
	return f | (uint64_t)r32(R_DEV_FEAT) << 32;
}

static bool start(uint64_t f)
{
	if (!virtio_negotiate(dev, f))
		return false;
	virtq_setup(dev, 0, &ring, QN);
	w32(R_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
	return r32(R_STATUS) == (S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
}

/* One request (header, data of len bytes at addr unless len is 0, status): the status byte,
   or -1 if the device did not use the chain. */
static int request(uint32_t type, uint64_t sector, uint64_t addr, uint32_t len, bool writable)
{
	uint16_t before = virtq_used_idx(&ring);
	unsigned n = 0;

	hdr.type = type;
	hdr.reserved = 0;
	hdr.sector = sector;
	status_byte = 0xee;
	ring.desc[n++] = (struct desc){(uintptr_t)&hdr, 16, DESC_NEXT, 1};
	if (len)
		ring.desc[n++] =
		    (struct desc){addr, len, DESC_NEXT | (writable ? DESC_WRITE : 0), 2};
	ring.desc[n - 1].next = (uint16_t)n;
	ring.desc[n] = (struct desc){(uintptr_t)&status_byte, 1, DESC_WRITE, 0};
	virtq_offer(&ring, 0);
	w32(R_NOTIFY, 0);
	/* kestrel finishes a request when the machine's disk has: wait for it, or for the device
	   to say the ring is broken, at most 2 s */
	uint64_t start = counter_now(), freq = read_sysreg(cntfrq_el0);
	while (virtq_used_idx(&ring) == before && !(r32(R_STATUS) & S_NEEDS_RESET) &&
	       counter_now() - start < 2 * freq)
		;
	dsb_sy();
	if (virtq_used_idx(&ring) == before)
		return -1;
	w32(R_INT_ACK, r32(R_INT_STATUS));
	return status_byte;
}

static bool pattern_ok(uint64_t sector, const uint8_t *p, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (p[i] != (uint8_t)(sector + i / 512 + i % 512))
			return false;
	return true;
}

static void check_registers(bool read_only)
{
	uint64_t want = F_VERSION_1 | F_RING_RESET | F_EVENT_IDX | F_SEG_MAX | F_BLK_SIZE |
			F_FLUSH | (read_only ? F_RO : 0);

	check_eq("magic", r32(R_MAGIC), 0x74726976);
	check_eq("version", r32(R_VERSION), 2);
	check_eq("device ID (block)", r32(R_DEVICE_ID), 2);
	check_eq("vendor ID", r32(R_VENDOR_ID), 0x4c54534b);
	check_eq("offered features", features(), want);
	w32(R_QUEUE_SEL, 0);
	check_eq("QueueNumMax of the request queue", r32(R_QUEUE_MAX), 512);
	w32(R_QUEUE_SEL, 1);
	check_eq("QueueNumMax of queue 1 (none)", r32(R_QUEUE_MAX), 0);
	check_eq("capacity", r32(R_CONFIG) | (uint64_t)r32(R_CONFIG + 4) << 32, SECTORS);
	check_eq("seg_max", r32(R_CONFIG + 12), 510);
	check_eq("blk_size", r32(R_CONFIG + 20), 512);
}

static void check_negotiation(bool read_only)
{
	check(!virtio_negotiate(dev, F_VERSION_1 | (1ull << 1)),
	      "FEATURES_OK refused for SIZE_MAX (not offered)");
	check(!virtio_negotiate(dev, F_FLUSH), "FEATURES_OK refused without VERSION_1");
	if (!read_only)
		check(!virtio_negotiate(dev, F_VERSION_1 | F_RO),
		      "FEATURES_OK refused for RO on a writable disk");
	w32(R_STATUS, 0);
	w32(R_STATUS, S_ACK | S_DRIVER | S_DRIVER_OK);
	check(!(r32(R_STATUS) & S_DRIVER_OK), "DRIVER_OK refused without FEATURES_OK");
	check(start(F_VERSION_1 | F_RING_RESET | F_FLUSH | (read_only ? F_RO : 0)),
	      "the device starts");
}

static void check_writable_disk(void)
{
	char id[21] = {0};

	check_eq("read of sectors 5-6", (uint64_t)request(T_IN, 5, (uintptr_t)data, 1024, true), 0);
	check(pattern_ok(5, data, 1024), "sectors 5-6 hold the image's pattern");
	check_eq("used length of the read", ring.used.ring[0].len, 1025);
	for (unsigned i = 0; i < 512; i++)
		data[i] = (uint8_t)(0xa5 ^ i);
	check_eq("write of sector 7", (uint64_t)request(T_OUT, 7, (uintptr_t)data, 512, false), 0);
	check_eq("flush", (uint64_t)request(T_FLUSH, 0, 0, 0, false), 0);
	zero(data, sizeof(data));
	check_eq("read of sector 7", (uint64_t)request(T_IN, 7, (uintptr_t)data, 512, true), 0);
	bool same = true;
	for (unsigned i = 0; i < 512; i++)
		same &= data[i] == (uint8_t)(0xa5 ^ i);
	check(same, "sector 7 reads back what was written");
	check_eq("GET_ID", (uint64_t)request(T_GET_ID, 0, (uintptr_t)id, 20, true), 0);
	check(id[0] == 'v' && id[1] == 'm' && id[2] == '0' && id[3] == '/' && id[4] == 'b' &&
		  id[7] == '0' && id[8] == 0,
	      "GET_ID is the disk's serial, vm0/blk0 (\"%s\")", id);
	check_eq("a sector past the end fails (IOERR)",
		 (uint64_t)request(T_IN, SECTORS, (uintptr_t)data, 512, true), 1);
	check_eq("half a sector fails (IOERR)",
		 (uint64_t)request(T_IN, 0, (uintptr_t)data, 100, true), 1);
	check_eq("an unknown type fails (UNSUPP)",
		 (uint64_t)request(99, 0, (uintptr_t)data, 512, true), 2);
	check(!(r32(R_STATUS) & S_NEEDS_RESET), "failed requests leave the device running");
}

static void check_queue_reset(void)
{
	w32(R_QUEUE_SEL, 0);
	w32(R_QUEUE_RESET, 1);
	check_eq("QueueReady after a queue reset", r32(R_QUEUE_READY), 0);
	check_eq("QueueReset reads 0 (done)", r32(R_QUEUE_RESET), 0);
	virtq_setup(dev, 0, &ring, QN);
	check_eq("a read after the queue was set up again",
		 (uint64_t)request(T_IN, 9, (uintptr_t)data, 512, true), 0);
	check(pattern_ok(9, data, 512), "sector 9 holds the image's pattern");
}

static void check_bad_descriptor(void)
{
	uint16_t before = virtq_used_idx(&ring);

	check_eq("a buffer outside the VM's RAM: not used",
		 (uint64_t)request(T_IN, 0, 0x10000000ul, 512, true), (uint64_t)-1);
	check(r32(R_STATUS) & S_NEEDS_RESET, "a buffer outside the VM's RAM: NEEDS_RESET");
	check(r32(R_INT_STATUS) & 2, "a buffer outside the VM's RAM: configuration interrupt");
	check_eq("used idx unchanged", ring.used.idx, before);
	check(start(F_VERSION_1), "after a reset the device starts again");
	check_eq("and reads", (uint64_t)request(T_IN, 1, (uintptr_t)data, 512, true), 0);
	check(pattern_ok(1, data, 512), "sector 1 holds the image's pattern");
}

static void check_read_only_disk(void)
{
	dev = SLOT(1);
	check_registers(true);
	check_negotiation(true);
	for (unsigned i = 0; i < 512; i++)
		data[i] = 0x77;
	check_eq("read-only disk: a write fails (IOERR)",
		 (uint64_t)request(T_OUT, 3, (uintptr_t)data, 512, false), 1);
	check_eq("read-only disk: used length of the failed write", ring.used.ring[0].len, 1);
	check_eq("read-only disk: a read", (uint64_t)request(T_IN, 3, (uintptr_t)data, 512, true),
		 0);
	check(pattern_ok(3, data, 512), "read-only disk: sector 3 is unchanged");
}

/* Boot 2: the restart came with a read of the whole disk at the machine's disk. */
static void check_after_restart(void)
{
	bool clean = true;

	dev = SLOT(0);
	check_eq("after a restart: Status", r32(R_STATUS), 0);
	w32(R_QUEUE_SEL, 0);
	check_eq("after a restart: QueueReady", r32(R_QUEUE_READY), 0);
	for (unsigned i = 0; i < sizeof(whole); i++)
		clean &= whole[i] == 0;
	check(clean, "after a restart: the read in flight wrote nothing into the VM's memory");
	check(start(F_VERSION_1), "after a restart: the device starts");
	check_eq("after a restart: a read", (uint64_t)request(T_IN, 9, (uintptr_t)data, 512, true),
		 0);
	check(pattern_ok(9, data, 512), "after a restart: sector 9 holds the image's pattern");
	test_finish();
}

int main(const void *dtb)
{
	(void)dtb;
	if (boot_info.boot_count > 1)
		check_after_restart();
	dev = SLOT(0);
	check_registers(false);
	check_negotiation(false);
	check_writable_disk();
	check_queue_reset();
	check_bad_descriptor();
	check_read_only_disk();
	if (test_failures())
		test_finish();
	/* the whole disk, one piece at the machine's disk, likely under way at the reset */
	dev = SLOT(0);
	check(start(F_VERSION_1), "the writable disk starts for the reset");
	hdr.type = T_IN;
	hdr.reserved = 0;
	hdr.sector = 0;
	ring.desc[0] = (struct desc){(uintptr_t)&hdr, 16, DESC_NEXT, 1};
	ring.desc[1] = (struct desc){(uintptr_t)whole, sizeof(whole), DESC_NEXT | DESC_WRITE, 2};
	ring.desc[2] = (struct desc){(uintptr_t)&status_byte, 1, DESC_WRITE, 0};
	virtq_offer(&ring, 0);
	w32(R_NOTIFY, 0);
	printf("virtio_blk: restarting with a read at the machine's disk\n");
	psci_system_reset();
}
