/* SPDX-License-Identifier: Apache-2.0 */
/* The debug registers on the host: a register file per fake CPU (fake_arch.h). */
#include <string.h>

#include <arch/fake_arch.h>
#include <kestrel/debug.h>

void debug_restore(const struct vcpu *vcpu)
{
	struct fake_cpu *c = fake_cpu();

	c->dbg = vcpu->dbg;
	c->debug_vectors = true;
}

void debug_save(struct vcpu *vcpu)
{
	struct fake_cpu *c = fake_cpu();

	vcpu->dbg.mdscr = c->dbg.mdscr;
	vcpu->dbg.claim = c->dbg.claim;
	vcpu->dbg.mdccint = c->dbg.mdccint;
	memcpy(vcpu->dbg.bvr, c->dbg.bvr, sizeof(c->dbg.bvr));
	memcpy(vcpu->dbg.bcr, c->dbg.bcr, sizeof(c->dbg.bcr));
	memcpy(vcpu->dbg.wvr, c->dbg.wvr, sizeof(c->dbg.wvr));
	memcpy(vcpu->dbg.wcr, c->dbg.wcr, sizeof(c->dbg.wcr));
	c->dbg.mdscr = 0;
	c->debug_vectors = false;
}

void debug_set_traps(const struct vcpu *vcpu)
{
	fake_cpu()->mdcr = vcpu->mdcr;
}
