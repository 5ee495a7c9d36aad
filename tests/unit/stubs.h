/* SPDX-License-Identifier: Apache-2.0 */
/* Host stand-ins for kestrel's runtime (tests/unit/stubs.c): a silent console and hyp. */
#ifndef KESTREL_TEST_STUBS_H
#define KESTREL_TEST_STUBS_H

#endif
