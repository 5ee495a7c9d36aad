/* SPDX-License-Identifier: Apache-2.0 */
/*
 * demo: what `make run-bare` boots. Two vCPUs say who they are, then the boot vCPU measures what
 * a trip through kestrel costs: a hypercall and a trapped device register read.
 */
#include "boot_info.h"
#include "mmio.h"
#include "pl011.h"
#include "printf.h"
#include "runtime.h"
#include "smccc.h"
#include "sysreg.h"

#define ROUNDS	 1000
#define VCPU1	 1ul
#define WAIT_SEC 10

static volatile uint64_t vcpu1_done;

static void say_who(const char *who)
{
	uint64_t mpidr = read_sysreg(mpidr_el1);

	printf("  %s: MPIDR_EL1 = 0x%lx, running at EL%lu\n", who, mpidr,
	       field(read_sysreg(currentel), 2, 2));
}

void secondary_main(uint64_t context)
{
	(void)context;
	say_who("vCPU 1 (started with PSCI CPU_ON)");
	dsb_sy();
	vcpu1_done = 1;
	dsb_sy();
	psci_cpu_off();
}

static void start_second_vcpu(void)
{
	if (boot_info.num_cpus < 2) {
		printf("  (only one vCPU: run with --vcpus 2 to see a second one start)\n");
		return;
	}
	int64_t ret = psci_cpu_on(boot_info.cpu_mpidr[1], entry_ipa(secondary_entry), VCPU1);
	if (ret != PSCI_SUCCESS) {
		printf("  CPU_ON of vCPU 1 failed: %ld\n", ret);
		return;
	}
	/* Wait for its line before printing more, so the two never share the UART. */
	uint64_t deadline = counter_now() + WAIT_SEC * counter_freq();
	while (!vcpu1_done && counter_now() < deadline)
		;
	if (!vcpu1_done)
		printf("  vCPU 1 did not report within %d s\n", WAIT_SEC);
}

static void report(const char *what, uint64_t ticks, uint64_t freq)
{
	uint64_t avg = ticks / ROUNDS;

	printf("  %s: %lu ticks = %lu ns each, on average\n", what, avg, avg * 1000000000ul / freq);
}

int main(const void *dtb)
{
	uint64_t freq = counter_freq();
	(void)dtb;

	printf("\nkestrel demo guest\n");
	printf("A bare-metal guest at EL1 on the kestrel hypervisor. It starts a second vCPU\n");
	printf("with PSCI, then times %d hypercalls and %d trapped UART register reads.\n\n",
	       ROUNDS, ROUNDS);
	printf("memory 0x%lx-0x%lx, %u vCPU(s), bootargs \"%s\"\n", boot_info.mem_base,
	       boot_info.mem_base + boot_info.mem_size - 1, boot_info.num_cpus, boot_info.bootargs);

	say_who("vCPU 0 (boot)");
	start_second_vcpu();

	printf("\ntiming with CNTVCT_EL0 at %lu Hz:\n", freq);
	uint64_t start = counter_now();
	for (int i = 0; i < ROUNDS; i++)
		(void)smccc_call(SMCCC_VERSION, 0, 0, 0, NULL);
	report("hypercall (hvc SMCCC_VERSION)", counter_now() - start, freq);

	start = counter_now();
	for (int i = 0; i < ROUNDS; i++)
		(void)mmio_read32(boot_info.uart_base + PL011_FR);
	report("UART FR read (trapped MMIO)", counter_now() - start, freq);

	printf("\ndemo done, powering off with PSCI SYSTEM_OFF\n");
	psci_system_off();
}
