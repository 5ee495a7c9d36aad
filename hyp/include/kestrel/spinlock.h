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

/* Whether the lock was free and is now held: for a CPU that must not wait for it. */
static inline bool spin_trylock(spinlock_t *l)
{
	return !__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE);
}

static inline void spin_unlock(spinlock_t *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

/*
 * A fair lock: CPUs get it in the order they asked (a ticket each), so one that keeps taking
 * it cannot keep another out. For locks every CPU and every VM's output goes through (the
 * console), where the test-and-set lock above would let the CPU that just let go win again.
 */
typedef struct {
	volatile uint32_t next, owner;
} ticketlock_t;

static inline void ticket_lock(ticketlock_t *l)
{
	uint32_t ticket = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);

	while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != ticket)
		;
}

static inline void ticket_unlock(ticketlock_t *l)
{
	__atomic_store_n(&l->owner, l->owner + 1, __ATOMIC_RELEASE);
}

static inline bool ticket_held(const ticketlock_t *l)
{
	return __atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) !=
	       __atomic_load_n(&l->next, __ATOMIC_ACQUIRE);
}

#endif
