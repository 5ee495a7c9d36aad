/* SPDX-License-Identifier: Apache-2.0 */
/* The SVE registers and ZCR_EL1 (sve_regs.S), for guests that enabled SVE (CPACR_EL1.ZEN). */
#ifndef GUEST_SVE_REGS_H
#define GUEST_SVE_REGS_H

#include <stdint.h>

#define SVE_VL_MAX    256u	  /* bytes: 2048 bits, the architecture's longest */
#define CPACR_EL1_ZEN (3ul << 16) /* SVE at EL1 and EL0 untrapped */

/* Z0-Z31 from z (32 vectors of sve_rdvl() bytes), P0-P15 then FFR from p (17 predicates of
   a vector's eighth each); FFR must be monotonic (its first bits set, the rest clear). */
void sve_fill(const uint8_t *z, const uint8_t *p);
/* The same registers into z and p. */
void sve_dump(uint8_t *z, uint8_t *p);
/* The vector length in bytes. */
uint64_t sve_rdvl(void);
uint64_t sve_zcr_read(void);
void sve_zcr_write(uint64_t zcr);

#endif
