/* SPDX-License-Identifier: Apache-2.0 */
/* The ID register values guests see (sysreg.c). */
#ifndef KESTREL_ID_REGS_H
#define KESTREL_ID_REGS_H

#include <kestrel/types.h>

/* Computed once at boot, for the IPA size kestrel gives guests. */
exit_fn dabt_exit; /* abort.c */
exit_fn iabt_exit;

/* Computed once at boot, for the IPA size kestrel gives guests. */
void sysreg_init_id_values(unsigned ipa_bits);
uint64_t id_sanitize(uint32_t key, uint64_t hw, unsigned ipa_bits);

#endif
