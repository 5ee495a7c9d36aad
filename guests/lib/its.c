/* SPDX-License-Identifier: Apache-2.0 */
/* The ITS command queue (its.h). */
#include "its.h"
#include "mmio.h"
#include "sysreg.h"

static struct its_cmd *queue_base;
static unsigned queue_len; /* commands */
static unsigned writer;	   /* the next command's index */

void its_queue_init(void *queue, unsigned pages)
{
	queue_base = queue;
	queue_len = pages * 4096 / sizeof(struct its_cmd);
	writer = 0;
	mmio_write64(GITS_BASE + GITS_CBASER,
		     GITS_VALID | (uint64_t)(uintptr_t)queue | (pages - 1));
}

uint64_t its_creadr(void)
{
	return mmio_read64(GITS_BASE + GITS_CREADR);
}

bool its_send(struct its_cmd c)
{
	uint64_t deadline = counter_now() + counter_freq(), offset, r;

	queue_base[writer] = c;
	writer = (writer + 1) % queue_len;
	offset = (uint64_t)writer * sizeof(struct its_cmd);
	dsb_sy();
	mmio_write64(GITS_BASE + GITS_CWRITER, offset);
	do
		r = its_creadr();
	while (r != offset && !(r & GITS_CREADR_STALLED) && counter_now() < deadline);
	return r == offset;
}
