/* SPDX-License-Identifier: Apache-2.0 */
/* PSCI for guests (psci.c). */
#ifndef KESTREL_PSCI_H
#define KESTREL_PSCI_H

#include <kestrel/smccc.h>

/* A PSCI call: its result goes to the caller's x0 (calls that do not return never set it). */
exit_result psci_call(struct vcpu *vcpu, struct smccc_args *a, uint32_t fid);
int64_t psci_features(uint32_t fid);

#endif
