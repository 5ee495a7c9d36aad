/* SPDX-License-Identifier: Apache-2.0 */
/* Pointer authentication's key registers on the host: a key file per fake CPU (fake_arch.h). */
#include <string.h>

#include <arch/fake_arch.h>
#include <kestrel/pac.h>

void pac_restore(const struct vcpu *vcpu)
{
	memcpy(fake_cpu()->pac_keys, vcpu->pac_keys, sizeof(vcpu->pac_keys));
}

void pac_save(struct vcpu *vcpu)
{
	memcpy(vcpu->pac_keys, fake_cpu()->pac_keys, sizeof(vcpu->pac_keys));
}
