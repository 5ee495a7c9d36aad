# SPDX-License-Identifier: Apache-2.0
# The Linux guest: Debian's kernels (fetched by tools/setup.sh) and busybox initramfs images.
LINUX_BOOKWORM  := $(CACHE)/linux/bookworm/Image
LINUX_BACKPORTS := $(CACHE)/linux/backports/Image
LINUX_INITRAMFS := $(B)/test-initramfs.cpio.gz $(B)/shell-initramfs.cpio.gz \
	$(B)/life-initramfs.cpio.gz

# The test guests' /init scripts source guests/linux/init-lib.sh, which goes in /root.
INIT_LIB := guests/linux/init-lib.sh
# check-init.sh counts the guest's own cycles with perfcount (no C library: raw system calls).
PERFCOUNT := $(B)/linux/perfcount
$(PERFCOUNT): guests/linux/perfcount.c | $(SETUP_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC_HYP) -std=c11 -O2 -Wall -Wextra -Werror -ffreestanding -fno-builtin -nostdlib -static \
		-fno-stack-protector -fno-pie -no-pie -mgeneral-regs-only -o $@ $<
$(B)/test-initramfs.cpio.gz: guests/linux/check-init.sh $(INIT_LIB) $(PERFCOUNT) tools/mkinitramfs.sh \
		$(SETUP_STAMP)
	@bash tools/mkinitramfs.sh $@ $< $(INIT_LIB) $(PERFCOUNT)
$(B)/shell-initramfs.cpio.gz: guests/linux/shell-init.sh tools/mkinitramfs.sh $(SETUP_STAMP)
	@bash tools/mkinitramfs.sh $@ $<
$(B)/life-initramfs.cpio.gz: guests/linux/life-init.sh $(INIT_LIB) tools/mkinitramfs.sh $(SETUP_STAMP)
	@bash tools/mkinitramfs.sh $@ $< $(INIT_LIB)

# The disk guest: the bookworm kernel's virtio-mmio, virtio-blk and ext4 modules (extracted by
# tools/fetch-linux.sh, with modules.load saying their order) in /root of the initramfs, and the
# ext4 image it mounts from /dev/vda. See docs/linux-guest.md.
LINUX_DISK_MODULES := $(CACHE)/linux/bookworm/modules
LINUX_DISK_INITRAMFS := $(B)/disk-initramfs.cpio.gz
LINUX_DISK_IMAGE := $(B)/disk.img

$(LINUX_DISK_MODULES)/modules.load: | $(SETUP_STAMP)
	@bash tools/fetch-linux.sh
$(LINUX_DISK_INITRAMFS): guests/linux/disk-init.sh $(INIT_LIB) tools/mkinitramfs.sh $(SETUP_STAMP) \
		$(LINUX_DISK_MODULES)/modules.load
	@bash tools/mkinitramfs.sh $@ $< $(INIT_LIB) $(LINUX_DISK_MODULES)/modules.load \
		$$(sed 's|^|$(LINUX_DISK_MODULES)/|' $(LINUX_DISK_MODULES)/modules.load)
$(LINUX_DISK_IMAGE): tools/mkdisk.sh $(SETUP_STAMP)
	@bash tools/mkdisk.sh $@

# The hvc0 guest: the bookworm kernel's virtio-mmio and virtio-console modules in /root, and a
# shell on /dev/hvc0 (kestrel's virtio-console).
LINUX_HVC_INITRAMFS := $(B)/hvc-initramfs.cpio.gz
# (a module cache from before virtio_console was one of fetch-linux.sh's modules is brought up
# to date)
$(LINUX_DISK_MODULES)/virtio_console.ko: | $(SETUP_STAMP)
	@bash tools/fetch-linux.sh
$(LINUX_HVC_INITRAMFS): guests/linux/hvc-init.sh $(INIT_LIB) tools/mkinitramfs.sh $(SETUP_STAMP) \
		$(LINUX_DISK_MODULES)/virtio_console.ko
	@bash tools/mkinitramfs.sh $@ $< $(INIT_LIB) $(LINUX_DISK_MODULES)/virtio_mmio.ko \
		$(LINUX_DISK_MODULES)/virtio_console.ko

# The virtio-blk guest: the disk guest's modules, and a script that writes to kestrel's
# virtio-blk (/dev/vda) and checks a read-only one (/dev/vdb). Its images are made by the cases.
LINUX_BLK_INITRAMFS := $(B)/blk-initramfs.cpio.gz
$(LINUX_BLK_INITRAMFS): guests/linux/blk-init.sh $(INIT_LIB) tools/mkinitramfs.sh $(SETUP_STAMP) \
		$(LINUX_DISK_MODULES)/modules.load
	@bash tools/mkinitramfs.sh $@ $< $(INIT_LIB) $(LINUX_DISK_MODULES)/modules.load \
		$$(sed 's|^|$(LINUX_DISK_MODULES)/|' $(LINUX_DISK_MODULES)/modules.load)

# The network guest: the bookworm kernel's virtio-mmio and virtio-net modules (with failover and
# net_failover, which virtio_net needs) in /root; it pings its peer and swaps files with it.
LINUX_NET_INITRAMFS := $(B)/net-initramfs.cpio.gz
$(LINUX_DISK_MODULES)/virtio_net.ko: | $(SETUP_STAMP)
	@bash tools/fetch-linux.sh
$(LINUX_NET_INITRAMFS): guests/linux/net-init.sh $(INIT_LIB) tools/mkinitramfs.sh $(SETUP_STAMP) \
		$(LINUX_DISK_MODULES)/virtio_net.ko
	@bash tools/mkinitramfs.sh $@ $< $(INIT_LIB) $(LINUX_DISK_MODULES)/virtio_mmio.ko \
		$(LINUX_DISK_MODULES)/failover.ko $(LINUX_DISK_MODULES)/net_failover.ko \
		$(LINUX_DISK_MODULES)/virtio_net.ko

# The router case: the network guest's modules and Linux's bridge (with llc and stp, which it
# needs); one /init that bridges the machine's NIC to a kestrel switch or fetches through it.
LINUX_ROUTER_INITRAMFS := $(B)/router-initramfs.cpio.gz
$(LINUX_DISK_MODULES)/bridge.ko: | $(SETUP_STAMP)
	@bash tools/fetch-linux.sh
$(LINUX_ROUTER_INITRAMFS): guests/linux/router-init.sh $(INIT_LIB) tools/mkinitramfs.sh \
		$(SETUP_STAMP) $(LINUX_DISK_MODULES)/virtio_net.ko $(LINUX_DISK_MODULES)/bridge.ko
	@bash tools/mkinitramfs.sh $@ $< $(INIT_LIB) $(LINUX_DISK_MODULES)/virtio_mmio.ko \
		$(LINUX_DISK_MODULES)/failover.ko $(LINUX_DISK_MODULES)/net_failover.ko \
		$(LINUX_DISK_MODULES)/virtio_net.ko $(LINUX_DISK_MODULES)/llc.ko \
		$(LINUX_DISK_MODULES)/stp.ko $(LINUX_DISK_MODULES)/bridge.ko

linux-guest: $(LINUX_INITRAMFS) $(LINUX_DISK_INITRAMFS) $(LINUX_DISK_IMAGE) $(LINUX_HVC_INITRAMFS) \
	$(LINUX_BLK_INITRAMFS) $(LINUX_NET_INITRAMFS) $(LINUX_ROUTER_INITRAMFS)
.PHONY: linux-guest
