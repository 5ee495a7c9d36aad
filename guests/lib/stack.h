/* SPDX-License-Identifier: Apache-2.0 */
/* Stack layout shared by start.S and C: one slot per vCPU. */
#ifndef GUEST_STACK_H
#define GUEST_STACK_H

#define STACK_SIZE 0x4000 /* 16 KiB per vCPU */
#define MAX_VCPUS  8	  /* stack slots, and CPUs read from the DTB */

#endif
