/* SPDX-License-Identifier: Apache-2.0 */
/*
 * abort: accesses to IPAs that are neither RAM nor a device. kestrel must turn each into a
 * synchronous external abort for the guest (DFSC/IFSC 0x10, FAR = the address) instead of
 * stopping the VM, and the guest must be able to carry on.
 */
#include "boot_info.h"
#include "check.h"
#include "exception.h"
#include "printf.h"
#include "runtime.h"

/* Single instructions, so that resuming at ELR + 4 skips exactly the faulting access. */
static void load_from(uint64_t addr)
{
	uint64_t val;
	__asm__ __volatile__("ldr %0, [%1]" : "=r"(val) : "r"(addr) : "memory");
	(void)val;
}

static void store_to(uint64_t addr)
{
	__asm__ __volatile__("str xzr, [%0]" : : "r"(addr) : "memory");
}

static unsigned aborts;

static void check_data_abort(uint64_t addr, bool store)
{
	const char *what = store ? "store to" : "load from";

	exception_expect(0);
	if (store)
		store_to(addr);
	else
		load_from(addr);
	unsigned taken = exception_expect_end();
	aborts += taken;

	if (!check(taken == 1, "%s 0x%lx: took %u exception(s), expected exactly 1", what, addr,
		   taken))
		return;
	uint64_t esr = last_exception.esr;
	check(ESR_EC(esr) == EC_DABT_CUR && ESR_FSC(esr) == FSC_SYNC_EXTERNAL &&
		  !!(esr & ESR_DABT_WNR) == store && last_exception.far == addr,
	      "%s 0x%lx: ESR_EL1 0x%lx (EC 0x%x, DFSC 0x%x, WnR %u), FAR_EL1 0x%lx", what, addr,
	      esr, (unsigned)ESR_EC(esr), (unsigned)ESR_FSC(esr), !!(esr & ESR_DABT_WNR),
	      last_exception.far);
}

static void check_fetch_abort(uint64_t addr)
{
	exception_fetch_from(addr);
	unsigned taken = exception_expect_end();
	aborts += taken;

	if (!check(taken == 1, "fetch from 0x%lx: took %u exception(s), expected exactly 1", addr,
		   taken))
		return;
	uint64_t esr = last_exception.esr;
	check(ESR_EC(esr) == EC_IABT_CUR && ESR_FSC(esr) == FSC_SYNC_EXTERNAL &&
		  last_exception.far == addr && last_exception.elr == addr,
	      "fetch from 0x%lx: ESR_EL1 0x%lx (EC 0x%x, IFSC 0x%x), FAR_EL1 0x%lx, ELR_EL1 0x%lx",
	      addr, esr, (unsigned)ESR_EC(esr), (unsigned)ESR_FSC(esr), last_exception.far,
	      last_exception.elr);
}

int main(const void *dtb)
{
	(void)dtb;
	uint64_t ram_end = boot_info.mem_base + boot_info.mem_size;
	const uint64_t holes[] = {
	    0x0, 0x20000000, ram_end, ram_end + 0x1000, 0x0000ff0000000000,
	};

	check(boot_info.mem_size != 0, "RAM ends at 0x%lx", ram_end);
	for (unsigned i = 0; i < sizeof(holes) / sizeof(holes[0]); i++) {
		check_data_abort(holes[i], false);
		check_data_abort(holes[i], true);
	}
	check_fetch_abort(0x20000000);

	printf("abort: took %u aborts\n", aborts);
	unsigned expected = 2 * sizeof(holes) / sizeof(holes[0]) + 1;
	check(aborts == expected, "took %u aborts, expected %u", aborts, expected);
	test_finish();
}
