/* SPDX-License-Identifier: Apache-2.0 */
/* The MMIO router: a sorted table per VM, searched in O(log n) on every emulated access. */
#include <kestrel/mmio.h>

struct mmio_dev *mmio_find(struct mmio_dev *const *devs, unsigned n, ipaddr_t ipa)
{
	unsigned lo = 0, hi = n;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		const struct mmio_dev *d = devs[mid];
		if (ipa < d->base)
			hi = mid;
		else if (ipa - d->base >= d->size)
			lo = mid + 1;
		else
			return devs[mid];
	}
	return NULL;
}

int mmio_insert(struct mmio_dev **devs, unsigned *n, unsigned max, struct mmio_dev *dev)
{
	unsigned pos = 0;

	if (*n == max || !dev->size || dev->base + dev->size < dev->base)
		return -E_NOMEM;
	while (pos < *n && devs[pos]->base < dev->base)
		pos++;
	if (pos > 0 && devs[pos - 1]->base + devs[pos - 1]->size > dev->base)
		return -E_EXIST;
	if (pos < *n && dev->base + dev->size > devs[pos]->base)
		return -E_EXIST;
	for (unsigned i = *n; i > pos; i--)
		devs[i] = devs[i - 1];
	devs[pos] = dev;
	(*n)++;
	return E_OK;
}
