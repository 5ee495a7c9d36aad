/* SPDX-License-Identifier: Apache-2.0 */
/*
 * counter: every vCPU of the VM counts to the same target, so that with more vCPUs than
 * physical CPUs each must get its share of time slices. The guest also checks that its
 * virtual time keeps pace with physical time over the run: virtual time must not stop while
 * a vCPU waits for its turn (CNTVOFF stays fixed for the VM's life).
 */
#include "boot_info.h"
#include "check.h"
#include "printf.h"
#include "runtime.h"
#include "smccc.h"
#include "stack.h"
#include "sysreg.h"

#define TARGET 20000000ul

static volatile uint64_t done_at[MAX_VCPUS]; /* virtual time each vCPU finished, 0: running */

static void count(unsigned id)
{
	volatile uint64_t n = 0;

	while (n < TARGET)
		n++;
	__asm__ __volatile__("dsb sy" ::: "memory");
	done_at[id] = counter_now() | 1;
	__asm__ __volatile__("dsb sy" ::: "memory");
}

void secondary_main(uint64_t context)
{
	count((unsigned)(context & 0xff));
	psci_cpu_off();
}

int main(const void *dtb)
{
	uint64_t freq = counter_freq(), v0 = counter_now(), p0 = read_sysreg(cntpct_el0);
	unsigned n = boot_info.num_cpus, finished = 0;
	(void)dtb;

	printf("counter: %u vCPUs count to %lu each\n", n, TARGET);
	for (unsigned i = 1; i < n; i++)
		check_eq(
		    "CPU_ON",
		    (uint64_t)psci_cpu_on(boot_info.cpu_mpidr[i], entry_ipa(secondary_entry), i),
		    0);
	count(0);
	/* Wait for the others, bounded by two minutes of virtual time. */
	while (finished < n && counter_now() - v0 < 120 * freq) {
		finished = 0;
		for (unsigned i = 0; i < n; i++)
			finished += done_at[i] != 0;
	}
	for (unsigned i = 0; i < n; i++)
		check(done_at[i] != 0, "vCPU %u reached %lu after %lu ms", i, TARGET,
		      done_at[i] ? (done_at[i] - v0) / (freq / 1000) : 0);
	uint64_t dv = counter_now() - v0, dp = read_sysreg(cntpct_el0) - p0;
	check(dv * 100 >= dp * 99 && dv * 100 <= dp * 101,
	      "virtual time kept pace with physical time: %lu ms vs %lu ms", dv / (freq / 1000),
	      dp / (freq / 1000));
	test_finish();
}
