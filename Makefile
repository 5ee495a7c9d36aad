# SPDX-License-Identifier: Apache-2.0
# kestrel: a Type-1 hypervisor for AArch64.
#   make run    build everything and boot the demo
#   make test   all tests (unit, integration in QEMU), ending with "N passed, N failed"
#   make lint   clang-format check, cppcheck, pyflakes (make test runs it too)
.DEFAULT_GOAL := all
SHELL := /bin/bash

B        := build
CACHE    := $(B)/cache
CROSS    ?= aarch64-linux-gnu-
CC_HYP   := $(CROSS)gcc
OBJCOPY  := $(CROSS)objcopy
HOSTCC   ?= gcc
VERSION  := $(shell git describe --always --dirty 2>/dev/null || echo unknown)

# Everything tools/setup.sh runs: a change to any of them redoes the set-up.
SETUP_SCRIPTS := tools/setup.sh tools/fetch-linux.sh
SETUP_STAMP := $(CACHE)/.setup-done
$(SETUP_STAMP): $(SETUP_SCRIPTS)
	@bash tools/setup.sh
	@touch $@
setup:
	@bash tools/setup.sh
	@touch $(SETUP_STAMP)

# ---------------------------------------------------------------- hypervisor
# kestrel has no libc: -nostdinc, and only the compiler's own freestanding headers (stdarg.h,
# stddef.h) through -isystem. Where they are is asked of the compiler by a rule that runs after
# set-up has installed it, into a response file read with @FILE: nothing evaluated while make
# parses may need what set-up installs (tests/build/test_makefile_parse.py checks it).
HYP_CC_INCLUDE := $(B)/hyp-cc-include.rsp
$(HYP_CC_INCLUDE): $(SETUP_STAMP)
	@mkdir -p $(dir $@)
	@echo "-isystem $$($(CC_HYP) -print-file-name=include)" > $@
# -fno-section-anchors: a static object is addressed by its own ADRP and ADD, not by an anchor
# plus an offset, an instruction less on the exit path's table lookups (sysreg.c).
HYP_CFLAGS := -std=c11 -ffreestanding -fno-builtin -nostdlib -nostdinc \
	@$(HYP_CC_INCLUDE) -g -Wall -Wextra -Werror \
	-mgeneral-regs-only -mstrict-align -mno-outline-atomics -fno-pic -fno-pie \
	-fstack-protector-strong -march=armv8-a -fno-section-anchors \
	-Ihyp/include -Ihyp/arch/aarch64/include -I$(CACHE)/libfdt -DKESTREL_VERSION=\"$(VERSION)\" -MMD -MP
# Code that runs at boot or when a VM is built, stopped or reported, never on an exit, is
# optimised for size: it is most of kestrel's text and none of its exit costs. So is the ITS
# (vgic_its.c): its commands and registers are set-up work a guest does, never on the exit
# paths kestrel's figures measure, and a VM that does not use it never runs a line of it.
HYP_OPT := -O2
HYP_COLD := hyp/config/% hyp/core/main.c hyp/core/pmu.c hyp/core/invariants.c hyp/core/vm.c hyp/core/vm_build.c \
	hyp/core/vm_images.c hyp/core/vm_passthrough.c hyp/core/vm_lifecycle.c \
	hyp/core/vconsole.c hyp/core/vm_virtio.c hyp/mm/palloc.c hyp/lib/printf.c \
	hyp/lib/image.c hyp/vdev/vgic_its.c hyp/arch/aarch64/cpu_init.c hyp/arch/aarch64/pmu.c \
	hyp/core/debug.c hyp/arch/aarch64/debug.c
$(patsubst %,$(B)/%.o,$(HYP_COLD)): HYP_OPT := -Os
HYP_ASFLAGS := -Ihyp/include -Ihyp/arch/aarch64/include -D__ASSEMBLY__ -march=armv8.1-a -MMD -MP

HYP_SRCS := $(wildcard hyp/arch/aarch64/*.S hyp/arch/aarch64/*.c hyp/core/*.c hyp/mm/*.c \
	hyp/vdev/*.c hyp/drivers/*.c hyp/config/*.c hyp/lib/*.c)
HYP_OBJS := $(patsubst %,$(B)/%.o,$(HYP_SRCS))

$(B)/hyp/%.c.o: hyp/%.c $(SETUP_STAMP) $(HYP_CC_INCLUDE)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC_HYP) $(HYP_OPT) $(HYP_CFLAGS) -c $< -o $@
$(B)/hyp/%.S.o: hyp/%.S $(SETUP_STAMP)
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	@$(CC_HYP) $(HYP_ASFLAGS) -c $< -o $@

$(B)/kestrel.elf: $(HYP_OBJS) hyp/kestrel.ld
	@echo "  LD      $@"
	@$(CC_HYP) -nostdlib -static -Wl,--gc-sections -Wl,-z,noexecstack -Wl,--no-warn-rwx-segments -Wl,--build-id=none \
		-T hyp/kestrel.ld -o $@ $(HYP_OBJS) $(CACHE)/libfdt/libfdt.a -lgcc
$(B)/kestrel.bin: $(B)/kestrel.elf
	@$(OBJCOPY) -O binary $< $@
	@echo "  IMAGE   $@ ($$(stat -c %s $@) bytes)"

-include $(HYP_OBJS:.o=.d)

# ---------------------------------------------------------------- the configuration checker
# kestrel's own parser of the host device tree, built for the host: ./kestrel runs it on the
# device tree it generates, before QEMU starts (tools/checker/kestrel-check.c). libfdt is the
# host's (libfdt-dev, installed by set-up).
CHECK := $(B)/tools/kestrel-check
# tests/unit/libc.c: what lib.h declares and the host's C library may lack (strlcpy).
CHECK_SRCS := tools/checker/kestrel-check.c hyp/config/hostdt.c hyp/config/vmconfig.c \
	tests/unit/libc.c
CHECK_CFLAGS := -std=c11 -O2 -g -Wall -Wextra -Werror -Ihyp/include -Ihyp/arch/fake/include \
	-DKESTREL_HOST_TEST
# One program from three sources: every kestrel header is a dependency (one -MMD file cannot
# hold the dependencies of several sources).
$(CHECK): $(CHECK_SRCS) $(wildcard hyp/include/kestrel/*.h hyp/arch/fake/include/arch/*.h) \
	$(SETUP_STAMP)
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	@$(HOSTCC) $(CHECK_CFLAGS) -o $@ $(CHECK_SRCS) -lfdt

include guests/guests.mk
include guests/linux/linux.mk
include tests/tests.mk
include bench/bench.mk

all: $(SETUP_STAMP) $(B)/kestrel.bin $(CHECK) guests linux-guest

# The demo: a Debian Linux VM (busybox shell) next to a bare-metal VM, on 2 CPUs.
run: all
	./kestrel run examples/linux-baremetal.dts

# Debian's Linux alone, with a busybox shell on 2 vCPUs (type 'poweroff -f' to stop it).
run-linux: all
	./kestrel run --kernel $(LINUX_BOOKWORM) --initrd $(B)/shell-initramfs.cpio.gz \
		--cmdline "console=ttyAMA0" --vcpus 2 --mem 512M

# The bare-metal demo: hypercall and MMIO round trips timed by a guest.
run-bare: all
	./kestrel run --kernel $(B)/guests/demo.bin --vcpus 2

# Python files: every *.py and the ./kestrel launcher.
PY_FILES = $$(git ls-files '*.py') kestrel

# Core code reaches the CPU's registers only through the arch interface (kestrel/arch.h): no
# system register access and no assembly of its own in these directories.
ARCH_FREE_DIRS ?= hyp/core hyp/vdev hyp/mm hyp/config hyp/lib
arch-boundary:
	@if grep -rnE '\b(read_sysreg|write_sysreg)\b|\b(__asm__|__asm|asm)\s*(volatile\s*)?\(' \
		--include='*.c' --include='*.h' $(ARCH_FREE_DIRS); then \
		echo "arch-boundary: the lines above touch the CPU outside hyp/arch (use kestrel/arch.h)"; \
		exit 1; \
	fi; echo "arch-boundary: clean"

lint: $(SETUP_STAMP) arch-boundary
	@files=$$(git ls-files '*.c' '*.h'); \
	clang-format --dry-run -Werror $$files && echo "clang-format: clean"
	@cppcheck -q --error-exitcode=1 --enable=warning,performance,portability \
		--suppress=missingIncludeSystem --inline-suppr -Ihyp/include -Ihyp/arch/aarch64/include -Itests \
		hyp guests tests/unit tests/fuzz tools/checker && echo "cppcheck: clean"
	@pyflakes3 $(PY_FILES) && echo "pyflakes: clean"

clean:
	rm -rf $(B)/hyp $(B)/kestrel.* $(B)/tools $(B)/guests $(B)/unit $(B)/test

.PHONY: all run run-linux run-bare lint arch-boundary clean setup guests test
