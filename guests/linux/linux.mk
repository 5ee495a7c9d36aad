# The Linux guest: Debian's kernels (fetched by tools/setup.sh) and busybox initramfs images.
LINUX_BOOKWORM  := $(CACHE)/linux/bookworm/Image
LINUX_BACKPORTS := $(CACHE)/linux/backports/Image
LINUX_INITRAMFS := $(B)/test-initramfs.cpio.gz $(B)/shell-initramfs.cpio.gz

$(B)/test-initramfs.cpio.gz: guests/linux/check-init.sh tools/mkinitramfs.sh $(SETUP_STAMP)
	@bash tools/mkinitramfs.sh $@ $<
$(B)/shell-initramfs.cpio.gz: guests/linux/shell-init.sh tools/mkinitramfs.sh $(SETUP_STAMP)
	@bash tools/mkinitramfs.sh $@ $<

linux-guest: $(LINUX_INITRAMFS)
.PHONY: linux-guest
