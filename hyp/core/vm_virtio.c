/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A VM's virtio devices: what kestrel hands the device models (hyp/vdev/virtio_*.c, virtq.c).
 * They reach the guest only through vm->vio_hooks: the checked copies and ring mappings of
 * vm_ram.c and an edge on the slot's SPI through the vGIC.
 */
#include <kestrel/guest_layout.h>
#include <kestrel/hostdisk.h>
#include <kestrel/lib.h>
#include <kestrel/shm.h>
#include <kestrel/vconsole.h>
#include <kestrel/vm.h>
#include <kestrel/vm_ram.h>
#include <kestrel/vm_virtio.h>
#include <kestrel/vswitch.h>

_Static_assert(VIRTIO_MMIO_SPI_BASE > GUEST_UART_SPI &&
		   VIRTIO_MMIO_SPI_BASE + VIRTIO_MMIO_SLOTS <= SHM_SPI_BASE,
	       "virtio SPIs clear of the UART's and the doorbells'");
_Static_assert(32 + SHM_SPI_BASE <= VGIC_NR_IRQS, "the vGIC has the virtio SPIs");
_Static_assert(VIRTIO_MMIO_BASE >= GUEST_UART_BASE + GUEST_UART_SIZE &&
		   VIRTIO_MMIO_BASE + VIRTIO_MMIO_SIZE <= SHM_DOORBELL_IPA,
	       "the window is clear of the UART and the shared regions");
_Static_assert(VSWITCH_PORTS >= VM_MAX * VM_VIRTIO_MAX, "a switch has room for every port");
_Static_assert(VSWITCH_NAME_MAX == VM_SWITCH_NAME_MAX && ETH_ALEN == VM_MAC_LEN,
	       "the switch takes the configuration's names and MACs");

/* A switch exists once a port names it; there are never more switches than ports. */
static struct vswitch switches[VM_MAX * VM_VIRTIO_MAX];
static unsigned nswitches;
static spinlock_t switches_lock;

static int hook_read(void *ctx, ipa_t src, void *dst, uint64_t size)
{
	return vm_ram_copy_from_guest(ctx, src, dst, size);
}

static int hook_write(void *ctx, ipa_t dst, const void *src, uint64_t size)
{
	return vm_ram_copy_to_guest(ctx, dst, src, size);
}

static bool hook_in_ram(void *ctx, ipa_t ipa, uint64_t size)
{
	return vm_ipa_is_ram(ctx, ipa_addr(ipa), size);
}

static int hook_dma(void *ctx, struct dma_seg *seg, unsigned n)
{
	return vm_ram_dma(ctx, seg, n);
}

static void *hook_map(void *ctx, ipa_t ipa, uint64_t size)
{
	return vm_ram_map(ctx, ipa, size);
}

static void hook_irq(void *ctx, unsigned slot)
{
	vgic_inject(ctx, NULL, 32 + VIRTIO_MMIO_SPI_BASE + slot);
}

/* Port 0's output goes into the VM's console with its UART's: labels, focus, crash watch. */
static void console_output(struct virtio_console *c, const char *buf, unsigned len)
{
	struct vm *vm = (struct vm *)(void *)((char *)c - offsetof(struct vm, vcons));

	for (unsigned i = 0; i < len; i++)
		vconsole_output(vm, buf[i]);
}

static void disk_done(void *ctx, bool ok)
{
	virtio_blk_done(ctx, ok);
}

/* A disk: the machine disk the tool attached for it, found by its serial "<vm>/<node>". */
static int build_blk(struct vm *vm, unsigned i)
{
	/* room for any name: vmconfig.c keeps a disk's to VM_DISK_SERIAL_MAX */
	char serial[VM_NAME_MAX + VM_DISK_SERIAL_MAX + 2];
	struct virtio_blk_backend be;
	struct hostdisk *d;

	snprintf(serial, sizeof(serial), "%s/%s", vm->name, vm->config.virtio[i].node);
	d = hostdisk_find(serial);
	if (!d) {
		char msg[160];
		snprintf(msg, sizeof(msg),
			 "node '%s': no machine disk with serial '%s' (./kestrel run attaches one "
			 "for each kestrel,virtio-blk node)",
			 vm->config.virtio[i].node, serial);
		kprintf(VM_REFUSED_FMT, vm->name, msg);
		return -E_NOENT;
	}
	hostdisk_backend(d, vm->config.virtio[i].read_only, &be);
	virtio_blk_init(&vm->vblk[i], &vm->vio_hooks, i, &be, serial);
	hostdisk_on_done(d, disk_done, &vm->vblk[i]);
	vm->vio.slot[i] = &vm->vblk[i].vdev;
	return E_OK;
}

static struct vswitch *switch_named(const char *name)
{
	struct vswitch *sw = NULL;

	spin_lock(&switches_lock);
	for (unsigned i = 0; i < nswitches && !sw; i++)
		if (!strcmp(switches[i].name, name))
			sw = &switches[i];
	if (!sw && nswitches < ARRAY_SIZE(switches)) {
		sw = &switches[nswitches++];
		vswitch_init(sw, name);
	}
	spin_unlock(&switches_lock);
	return sw;
}

/* First build only: the port's lock and queue must never be cleared under a sender. */
static void net_setup(struct vm *vm, unsigned slot)
{
	struct virtio_net *n = &vm->vnet[slot];
	const struct vm_virtio *cfg = &vm->config.virtio[slot];
	struct vswitch *sw;

	if (n->vdev.ops)
		return;
	virtio_net_init(n, &vm->vio_hooks, slot, cfg->mac);
	n->bridge = cfg->bridge;
	sw = switch_named(cfg->switch_name);
	/* The configuration allows no more ports than a switch or the table has room for. */
	if (!sw || vswitch_attach(sw, n) != E_OK)
		panic("%s: no room on switch '%s'", vm->name, cfg->switch_name);
}

int vm_virtio_build(struct vm *vm)
{
	vm->vio_hooks = (struct virtio_hooks){vm,	hook_read, hook_write, hook_in_ram,
					      hook_irq, hook_dma,  hook_map,   NULL};
	virtio_mmio_init(&vm->vio, VIRTIO_MMIO_BASE);
	for (unsigned i = 0; i < vm->config.nvirtio; i++) {
		if (vm->config.virtio[i].type == VM_VIRTIO_CONSOLE) {
			virtio_console_init(&vm->vcons, &vm->vio_hooks, i, console_output);
			vm->vio.slot[i] = &vm->vcons.vdev;
		} else if (vm->config.virtio[i].type == VM_VIRTIO_NET) {
			net_setup(vm, i);
			vm->vio.slot[i] = &vm->vnet[i].vdev;
		} else if (build_blk(vm, i) != E_OK) {
			return -E_NOENT;
		}
		if (vm->config.virtio[i].no_event_idx)
			vm->vio.slot[i]->features &= ~BIT(VIRTIO_F_EVENT_IDX);
	}
	return E_OK;
}

/* One line for all the VM's devices: what the notifications cost (docs/benchmarks.md). */
static void print_transport_stats(const struct vm *vm)
{
	char line[240];
	int n = 0;

	for (unsigned i = 0; i < vm->config.nvirtio && n < (int)sizeof(line); i++) {
		const struct virtio_dev *d = vm->vio.slot[i];
		if (!d)
			continue;
		n += snprintf(line + n, sizeof(line) - (size_t)n,
			      "%s%s: notifies %llu, interrupts %llu, event-idx %s", i ? "; " : "",
			      vm->config.virtio[i].node, (unsigned long long)d->notifies,
			      (unsigned long long)d->irqs,
			      d->event_idx_seen				? "on"
			      : (d->features & BIT(VIRTIO_F_EVENT_IDX)) ? "off"
									: "not offered");
	}
	if (n)
		kprintf("%s virtio: %s", vm->name, line);
}

void vm_virtio_print_stats(const struct vm *vm)
{
	for (unsigned i = 0; i < vm->config.nvirtio; i++) {
		const struct virtio_net *n = &vm->vnet[i];
		const struct vnet_stats *st = &n->stats;
		if (vm->config.virtio[i].type != VM_VIRTIO_NET || !n->sw)
			continue;
		kprintf("%s %s: switch %s, MAC %02x:%02x:%02x:%02x:%02x:%02x; tx %llu frames %llu "
			"bytes, dropped %llu, spoofed %llu; rx %llu frames %llu bytes, dropped "
			"%llu, short %llu; broken rings %llu",
			vm->name, vm->config.virtio[i].node, n->sw->name, n->mac[0], n->mac[1],
			n->mac[2], n->mac[3], n->mac[4], n->mac[5],
			(unsigned long long)st->tx_frames, (unsigned long long)st->tx_bytes,
			(unsigned long long)st->tx_dropped, (unsigned long long)st->tx_spoofed,
			(unsigned long long)st->rx_frames, (unsigned long long)st->rx_bytes,
			(unsigned long long)st->rx_dropped, (unsigned long long)st->rx_short,
			(unsigned long long)st->broken);
	}
	print_transport_stats(vm);
}

void vm_virtio_stop(struct vm *vm)
{
	/* Under each device's lock: input being delivered on another CPU finishes its copy
	   first, and none starts after (the device is not live until the guest starts it). */
	for (unsigned i = 0; i < VIRTIO_MMIO_SLOTS; i++)
		if (vm->vio.slot[i])
			virtio_mmio_dev_reset(vm->vio.slot[i]);
	/* A disk's request may still be at the machine's disk: its end must not reach the
	   device (nor the memory) of a VM being scrubbed, or rebuilt over it. */
	for (unsigned i = 0; i < vm->config.nvirtio; i++)
		if (vm->config.virtio[i].type == VM_VIRTIO_BLK && vm->vio.slot[i])
			hostdisk_quiesce(vm->vblk[i].be.ctx);
}

struct mmio_dev *vm_virtio_attach(struct vm *vm)
{
	return vm->config.nvirtio ? &vm->vio.dev : NULL;
}

bool vm_virtio_console_input(struct vm *vm, char c)
{
	if (!vm->config.nvirtio || !virtio_console_live(&vm->vcons))
		return false;
	virtio_console_receive(&vm->vcons, &c, 1);
	return true;
}
