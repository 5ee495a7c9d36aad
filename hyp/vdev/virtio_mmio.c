/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The virtio-mmio transport, version 2 (virtio 1.2 §4.2), in QEMU virt's window: 32 slots of
 * 0x200 bytes, one emulated device for all of them. A slot without a device reads as QEMU's
 * empty slots do (magic, version 2, device ID 0, QEMU's vendor ID, the rest zero) and ignores
 * writes. A slot with one has the registers of §4.2.2 and the device's configuration space at
 * 0x100; each device has its own lock, taken for every access.
 */
#include <kestrel/lib.h>
#include <kestrel/virtio_mmio.h>

static uint32_t empty_slot_reg(uint64_t off)
{
	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		return VIRTIO_MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION:
		return VIRTIO_MMIO_VERSION_2;
	case VIRTIO_MMIO_VENDOR_ID:
		return VIRTIO_VENDOR_QEMU;
	default:
		return 0;
	}
}

bool virtio_mmio_dev_live(const struct virtio_dev *dev)
{
	return (dev->status & VIRTIO_STATUS_DRIVER_OK) &&
	       !(dev->status & (VIRTIO_STATUS_NEEDS_RESET | VIRTIO_STATUS_FAILED));
}

static void raise(struct virtio_dev *dev, uint32_t why)
{
	dev->int_status |= why;
	dev->irqs++;
	if (dev->hooks->irq)
		dev->hooks->irq(dev->hooks->ctx, dev->slot);
}

void virtio_mmio_dev_broken(struct virtio_dev *dev)
{
	if (dev->status & VIRTIO_STATUS_NEEDS_RESET)
		return;
	dev->status |= VIRTIO_STATUS_NEEDS_RESET;
	raise(dev, VIRTIO_INT_CONFIG);
}

void virtio_mmio_dev_used(struct virtio_dev *dev, unsigned q)
{
	if (virtq_wants_irq(&dev->vq[q], dev->hooks))
		raise(dev, VIRTIO_INT_USED);
}

void virtio_mmio_dev_more(struct virtio_dev *dev, unsigned q)
{
	dev->more |= BIT(q);
	raise(dev, VIRTIO_INT_USED);
}

static void reset(struct virtio_dev *dev)
{
	dev->status = 0;
	dev->dev_features_sel = dev->drv_features_sel = 0;
	dev->drv_features = 0;
	dev->queue_sel = 0;
	dev->int_status = 0;
	dev->more = 0;
	memset(dev->vq, 0, sizeof(dev->vq));
	dev->generation++;
	if (dev->ops->reset)
		dev->ops->reset(dev);
}

void virtio_mmio_dev_init(struct virtio_dev *dev, const struct virtio_dev_ops *ops,
			  const struct virtio_hooks *hooks, unsigned slot)
{
	memset(dev, 0, sizeof(*dev));
	dev->ops = ops;
	dev->hooks = hooks;
	dev->slot = slot;
	dev->features = ops->features;
	reset(dev);
}

void virtio_mmio_dev_reset(struct virtio_dev *dev)
{
	spin_lock(&dev->lock);
	reset(dev);
	spin_unlock(&dev->lock);
}

/* The selected queue, or NULL if the device has no such queue. */
static struct virtq *selected(struct virtio_dev *dev)
{
	return dev->queue_sel < dev->ops->nqueues && dev->queue_sel < VIRTQ_QUEUES_MAX
		   ? &dev->vq[dev->queue_sel]
		   : NULL;
}

/* QueueNumMax: the device's own, else the default. */
static unsigned queue_max(const struct virtio_dev *dev)
{
	return dev->ops->queue_max ? dev->ops->queue_max : VIRTQ_NUM_DEFAULT;
}

static uint32_t half(uint64_t v, uint32_t sel)
{
	return sel == 0 ? (uint32_t)v : sel == 1 ? (uint32_t)(v >> 32) : 0;
}

static uint32_t dev_reg(struct virtio_dev *dev, uint64_t off)
{
	struct virtq *q = selected(dev);

	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		return VIRTIO_MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION:
		return VIRTIO_MMIO_VERSION_2;
	case VIRTIO_MMIO_DEVICE_ID:
		return dev->ops->device_id;
	case VIRTIO_MMIO_VENDOR_ID:
		return VIRTIO_VENDOR_KESTREL;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		return half(dev->features, dev->dev_features_sel);
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		return q ? queue_max(dev) : 0;
	case VIRTIO_MMIO_QUEUE_READY:
		return q ? q->ready : 0;
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		if (dev->ops->interrupt_check && virtio_mmio_dev_live(dev))
			dev->ops->interrupt_check(dev);
		return dev->int_status;
	case VIRTIO_MMIO_STATUS:
		return dev->status;
	case VIRTIO_MMIO_SHM_LEN_LOW: /* no shared memory regions: length -1 */
	case VIRTIO_MMIO_SHM_LEN_HIGH:
	case VIRTIO_MMIO_SHM_BASE_LOW:
	case VIRTIO_MMIO_SHM_BASE_HIGH:
		return 0xffffffffu;
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return dev->config_generation;
	default:
		return 0; /* write-only and reserved registers, QueueReset (done at once) */
	}
}

/* FEATURES_OK is kept only for features the device offered, VIRTIO_F_VERSION_1 among them. */
static bool features_ok(const struct virtio_dev *dev)
{
	return !(dev->drv_features & ~dev->features) &&
	       (dev->drv_features & BIT(VIRTIO_F_VERSION_1));
}

static void write_status(struct virtio_dev *dev, uint32_t val)
{
	uint32_t old = dev->status;

	if (!val) {
		reset(dev);
		return;
	}
	/* The driver never clears a bit but by a reset, and never sets NEEDS_RESET. */
	val = (val & 0xff & ~VIRTIO_STATUS_NEEDS_RESET) | old;
	if ((val & VIRTIO_STATUS_FEATURES_OK) && !(old & VIRTIO_STATUS_FEATURES_OK) &&
	    !features_ok(dev))
		val &= ~VIRTIO_STATUS_FEATURES_OK;
	/* DRIVER_OK without FEATURES_OK is a driver bug: the device is not started. */
	if ((val & VIRTIO_STATUS_DRIVER_OK) && !(val & VIRTIO_STATUS_FEATURES_OK))
		val &= ~VIRTIO_STATUS_DRIVER_OK;
	dev->status = val;
	/* Started: buffers posted before DRIVER_OK are looked at now. */
	if (!(old & VIRTIO_STATUS_DRIVER_OK) && virtio_mmio_dev_live(dev))
		for (unsigned i = 0; i < dev->ops->nqueues && virtio_mmio_dev_live(dev); i++)
			if (dev->vq[i].ready)
				dev->ops->notify(dev, i);
}

static void set_half(ipa_t *a, uint32_t val, bool high)
{
	uint64_t v = ipa_addr(*a);

	*a =
	    ipa_init(high ? (v & 0xffffffffull) | (uint64_t)val << 32 : (v & ~0xffffffffull) | val);
}

static void write_queue(struct virtio_dev *dev, struct virtq *q, uint64_t off, uint32_t val)
{
	if (!q)
		return;
	if (off == VIRTIO_MMIO_QUEUE_RESET) {
		if (val == 1 && (dev->drv_features & BIT(VIRTIO_F_RING_RESET))) {
			memset(q, 0, sizeof(*q));
			dev->generation++;
		}
		return;
	}
	if (off == VIRTIO_MMIO_QUEUE_READY && !val) {
		q->ready = false;
		dev->generation++;
		return;
	}
	if (q->ready) /* a live queue's layout does not change under kestrel */
		return;
	switch (off) {
	case VIRTIO_MMIO_QUEUE_NUM:
		q->num = val <= queue_max(dev) ? (uint16_t)val : 0; /* checked when made ready */
		break;
	case VIRTIO_MMIO_QUEUE_READY:
		if (!virtq_map(q, dev->hooks)) {
			virtio_mmio_dev_broken(dev);
			break;
		}
		q->last_avail = q->used_idx = 0;
		q->signalled_valid = q->avail_event_set = false;
		q->event_idx = (dev->drv_features & BIT(VIRTIO_F_EVENT_IDX)) != 0;
		dev->event_idx_seen |= q->event_idx;
		q->ready = true;
		break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		set_half(&q->desc, val, off == VIRTIO_MMIO_QUEUE_DESC_HIGH);
		break;
	case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
	case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
		set_half(&q->avail, val, off == VIRTIO_MMIO_QUEUE_DRIVER_HIGH);
		break;
	case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
	case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
		set_half(&q->used, val, off == VIRTIO_MMIO_QUEUE_DEVICE_HIGH);
		break;
	default:
		break;
	}
}

static void dev_write(struct virtio_dev *dev, uint64_t off, uint32_t val)
{
	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
		dev->dev_features_sel = val;
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		/* Features are fixed once FEATURES_OK is set. */
		if (!(dev->status & VIRTIO_STATUS_FEATURES_OK) && dev->drv_features_sel < 2) {
			unsigned shift = 32 * dev->drv_features_sel;
			dev->drv_features = (dev->drv_features & ~(0xffffffffull << shift)) |
					    (uint64_t)val << shift;
		}
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
		dev->drv_features_sel = val;
		break;
	case VIRTIO_MMIO_QUEUE_SEL:
		dev->queue_sel = val;
		break;
	case VIRTIO_MMIO_QUEUE_NOTIFY:
		/* One exit: the device does its work for the queue now, bounded by its budget. */
		dev->notifies++;
		if (val < dev->ops->nqueues && val < VIRTQ_QUEUES_MAX && dev->vq[val].ready &&
		    virtio_mmio_dev_live(dev))
			dev->ops->notify(dev, val);
		break;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		dev->int_status &= ~val;
		/* Work a notify's bound left over goes on, as if notified again. */
		for (unsigned i = 0; i < dev->ops->nqueues && i < VIRTQ_QUEUES_MAX; i++)
			if ((dev->more & BIT(i)) && virtio_mmio_dev_live(dev)) {
				dev->more &= ~BIT(i);
				if (dev->vq[i].ready)
					dev->ops->notify(dev, i);
			}
		break;
	case VIRTIO_MMIO_STATUS:
		write_status(dev, val);
		break;
	default:
		write_queue(dev, selected(dev), off, val);
		break;
	}
}

/* The configuration space, little-endian, zero past its end. */
static uint64_t config_read(struct virtio_dev *dev, uint64_t off, unsigned width)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < width; i++)
		if (off + i < dev->ops->config_size && dev->ops->config_read)
			v |= (uint64_t)dev->ops->config_read(dev, (unsigned)(off + i)) << (8 * i);
	return v;
}

/* The slot an access at off falls in: false for a misaligned one (an abort); else its device
   (NULL: an empty slot) and the register's offset in the slot. */
static bool window_slot(struct mmio_dev *mdev, uint64_t off, unsigned width,
			struct virtio_dev **dev, uint64_t *reg)
{
	struct virtio_mmio *w = (struct virtio_mmio *)mdev;
	uint64_t slot = off / VIRTIO_MMIO_SLOT_SIZE;

	if (!IS_ALIGNED(off, width) || slot >= VIRTIO_MMIO_SLOTS)
		return false;
	*dev = w->slot[slot];
	*reg = off % VIRTIO_MMIO_SLOT_SIZE;
	return true;
}

static bool window_read(struct mmio_dev *mdev, struct vcpu *vcpu, uint64_t off, unsigned width,
			uint64_t *val)
{
	struct virtio_dev *dev;
	uint64_t reg;

	(void)vcpu;
	if (!window_slot(mdev, off, width, &dev, &reg))
		return false;
	*val = 0;
	if (reg >= VIRTIO_MMIO_CONFIG) {
		if (dev) {
			spin_lock(&dev->lock);
			*val = config_read(dev, reg - VIRTIO_MMIO_CONFIG, width);
			spin_unlock(&dev->lock);
		}
		return true;
	}
	/* The registers are 32 bits wide: other accesses read zero, as in QEMU. */
	if (width != 4)
		return true;
	if (!dev) {
		*val = empty_slot_reg(reg);
		return true;
	}
	spin_lock(&dev->lock);
	*val = dev_reg(dev, reg);
	spin_unlock(&dev->lock);
	return true;
}

static bool window_write(struct mmio_dev *mdev, struct vcpu *vcpu, uint64_t off, unsigned width,
			 uint64_t val)
{
	struct virtio_dev *dev;
	uint64_t reg;

	(void)vcpu;
	if (!window_slot(mdev, off, width, &dev, &reg))
		return false;
	/* Empty slots, the read-only configuration space and odd widths ignore writes. */
	if (!dev || reg >= VIRTIO_MMIO_CONFIG || width != 4)
		return true;
	spin_lock(&dev->lock);
	dev_write(dev, reg, (uint32_t)val);
	spin_unlock(&dev->lock);
	if (dev->ops->after_write)
		dev->ops->after_write(dev);
	return true;
}

static const struct mmio_ops window_ops = {window_read, window_write};

void virtio_mmio_init(struct virtio_mmio *w, ipaddr_t base)
{
	memset(w, 0, sizeof(*w));
	w->dev.base = base;
	w->dev.size = VIRTIO_MMIO_SIZE;
	w->dev.name = "virtio-mmio";
	w->dev.ops = &window_ops;
}
