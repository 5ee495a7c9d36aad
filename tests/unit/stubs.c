/* SPDX-License-Identifier: Apache-2.0 */
/* Host stand-ins for kestrel's runtime: see stubs.h. */
#include <string.h>

#include <kestrel/hyp.h>
#include <kestrel/lib.h>
#include <kestrel/sysreg.h>

#include "stubs.h"

/* kestrel's console: the tests that link these stubs do not look at what it says. */
void kprintf(const char *fmt, ...)
{
	(void)fmt;
}

/* kestrel's machine-wide choices, as vcpu.c reads them: a CPU without FEAT_RAS. */
struct hyp_config hyp;

#define SYSREG_MAX 64

static struct {
	const char *name;
	uint64_t val;
	unsigned writes;
} sysregs[SYSREG_MAX];
static unsigned nsysregs;

static struct host_insn insns[HOST_INSN_MAX];
static unsigned ninsns;

static unsigned sysreg_slot(const char *name, int create)
{
	unsigned i;

	for (i = 0; i < nsysregs; i++)
		if (!strcmp(sysregs[i].name, name))
			return i;
	if (!create || nsysregs == SYSREG_MAX)
		return SYSREG_MAX;
	sysregs[nsysregs].name = name;
	sysregs[nsysregs].val = 0;
	sysregs[nsysregs].writes = 0;
	return nsysregs++;
}

void host_sysreg_reset(void)
{
	nsysregs = 0;
	ninsns = 0;
}

void host_sysreg_set(const char *name, uint64_t val)
{
	unsigned i = sysreg_slot(name, 1);

	if (i < SYSREG_MAX)
		sysregs[i].val = val;
}

uint64_t host_sysreg_get(const char *name)
{
	unsigned i = sysreg_slot(name, 0);

	return i < SYSREG_MAX ? sysregs[i].val : 0;
}

unsigned host_sysreg_writes(const char *name)
{
	unsigned i = sysreg_slot(name, 0);

	return i < SYSREG_MAX ? sysregs[i].writes : 0;
}

uint64_t host_read_sysreg(const char *name)
{
	return host_sysreg_get(name);
}

void host_write_sysreg(const char *name, uint64_t val)
{
	unsigned i = sysreg_slot(name, 1);

	if (i < SYSREG_MAX) {
		sysregs[i].val = val;
		sysregs[i].writes++;
	}
}

void host_sys_insn(const char *insn, uint64_t val)
{
	if (ninsns < HOST_INSN_MAX) {
		insns[ninsns].insn = insn;
		insns[ninsns].val = val;
		ninsns++;
	}
}

unsigned host_insn_count(void)
{
	return ninsns;
}

const struct host_insn *host_insn_at(unsigned i)
{
	return i < ninsns ? &insns[i] : NULL;
}
