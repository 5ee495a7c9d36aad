/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A panic stops every CPU. The panicking CPU sends SGI_HALT to all the others; each takes it
 * at its next interrupt window (in a guest, that is at once: a physical IRQ exits the guest;
 * kestrel's own code runs with interrupts masked, so a CPU in EL2 stops when it next looks)
 * and counts itself before halting, so the report can say whether all of them stopped.
 */
#include <kestrel/gicv3.h>
#include <kestrel/halt.h>
#include <kestrel/hyp.h>
#include <kestrel/mm.h>
#include <kestrel/sysreg_defs.h>
#include <kestrel/vm.h>

static bool halting;
static unsigned halted;

void halt_this_cpu(void)
{
	__atomic_add_fetch(&halted, 1, __ATOMIC_RELEASE);
	halt_forever();
}

unsigned halt_other_cpus(unsigned *running)
{
	struct pcpu *self = this_pcpu();
	uint64_t deadline;

	*running = 0;
	for (unsigned i = 0; i < pcpu_count; i++)
		*running += &pcpus[i] != self && READ_ONCE(pcpus[i].online);
	if (__atomic_exchange_n(&halting, true, __ATOMIC_ACQ_REL))
		halt_this_cpu();
	/* Before the secondaries start there is nobody to stop, and the GIC may not be set up. */
	if (!*running)
		return 0;
	gicv3_send_sgi_others(SGI_HALT);
	deadline = arch_counter() + hyp.cntfrq / 1000 * HALT_WAIT_MS;
	while (__atomic_load_n(&halted, __ATOMIC_ACQUIRE) < *running && arch_counter() < deadline)
		;
	return __atomic_load_n(&halted, __ATOMIC_ACQUIRE);
}
