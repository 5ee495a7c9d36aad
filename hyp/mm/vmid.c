/* SPDX-License-Identifier: Apache-2.0 */
/* VMIDs: 8 or 16 bits as the CPU offers; 0 is never handed out, so a VMID of 0 means none. */
#include <kestrel/hyp.h>
#include <kestrel/spinlock.h>
#include <kestrel/vmid.h>

#define VMID_SPACE 65536

static uint8_t vmid_used[VMID_SPACE / 8];
static spinlock_t vmid_lock;

uint16_t vmid_alloc(void)
{
	unsigned limit = 1u << hyp.vmid_bits;
	uint16_t vmid = 0;

	spin_lock(&vmid_lock);
	for (unsigned v = 1; v < limit; v++)
		if (!(vmid_used[v / 8] & (1u << (v % 8)))) {
			vmid_used[v / 8] |= (uint8_t)(1u << (v % 8));
			vmid = (uint16_t)v;
			break;
		}
	spin_unlock(&vmid_lock);
	return vmid;
}

/* 0 is "none": freeing it is a no-op, as is freeing a VMID that is not in use. */
void vmid_free(uint16_t vmid)
{
	if (!vmid)
		return;
	spin_lock(&vmid_lock);
	vmid_used[vmid / 8] &= (uint8_t) ~(1u << (vmid % 8));
	spin_unlock(&vmid_lock);
}
