/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include "check.h"
#include "printf.h"
#include "smccc.h"

static volatile unsigned failures;

bool check(bool cond, const char *what, ...)
{
	va_list ap;

	printf(cond ? "ok - " : "FAIL - ");
	va_start(ap, what);
	vprintf(what, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		test_fail();
	return cond;
}

bool check_eq(const char *what, uint64_t actual, uint64_t expected)
{
	if (actual == expected)
		return check(true, "%s = 0x%lx", what, actual);
	return check(false, "%s = 0x%lx (expected 0x%lx)", what, actual, expected);
}

void test_fail(void)
{
	failures = failures + 1;
}

unsigned test_failures(void)
{
	return failures;
}

void test_finish(void)
{
	if (failures == 0)
		printf("RESULT: PASS\n");
	else
		printf("RESULT: FAIL (%u failed)\n", failures);
	psci_system_off();
}
