# SPDX-License-Identifier: Apache-2.0
# Bare-metal test guests, included by the top-level Makefile.
# Each guest is guests/<name>.c (plus guests/<name>_*.S if it needs assembly of its own)
# linked with the runtime in guests/lib/ into an arm64 Image: $(B)/guests/<name>.bin.

GUEST_NAMES := hello smccc mmio sysreg abort fpsimd sve wfi reset vgic shm counter crash demo entry virtio \
	virtio_blk vnet mte its pmu debug
GUEST_NAMES += hostile/victim hostile/probe hostile/sysreg_fuzz hostile/hvc_fuzz hostile/mmio_fuzz \
	hostile/storm hostile/timers hostile/spoof hostile/doorbell hostile/resetloop hostile/race \
	hostile/virtio_rings hostile/its

GUEST_B := $(B)/guests

# -mstrict-align: the MMU is off, so all data accesses are Device accesses and must be
# aligned. -mgeneral-regs-only: the runtime and the tests never touch FP/SIMD state, which
# lets the fpsimd guest check that kestrel preserves it across exits.
GUEST_CFLAGS := -std=c11 -ffreestanding -fno-builtin -nostdlib -O2 -g -Wall -Wextra -Werror \
	-mstrict-align -mgeneral-regs-only -mno-outline-atomics -march=armv8-a \
	-fno-pic -fno-pie -fno-stack-protector -fno-tree-loop-distribute-patterns \
	-Iguests/lib -MMD -MP
# The MTE guest's instructions and tag registers need the assembler to know FEAT_MTE2.
$(GUEST_B)/mte.c.o: GUEST_CFLAGS += -march=armv8.5-a+memtag

# hyp/arch/aarch64/include: the assembler macros the guests share with kestrel (arch/sve_asm.inc).
GUEST_ASFLAGS := -march=armv8-a -Iguests/lib -Ihyp/arch/aarch64/include -D__ASSEMBLY__ -MMD -MP
GUEST_LDFLAGS := -nostdlib -static -no-pie -Wl,--gc-sections -Wl,-z,noexecstack \
	-Wl,--no-warn-rwx-segments -Wl,--build-id=none -T guests/lib/guest.ld

GUEST_LIB_SRCS := $(wildcard guests/lib/*.c guests/lib/*.S)
GUEST_LIB_OBJS := $(patsubst guests/%,$(GUEST_B)/%.o,$(GUEST_LIB_SRCS))

$(GUEST_B)/%.c.o: guests/%.c | $(SETUP_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC_HYP) $(GUEST_CFLAGS) -c $< -o $@
$(GUEST_B)/%.S.o: guests/%.S | $(SETUP_STAMP)
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	@$(CC_HYP) $(GUEST_ASFLAGS) -c $< -o $@

# guest_rule(name): the ELF from the guest's own sources and the runtime, then the Image.
define guest_rule
$(1)_GUEST_OBJS := $(patsubst guests/%,$(GUEST_B)/%.o,guests/$(1).c $(wildcard guests/$(1)_*.S))
$(GUEST_B)/$(1).elf: $$($(1)_GUEST_OBJS) $(GUEST_LIB_OBJS) guests/lib/guest.ld
	@echo "  LD      $$@"
	@$(CC_HYP) $(GUEST_LDFLAGS) -o $$@ $$($(1)_GUEST_OBJS) $(GUEST_LIB_OBJS)
endef
$(foreach g,$(GUEST_NAMES),$(eval $(call guest_rule,$(g))))

# The prober again, linked for a VM whose RAM is at IPA 0x80000000 (memory-base): the
# isolation-vmid-reuse case runs it where another VM's RAM is not.
$(GUEST_B)/hostile/probe-80000000.elf: $(hostile/probe_GUEST_OBJS) $(GUEST_LIB_OBJS) guests/lib/guest.ld
	@echo "  LD      $@"
	@$(CC_HYP) $(GUEST_LDFLAGS) -Wl,--defsym=GUEST_LOAD=0x80080000 -o $@ \
		$(hostile/probe_GUEST_OBJS) $(GUEST_LIB_OBJS)

$(GUEST_B)/%.bin: $(GUEST_B)/%.elf
	@$(OBJCOPY) -O binary $< $@

# hello with the magic of its Image header zeroed: no longer an arm64 Image, it is loaded raw
# at RAM base + 0x80000 (where it is linked to run) and entered at its first byte, the
# header's branch (case config-kernel-headerless).
$(GUEST_B)/hello-raw.bin: $(GUEST_B)/hello.bin
	@echo "  RAW     $@"
	@cp $< $@.tmp
	@printf '\0\0\0\0' | dd of=$@.tmp bs=1 seek=56 conv=notrunc status=none
	@mv $@.tmp $@

guests: $(GUEST_NAMES:%=$(GUEST_B)/%.bin) $(GUEST_B)/hostile/probe-80000000.bin $(GUEST_B)/hello-raw.bin

-include $(wildcard $(GUEST_B)/*.d $(GUEST_B)/lib/*.d $(GUEST_B)/hostile/*.d)
