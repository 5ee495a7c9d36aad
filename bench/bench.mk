# SPDX-License-Identifier: Apache-2.0
# Benchmarks, included by the top-level Makefile. Not part of `make test`.
#   make bench             exit costs and the world switch in instructions (QEMU -icount),
#                          Linux boot time, virtual I/O against bare QEMU, footprint
#                          -> build/bench/results.csv, exits.png and .svg; see docs/benchmarks.md
#   make bench-breakdown   where each figure's instructions go, per function (an instruction
#                          trace) -> build/bench/breakdown.md
#
# The benchmark guest is bench/benchguest.c + bench/bench_asm.S linked with the guests' runtime
# (guests/lib), whose sources are compiled again here into build/bench/lib so that nothing
# under build/guests is shared with the test guests' rules.

BENCH_B := $(B)/bench

BENCH_CFLAGS := -std=c11 -ffreestanding -fno-builtin -nostdlib -O2 -g -Wall -Wextra -Werror \
	-mstrict-align -mgeneral-regs-only -mno-outline-atomics -march=armv8-a \
	-fno-pic -fno-pie -fno-stack-protector -fno-tree-loop-distribute-patterns \
	-Iguests/lib -MMD -MP
BENCH_ASFLAGS := -march=armv8-a -Iguests/lib -Ihyp/arch/aarch64/include -D__ASSEMBLY__ -MMD -MP
BENCH_LDFLAGS := -nostdlib -static -no-pie -Wl,--gc-sections -Wl,-z,noexecstack \
	-Wl,--no-warn-rwx-segments -Wl,--build-id=none -T guests/lib/guest.ld

BENCH_LIB_SRCS := $(wildcard guests/lib/*.c guests/lib/*.S)
BENCH_OBJS := $(BENCH_B)/benchguest.c.o $(BENCH_B)/bench_asm.S.o \
	$(patsubst guests/lib/%,$(BENCH_B)/lib/%.o,$(BENCH_LIB_SRCS))

$(BENCH_B)/%.c.o: bench/%.c | $(SETUP_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC_HYP) $(BENCH_CFLAGS) -c $< -o $@
$(BENCH_B)/%.S.o: bench/%.S | $(SETUP_STAMP)
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	@$(CC_HYP) $(BENCH_ASFLAGS) -c $< -o $@
$(BENCH_B)/lib/%.c.o: guests/lib/%.c | $(SETUP_STAMP)
	@mkdir -p $(dir $@)
	@$(CC_HYP) $(BENCH_CFLAGS) -c $< -o $@
$(BENCH_B)/lib/%.S.o: guests/lib/%.S | $(SETUP_STAMP)
	@mkdir -p $(dir $@)
	@$(CC_HYP) $(BENCH_ASFLAGS) -c $< -o $@

$(BENCH_B)/benchguest.elf: $(BENCH_OBJS) guests/lib/guest.ld
	@echo "  LD      $@"
	@$(CC_HYP) $(BENCH_LDFLAGS) -o $@ $(BENCH_OBJS)
$(BENCH_B)/benchguest.bin: $(BENCH_B)/benchguest.elf
	@$(OBJCOPY) -O binary $< $@

# The Linux boot measurement's initramfs: /init prints a marker and the uptime, powers off.
$(BENCH_B)/boot-initramfs.cpio.gz: bench/boot-init.sh tools/mkinitramfs.sh $(SETUP_STAMP)
	@mkdir -p $(dir $@)
	@bash tools/mkinitramfs.sh $@ $<

# The I/O measurement's initramfs: /init writes and reads a virtio disk, or serves or fetches a
# file over a virtio-net port (bench/io-init.sh), with the kernel's own virtio modules.
BENCH_IO_MODULES := $(addprefix $(LINUX_DISK_MODULES)/,virtio_mmio.ko virtio_blk.ko failover.ko \
	net_failover.ko virtio_net.ko)
$(BENCH_B)/io-initramfs.cpio.gz: bench/io-init.sh $(INIT_LIB) tools/mkinitramfs.sh $(SETUP_STAMP) \
		$(LINUX_DISK_MODULES)/virtio_net.ko
	@mkdir -p $(dir $@)
	@bash tools/mkinitramfs.sh $@ $< $(INIT_LIB) $(BENCH_IO_MODULES)

# gnuplot draws the chart. It is only needed here, so it is installed here (quietly), not by
# tools/setup.sh; without it bench/run.py still writes the table and the CSV.
bench-gnuplot:
	@command -v gnuplot >/dev/null 2>&1 || { \
		as_root() { if [ "$$(id -u)" -eq 0 ]; then "$$@"; else sudo -n "$$@"; fi; }; \
		echo "  APT     gnuplot-nox (for the chart)"; \
		inst() { as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends gnuplot-nox >/dev/null 2>&1; }; \
		inst || { as_root apt-get update -qq >/dev/null 2>&1; inst; } || \
		echo "bench: could not install gnuplot-nox: no chart this time"; }

BENCH_INPUTS := $(BENCH_B)/benchguest.bin $(BENCH_B)/boot-initramfs.cpio.gz \
	$(BENCH_B)/io-initramfs.cpio.gz

bench-build: $(BENCH_INPUTS)

bench: all $(BENCH_INPUTS) bench-gnuplot
	python3 bench/run.py

bench-breakdown: all $(BENCH_B)/benchguest.bin
	python3 bench/breakdown.py

-include $(wildcard $(BENCH_B)/*.d $(BENCH_B)/lib/*.d)

.PHONY: bench bench-breakdown bench-build bench-gnuplot
