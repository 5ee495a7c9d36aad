/* SPDX-License-Identifier: Apache-2.0 */
/* v0-v31 from and into 64 doublewords (fp_regs.S). */
#ifndef GUEST_FP_REGS_H
#define GUEST_FP_REGS_H

#include <stdint.h>

void fp_fill(const uint64_t vals[64]);
void fp_save(uint64_t vals[64]);

#endif
