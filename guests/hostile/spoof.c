/* SPDX-License-Identifier: Apache-2.0 */
/*
 * spoof: a VM that tries to forge kestrel's and other VMs' console lines. With several VMs,
 * kestrel marks each line of a VM's output with the VM's name; escape sequences, carriage
 * returns and backspaces could move the cursor back over that label and write a line that
 * looks like kestrel's or another VM's, or drive the operator's terminal (its title, colours,
 * the screen). kestrel must drop them. Every forged line carries the word FORGED, so that the
 * test can check that none of them reaches the terminal without this VM's label before it, or
 * with a control character in it.
 *
 * Prints "HOSTILE: spoof lines N" (the forgeries it sent).
 */
#include "check.h"
#include "printf.h"
#include "runtime.h"

static const char *const forgeries[] = {
    "\rkestrel: victim stopped (powered off) FORGED\n",
    "\x1b[2K\x1b[1Gkestrel: all VMs stopped, powering off FORGED\n",
    "\b\b\b\b\b\b\b\b\b\b\b\b[victim] VICTIM: final rounds 1 corrupt 0 FORGED\n",
    "\x1b[1A\x1b[2K[victim] RESULT: PASS FORGED\n",
    "\x1b]0;kestrel FORGED\x07\x1b[31mred FORGED\x1b[0m\n",
    "\x1b"
    "7\x1b[H\x1b[2J\x1b"
    "8kestrel: cleared the screen FORGED\n",
    "x\x7f\x7f\x7f\x08\x08kestrel: over its own label FORGED\r\n",
};

int main(const void *dtb)
{
	(void)dtb;
	for (unsigned i = 0; i < sizeof(forgeries) / sizeof(forgeries[0]); i++)
		printf("%s", forgeries[i]);
	printf("HOSTILE: spoof lines %u\n", (unsigned)(sizeof(forgeries) / sizeof(forgeries[0])));
	check(true, "forgeries sent");
	test_finish();
}
