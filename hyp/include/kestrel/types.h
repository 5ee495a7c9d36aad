/* SPDX-License-Identifier: Apache-2.0 */
/* Basic types shared by every kestrel file, host-built or not. */
#ifndef KESTREL_TYPES_H
#define KESTREL_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t paddr_t;  /* host physical address */
typedef uint64_t ipaddr_t; /* guest intermediate physical address */

#define PAGE_SHIFT 12
#define PAGE_SIZE  ((uint64_t)1 << PAGE_SHIFT)
#define SZ_2M	   ((uint64_t)2 << 20)
#define SZ_1G	   ((uint64_t)1 << 30)

#define ALIGN_UP(x, a)	 (((x) + ((a)-1)) & ~((uint64_t)(a)-1))
#define ALIGN_DOWN(x, a) ((x) & ~((uint64_t)(a)-1))
#define IS_ALIGNED(x, a) (((x) & ((uint64_t)(a)-1)) == 0)
#define ARRAY_SIZE(a)	 (sizeof(a) / sizeof((a)[0]))
#define BIT(n)		 ((uint64_t)1 << (n))
#define FIELD(v, lo, w)	 (((v) >> (lo)) & ((BIT(w)) - 1))
#define MIN(a, b)	 ((a) < (b) ? (a) : (b))
#define MAX(a, b)	 ((a) > (b) ? (a) : (b))

/* Error codes returned as negative ints. */
#define E_OK	0
#define E_INVAL 1
#define E_NOMEM 2
#define E_EXIST 3
#define E_NOENT 4
#define E_PERM	5
#define E_RANGE 6

/* A load the compiler may not cache or hoist: the value is written by another CPU. */
#define READ_ONCE(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

/* On every operation whose failure the caller must handle (int results, -E_*): a result
   dropped on the floor is a build error. Predicates return bool and need no such mark. */
#define MUST_CHECK  __attribute__((warn_unused_result))
#define NORETURN    __attribute__((noreturn))
#define NOINLINE    __attribute__((noinline))
#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define UNUSED	    __attribute__((unused))

#endif
