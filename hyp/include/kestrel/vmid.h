/* SPDX-License-Identifier: Apache-2.0 */
/* VMIDs: one per VM, 0 never given (vmid.c). */
#ifndef KESTREL_VMID_H
#define KESTREL_VMID_H

#include <kestrel/types.h>

uint16_t vmid_alloc(void);
void vmid_free(uint16_t vmid);

#endif
