/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Host stand-ins for the system register hooks hyp/include/kestrel/sysreg.h calls when built
 * with KESTREL_HOST_TEST. Link tests/unit/stubs.c to use them.
 */
#ifndef KESTREL_TEST_STUBS_H
#define KESTREL_TEST_STUBS_H

#include <kestrel/types.h>

/* A register file behind read_sysreg/write_sysreg: registers never set read as zero. */
void host_sysreg_reset(void);
void host_sysreg_set(const char *name, uint64_t val);
uint64_t host_sysreg_get(const char *name);
unsigned host_sysreg_writes(const char *name); /* writes since the last reset */

/* System instructions executed through host_sys_insn, oldest first. */
#define HOST_INSN_MAX 16
struct host_insn {
	const char *insn;
	uint64_t val;
};
unsigned host_insn_count(void);
const struct host_insn *host_insn_at(unsigned i);

#endif
