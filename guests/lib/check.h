/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test reporting in TAP-like lines: "ok - what" or "FAIL - what". test_finish() prints
 * exactly "RESULT: PASS" or "RESULT: FAIL (<n> failed)" and powers the VM off.
 */
#ifndef GUEST_CHECK_H
#define GUEST_CHECK_H

#include <stdbool.h>
#include <stdint.h>

/* what is a printf format; returns cond so callers can skip dependent checks. */
__attribute__((format(printf, 2, 3))) bool check(bool cond, const char *what, ...);

/* Prints the value either way: "ok - what = 0x2" or "FAIL - what = 0x3 (expected 0x2)". */
bool check_eq(const char *what, uint64_t actual, uint64_t expected);

/* Counts a failure reported some other way (e.g. by the exception handler). */
void test_fail(void);
unsigned test_failures(void);

void test_finish(void) __attribute__((noreturn));

#endif
