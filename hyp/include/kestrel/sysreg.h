/* SPDX-License-Identifier: Apache-2.0 */
/* Guests' system register accesses, and the ID register values they see (sysreg.c). */
#ifndef KESTREL_SYSREG_H
#define KESTREL_SYSREG_H

#include <kestrel/exit_result.h>

/* Computed once at boot, for the IPA size kestrel gives guests. */
void sysreg_init_id_values(unsigned ipa_bits);
uint64_t sysreg_id_sanitize(uint32_t key, uint64_t hw, unsigned ipa_bits);
/* A trapped system register access. */
exit_fn sysreg_exit;

#endif
