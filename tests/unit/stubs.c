/* SPDX-License-Identifier: Apache-2.0 */
/* Host stand-ins for kestrel's runtime: see stubs.h. */
#include <string.h>

#include <kestrel/hyp.h>
#include <kestrel/lib.h>

#include "stubs.h"

/* kestrel's console: the tests that link these stubs do not look at what it says. */
void kprintf(const char *fmt, ...)
{
	(void)fmt;
}

/* kestrel's machine-wide choices, as vcpu.c reads them: a CPU without FEAT_RAS. */
struct hyp_config hyp;
