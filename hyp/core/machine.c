/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What kestrel knows of the machine and has chosen for it: filled in at boot (main.c), read
 * everywhere; and how long it has been up.
 */
#include <kestrel/arch.h>
#include <kestrel/hyp.h>
#include <kestrel/vm.h>

struct platform platform;
struct hyp_config hyp;
struct pcpu pcpus[PCPU_MAX];
unsigned pcpu_count;

uint64_t uptime_ms(void)
{
	return arch_counter() / (hyp.cntfrq / 1000 ? hyp.cntfrq / 1000 : 1);
}
