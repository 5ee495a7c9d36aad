/* SPDX-License-Identifier: Apache-2.0 */
/* WFI and WFE from guests (wfx.c). */
#ifndef KESTREL_WFX_H
#define KESTREL_WFX_H

#include <kestrel/exit_result.h>

exit_fn wfx_exit;

#endif
