/* SPDX-License-Identifier: Apache-2.0 */
/* What the vGIC model is given of the scheduler (vgic_hooks.c). */
#ifndef KESTREL_VGIC_HOOKS_H
#define KESTREL_VGIC_HOOKS_H

#include <kestrel/vm.h>

extern const struct vgic_hooks vm_vgic_hooks;

#endif
