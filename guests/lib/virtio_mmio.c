/* SPDX-License-Identifier: Apache-2.0 */
#include "virtio_mmio.h"

#include "mmio.h"
#include "sysreg.h"

void virtio_set_features(uintptr_t base, uint64_t features)
{
	mmio_write32(base + R_DRV_FEAT_S, 0);
	mmio_write32(base + R_DRV_FEAT, (uint32_t)features);
	mmio_write32(base + R_DRV_FEAT_S, 1);
	mmio_write32(base + R_DRV_FEAT, (uint32_t)(features >> 32));
}

bool virtio_negotiate(uintptr_t base, uint64_t features)
{
	mmio_write32(base + R_STATUS, 0);
	mmio_write32(base + R_STATUS, S_ACK);
	mmio_write32(base + R_STATUS, S_ACK | S_DRIVER);
	virtio_set_features(base, features);
	mmio_write32(base + R_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
	return (mmio_read32(base + R_STATUS) & S_FEATURES_OK) != 0;
}

void virtio_queue_at(uintptr_t base, unsigned q, uint64_t desc, uint64_t avail, uint64_t used,
		     unsigned num)
{
	mmio_write32(base + R_QUEUE_SEL, q);
	mmio_write32(base + R_QUEUE_NUM, num);
	mmio_write32(base + R_DESC_LO, (uint32_t)desc);
	mmio_write32(base + R_DESC_HI, (uint32_t)(desc >> 32));
	mmio_write32(base + R_DRIVER_LO, (uint32_t)avail);
	mmio_write32(base + R_DRIVER_HI, (uint32_t)(avail >> 32));
	mmio_write32(base + R_DEVICE_LO, (uint32_t)used);
	mmio_write32(base + R_DEVICE_HI, (uint32_t)(used >> 32));
	mmio_write32(base + R_QUEUE_READY, 1);
}

void virtq_setup(uintptr_t base, unsigned q, struct virtq *r, unsigned num)
{
	/* volatile: the guests have no memset for the compiler to turn a plain loop into */
	for (unsigned i = 0; i < sizeof(*r); i++)
		((volatile uint8_t *)r)[i] = 0;
	r->num = (uint16_t)num;
	virtio_queue_at(base, q, (uintptr_t)r->desc, (uintptr_t)&r->avail, (uintptr_t)&r->used,
			num);
}

void virtq_offer(struct virtq *r, uint16_t head)
{
	r->avail.ring[r->next_avail % r->num] = head;
	dmb_sy();
	r->avail.idx = ++r->next_avail;
	dmb_sy();
}
