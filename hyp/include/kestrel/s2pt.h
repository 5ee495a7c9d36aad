/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A VM's stage-2 table: guest IPAs to host PAs. The table code itself (pgtable.c) serves
 * both stages and takes plain numbers; this is the only way core code maps guest memory, and
 * it takes typed addresses, so an IPA given where a PA belongs, or the reverse, is a compile
 * error rather than a guest that sees the wrong memory.
 */
#ifndef KESTREL_S2PT_H
#define KESTREL_S2PT_H

#include <kestrel/addr.h>
#include <kestrel/pgtable.h>

static inline MUST_CHECK int s2pt_map(struct pgtable *s2, ipa_t ipa, pa_t pa, uint64_t size,
				      unsigned perms)
{
	return pgtable_map(s2, ipa_addr(ipa), pa_addr(pa), size, perms);
}

static inline int s2pt_unmap(struct pgtable *s2, ipa_t ipa, uint64_t size)
{
	return pgtable_unmap(s2, ipa_addr(ipa), size);
}

static inline MUST_CHECK int s2pt_prealloc(struct pgtable *s2, ipa_t ipa, uint64_t size,
					   uint64_t leaf_size)
{
	return pgtable_prealloc(s2, ipa_addr(ipa), size, leaf_size);
}

#endif
