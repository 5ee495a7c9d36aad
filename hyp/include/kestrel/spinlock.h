/* SPDX-License-Identifier: Apache-2.0 */
/* A ticket-free test-and-set spinlock: kestrel only holds locks for short, bounded work. */
#ifndef KESTREL_SPINLOCK_H
#define KESTREL_SPINLOCK_H

#include <kestrel/types.h>

typedef struct {
	volatile uint32_t locked;
} spinlock_t;

static inline void spin_lock(spinlock_t *l)
{
	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
			;
}

static inline void spin_unlock(spinlock_t *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

#endif
