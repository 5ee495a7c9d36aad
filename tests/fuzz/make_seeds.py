#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the seed corpora in tests/fuzz/corpus/NAME/ (checked in; run this only to remake them).

Each harness's input format is described at the top of tests/fuzz/fuzz_NAME.c; the helpers
below spell the same formats. The host DTB seeds start from QEMU's own virt machine tree
(qemu-system-aarch64 and dtc are needed for those; the other corpora need neither):

  python3 tests/fuzz/make_seeds.py            all corpora
  python3 tests/fuzz/make_seeds.py vgic_mmio  one
"""
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

TOP = Path(__file__).resolve().parent.parent.parent
CORPUS = TOP / "tests" / "fuzz" / "corpus"
MAX_SEED = 64 * 1024

u8 = lambda v: struct.pack("<B", v & 0xff)
u16 = lambda v: struct.pack("<H", v & 0xffff)
u32 = lambda v: struct.pack("<I", v & 0xffffffff)
u64 = lambda v: struct.pack("<Q", v & 0xffffffffffffffff)


def with_event_idx(seeds, names, at, bit):
    """Each named seed again as "event-idx-NAME", its first queue start negotiating
    VIRTIO_F_EVENT_IDX: the harness reads that from one bit of the start's bytes (at: which
    byte of the seed)."""
    return {**seeds, **{f"event-idx-{n}": seeds[n][:at] + bytes([seeds[n][at] | bit]) + seeds[n][at + 1:]
                        for n in names}}


def write(name, seeds):
    out = CORPUS / name
    out.mkdir(parents=True, exist_ok=True)
    for old in out.iterdir():
        old.unlink()
    for seed_name, data in seeds.items():
        assert len(data) < MAX_SEED, f"{name}/{seed_name} is {len(data)} bytes"
        (out / seed_name).write_bytes(data)
    print(f"{name}: {len(seeds)} seeds")


# ------------------------------------------------------------------ hostdt

VM_NODES = """
/ {
	chosen {
		vm0 {
			compatible = "kestrel,vm";
			#address-cells = <2>;
			#size-cells = <2>;
			memory = <0x0 0x10000000>;
			cpus = <2>;
			module@49000000 {
				compatible = "multiboot,kernel", "multiboot,module";
				reg = <0x0 0x49000000 0x0 0x2000>;
				bootargs = "console=ttyAMA0 earlycon";
			};
			module@4b000000 {
				compatible = "multiboot,ramdisk", "multiboot,module";
				reg = <0x0 0x4b000000 0x0 0x100000>;
			};
		};
	};
};
"""

TWO_VMS = """
/ {
	chosen {
		linux {
			compatible = "kestrel,vm";
			#address-cells = <2>;
			#size-cells = <2>;
			memory = <0x20000000>;
			cpus = <2>;
			cpu-affinity = <1 0>;
			on-poweroff = "restart";
			on-reset = "stop";
			on-crash = "restart";
			console = "off";
			module@49000000 {
				compatible = "multiboot,kernel", "multiboot,module";
				reg = <0x0 0x49000000 0x0 0x200000>;
				bootargs = "console=ttyAMA0 root=/dev/ram0 quiet";
			};
		};
		bare {
			compatible = "kestrel,vm";
			#address-cells = <1>;
			#size-cells = <1>;
			memory = <0x0 0x1000000>;
			module@4a000000 {
				compatible = "multiboot,kernel", "multiboot,module";
				reg = <0x4a000000 0x1000>;
			};
		};
		refused-memory {
			compatible = "kestrel,vm";
			memory = <0x1234567>;
			module@4a000000 {
				compatible = "multiboot,kernel";
				reg = <0x0 0x4a000000 0x0 0x1000>;
			};
		};
		linux {
		};
	};
	reserved-memory {
		#address-cells = <2>;
		#size-cells = <2>;
		ranges;
		fw@7f000000 {
			reg = <0x0 0x7f000000 0x0 0x100000>;
			no-map;
		};
	};
};
"""

GUEST_LOADER = """
/ {
	chosen {
		#address-cells = <2>;
		#size-cells = <2>;
		module@49000000 {
			compatible = "multiboot,kernel", "multiboot,module";
			reg = <0x0 0x49000000 0x0 0x10000>;
			bootargs = "console=ttyAMA0";
		};
		module@4a000000 {
			compatible = "multiboot,ramdisk", "multiboot,module";
			reg = <0x0 0x4a000000 0x0 0x1000>;
		};
	};
};
"""

SHM_PASSTHROUGH = """
/ {
	chosen {
		a {
			compatible = "kestrel,vm";
			#address-cells = <2>;
			#size-cells = <2>;
			memory = <0x0 0x1000000>;
			passthrough = "/pl061@9030000", "/virtio_mmio@a000000";
			module@49000000 {
				compatible = "multiboot,kernel";
				reg = <0x0 0x49000000 0x0 0x1000>;
			};
		};
		b {
			compatible = "kestrel,vm";
			#address-cells = <2>;
			#size-cells = <2>;
			memory = <0x0 0x1000000>;
			direct-map;
			memory-base = <0x0 0x60000000>;
			passthrough = "/pl031@9010000";
			module@4a000000 {
				compatible = "multiboot,kernel";
				reg = <0x0 0x4a000000 0x0 0x1000>;
				bootargs = "shm";
			};
		};
		c {
			compatible = "kestrel,vm";
			#address-cells = <2>;
			#size-cells = <2>;
			memory-base = <0x0 0x80000000>;
			passthrough = "/pl011@9000000";
			module@4a000000 {
				compatible = "multiboot,kernel";
				reg = <0x0 0x4a000000 0x0 0x1000>;
			};
		};
		ring {
			compatible = "kestrel,shared-memory";
			size = <0x10000>;
			vms = "a", "b";
		};
		big {
			compatible = "kestrel,shared-memory";
			size = <0x0 0x200000>;
			vms = "b", "a", "b";
		};
		lonely {
			compatible = "kestrel,shared-memory";
			size = <0x1000>;
			vms = "a";
		};
	};
};
"""

# What isolation refuses: two VMs' devices in one page (virtio-mmio transports go eight to a
# page), a device in a RAM bank kestrel does not use, many reservations; and one VM's two devices
# in one page, which it may have.
ISOLATION = """
/ {
	memory@100000000 {
		device_type = "memory";
		reg = <0x1 0x0 0x0 0x10000000>;
	};
	dev@100001000 {
		compatible = "vendor,device";
		reg = <0x1 0x1000 0x0 0x1000>;
		interrupts = <0 20 4>;
	};
	reserved-memory {
		#address-cells = <2>;
		#size-cells = <2>;
		ranges;
		fw@7f000000 {
			reg = <0x0 0x7f000000 0x0 0x1000>, <0x0 0x7f010000 0x0 0x1000>,
			      <0x0 0x7f020000 0x0 0x1000>, <0x0 0x7f030000 0x0 0x1000>;
			no-map;
		};
	};
	chosen {
		a {
			compatible = "kestrel,vm";
			#address-cells = <2>;
			#size-cells = <2>;
			memory = <0x0 0x1000000>;
			passthrough = "/virtio_mmio@a000000", "/virtio_mmio@a000200";
			module@49000000 {
				compatible = "multiboot,kernel";
				reg = <0x0 0x49000000 0x0 0x1000>;
			};
		};
		b {
			compatible = "kestrel,vm";
			#address-cells = <2>;
			#size-cells = <2>;
			memory = <0x0 0x1000000>;
			passthrough = "/virtio_mmio@a000400";
			module@4a000000 {
				compatible = "multiboot,kernel";
				reg = <0x0 0x4a000000 0x0 0x1000>;
			};
		};
		c {
			compatible = "kestrel,vm";
			#address-cells = <2>;
			#size-cells = <2>;
			memory = <0x0 0x1000000>;
			passthrough = "/dev@100001000";
			module@4a000000 {
				compatible = "multiboot,kernel";
				reg = <0x0 0x4a000000 0x0 0x1000>;
			};
		};
	};
};
"""

# A small tree of its own (no QEMU needed), with a memory reservation, several banks and odd
# cell sizes, an SMC PSCI node found by its older compatible, and a VM with 1-cell memory.
MINIMAL = """
/dts-v1/;
/memreserve/ 0x48000000 0x10000;
/ {
	#address-cells = <2>;
	#size-cells = <2>;
	compatible = "linux,dummy-virt";
	psci { compatible = "arm,psci"; method = "smc"; };
	memory@40000000 { device_type = "memory"; reg = <0x0 0x40000000 0x0 0x8000000>,
		<0x1 0x0 0x0 0x40000000>; };
	memory@0 { device_type = "memory"; reg = <0x0 0x0 0x0 0x0>; };
	cpus {
		#address-cells = <2>;
		#size-cells = <0>;
		cpu@0 { device_type = "cpu"; reg = <0x0 0x0>; };
		cpu@100 { device_type = "cpu"; reg = <0x0 0x100>; };
		cpu@bad { device_type = "cpu"; };
	};
	intc@8000000 {
		compatible = "arm,gic-v3";
		reg = <0x0 0x8000000 0x0 0x10000>, <0x0 0x80a0000 0x0 0xf60000>;
		interrupts = <1 9 4>;
	};
	uart@9000000 {
		compatible = "arm,pl011", "arm,primecell";
		reg = <0x0 0x9000000 0x0 0x1000>;
		interrupts = <0 1 4>;
	};
	timer { compatible = "arm,armv8-timer"; interrupts = <1 13 4 1 14 4 1 11 4 1 10 4>; };
	chosen {
		stdout-path = "/uart@9000000:115200n8";
		vm {
			compatible = "kestrel,vm";
			#address-cells = <2>;
			#size-cells = <2>;
			memory = <0x1000000>;
			cpus = <1>;
			module@41000000 {
				compatible = "multiboot,kernel";
				reg = <0x0 0x41000000 0x0 0x1000>;
				bootargs = "";
			};
		};
	};
};
"""


class RawFdt:
    """A flattened tree written by hand, for layouts dtc never makes: the structure block last
    (after the strings), possibly cut right after a property whose value has no NUL."""

    def __init__(self):
        self.struct, self.strings, self.names = b"", b"", {}

    def begin(self, name):
        b = name.encode() + b"\0"
        self.struct += struct.pack(">I", 1) + b + bytes(-len(b) % 4)

    def end(self):
        self.struct += struct.pack(">I", 2)

    def prop(self, name, value, pad=True, length=None):
        """length: what the header says, if not the value's own length."""
        if name not in self.names:
            self.names[name] = len(self.strings)
            self.strings += name.encode() + b"\0"
        size = len(value) if length is None else length
        self.struct += struct.pack(">III", 3, size, self.names[name]) + value
        if pad:
            self.struct += bytes(-len(value) % 4)

    def blob(self, finish=True, misalign=0):
        body = self.struct + (struct.pack(">I", 9) if finish else b"")
        strings_off = 40 + 16
        struct_off = strings_off + len(self.strings) + (-len(self.strings) % 4) + misalign
        header = struct.pack(">10I", 0xd00dfeed, struct_off + len(body), struct_off, strings_off,
                             40, 17, 16, 0, len(self.strings), len(body))
        return (header + bytes(16) + self.strings + bytes(struct_off - strings_off -
                                                          len(self.strings)) + body)


def cells(*values):
    return b"".join(struct.pack(">I", v) for v in values)


def raw_platform(f):
    """A complete machine for hostdt_parse: PSCI, memory, one CPU, a GICv3."""
    f.begin("")
    f.prop("#address-cells", cells(2))
    f.prop("#size-cells", cells(2))
    f.begin("psci")
    f.prop("compatible", b"arm,psci-0.2\0")
    f.prop("method", b"smc\0")
    f.end()
    f.begin("memory@40000000")
    f.prop("device_type", b"memory\0")
    f.prop("reg", cells(0, 0x40000000, 0, 0x80000000))
    f.end()
    f.begin("cpus")
    f.prop("#address-cells", cells(1))
    f.prop("#size-cells", cells(0))
    f.begin("cpu@0")
    f.prop("device_type", b"cpu\0")
    f.prop("reg", cells(0))
    f.end()
    f.end()
    f.begin("intc@8000000")
    f.prop("compatible", b"arm,gic-v3\0")
    f.prop("reg", cells(0, 0x8000000, 0, 0x10000, 0, 0x80a0000, 0, 0xf60000))
    f.end()


def unterminated(what):
    """Found by fuzzing: the blob ends inside a string property that has no NUL."""
    f = RawFdt()
    if what == "device_type":
        f.begin("")
        f.prop("#address-cells", cells(2))
        f.prop("#size-cells", cells(2))
        f.begin("memory@40000000")
        f.prop("reg", cells(0, 0x40000000, 0, 0x40000000))
        f.prop("device_type", b"memory", pad=False)
    elif what == "stdout-path":
        f.begin("")
        f.begin("chosen")
        f.prop("stdout-path", b"/pl011@9000000", pad=False)
    else:
        raw_platform(f)
        f.begin("chosen")
        f.begin("vm")
        f.prop("compatible", b"kestrel,vm\0")
        f.prop("#address-cells", cells(2))
        f.prop("#size-cells", cells(2))
        f.begin("module@49000000")
        f.prop("compatible", b"multiboot,kernel\0")
        f.prop("reg", cells(0, 0x49000000, 0, 0x1000))
        f.prop("bootargs", b"console=ttyAMA0", pad=False)
    return f.blob(finish=False)


def unaligned():
    """Found by fuzzing: libfdt takes a structure block at any offset; cells read through
    fdt32_t pointers were then misaligned."""
    f = RawFdt()
    raw_platform(f)
    f.end()
    f.end()
    return f.blob(misalign=2)


def negative_length():
    """Found by fuzzing: libfdt 1.6.1 passes a property whose length reads as -2 (0xfffffffe:
    the next tag still lands after its header), and a passed-through node was copied into the
    guest DTB with it: a memcpy of (size_t)-2 bytes."""
    f = RawFdt()
    raw_platform(f)
    f.begin("dev@a000000")
    f.prop("compatible", b"virtio,mmio\0")
    f.prop("reg", cells(0, 0xa000000, 0, 0x200))
    f.prop("broken", b"", length=0xfffffffe)
    f.prop("interrupts", cells(0, 16, 1))
    f.end()
    f.begin("chosen")
    f.begin("vm")
    f.prop("compatible", b"kestrel,vm\0")
    f.prop("#address-cells", cells(2))
    f.prop("#size-cells", cells(2))
    f.prop("passthrough", b"/dev@a000000\0")
    f.begin("module@49000000")
    f.prop("compatible", b"multiboot,kernel\0")
    f.prop("reg", cells(0, 0x49000000, 0, 0x1000))
    f.end()
    f.end()
    f.end()
    f.end()
    return f.blob()


def dtc(source):
    return subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-"], input=source.encode(),
                          capture_output=True, check=True).stdout


def qemu_virt_dts():
    with tempfile.TemporaryDirectory() as tmp:
        dtb = Path(tmp) / "virt.dtb"
        subprocess.run(["qemu-system-aarch64", "-machine",
                        f"virt,virtualization=on,gic-version=3,dumpdtb={dtb}", "-cpu", "max",
                        "-smp", "2", "-m", "2G", "-nic", "none"], capture_output=True, check=True)
        dts = subprocess.run(["dtc", "-q", "-I", "dtb", "-O", "dts", str(dtb)],
                             capture_output=True, check=True).stdout.decode()
    # The random seeds would make every run differ.
    return "\n".join(line for line in dts.splitlines()
                     if "rng-seed" not in line and "kaslr-seed" not in line) + "\n"


def hostdt():
    virt = qemu_virt_dts()
    no_gic = virt.replace('"arm,gic-v3"', '"arm,cortex-a15-gic"')
    hvc = virt.replace('method = "smc"', 'method = "hvc"')
    return {
        "qemu-virt-vm": dtc(virt + VM_NODES),
        "qemu-virt-two-vms": dtc(virt + TWO_VMS),
        "qemu-virt-guest-loader": dtc(virt + GUEST_LOADER),
        "qemu-virt-shm-passthrough": dtc(virt + SHM_PASSTHROUGH),
        # Found by fuzzing: a region size that wrapped the placement of the next region.
        "qemu-virt-shm-size-wraps": dtc(virt + SHM_PASSTHROUGH.replace(
            "size = <0x10000>;", "size = <0xffffffff 0xf0001000>;")),
        "qemu-virt-isolation": dtc(virt + ISOLATION),
        "qemu-virt-no-vm": dtc(virt),
        "qemu-virt-gicv2": dtc(no_gic + VM_NODES),
        "qemu-virt-psci-hvc": dtc(hvc + VM_NODES),
        "minimal": dtc(MINIMAL),
        "qemu-virt-bootargs-bytes": dtc(virt + VM_NODES.replace(
            'bootargs = "console=ttyAMA0 earlycon";', "bootargs = [41 42 43];")),
        "unaligned-structure-block": unaligned(),
        "passthrough-negative-length": negative_length(),
        "unterminated-device-type": unterminated("device_type"),
        "unterminated-stdout-path": unterminated("stdout-path"),
        "unterminated-bootargs": unterminated("bootargs"),
    }


# ------------------------------------------------------------------ guest_dtb

def gdtb(flags, vcpus, ram_base, ram_size, initrd_start, initrd_size, sel, bootargs, shm=(),
         passthrough=()):
    """shm: (id, spi, ipa, size) tuples (flag bit 2); passthrough: host node picks (bit 3)."""
    out = (u8(flags | (4 if shm else 0) | (8 if passthrough else 0)) + u8(vcpus) + u64(ram_base) +
           u64(ram_size) + u64(initrd_start) + u64(initrd_size) + u32(sel))
    if shm:
        out += u8(len(shm) - 1) + b"".join(u8(i) + u8(s) + u64(a) + u64(n) for i, s, a, n in shm)
    if passthrough:
        out += u8(len(passthrough) - 1) + b"".join(u8(n) for n in passthrough)
    return out + bootargs


def guest_dtb():
    return {
        "linux-2cpu-initrd": gdtb(0, 2, 0x40000000, 0x10000000, 0x4fc00000, 0x100000, 0,
                                  b"console=ttyAMA0 earlycon root=/dev/ram0"),
        "8cpu-no-bootargs": gdtb(1, 8, 0x40000000, 0x40000000, 0, 0, 1000, b""),
        "1cpu-long-bootargs": gdtb(0, 1, 0x40000000, 0x1000000, 0, 0, 0xffffffff,
                                   b"x=" + b"0123456789abcdef" * 200),
        "0cpu-refused": gdtb(2, 0, 0, 0, 0, 0, 7, b"a"),
        "9cpu-refused": gdtb(0, 9, 0x40000000, 0x1000000, 0, 0, 0, b"a"),
        "shm-and-passthrough": gdtb(0, 2, 0x40000000, 0x1000000, 0, 0, 300, b"shm",
                                    shm=((0, 56, 0x10000000, 0x10000),
                                         (1, 57, 0x10200000, 0x200000)),
                                    passthrough=(4, 3)),
        "many-passthrough-small-buffer": gdtb(0, 8, 0x80000000, 0x80000000, 0, 0, 9000, b"",
                                              shm=tuple((i, 56 + i, 0x10000000 + i * 0x200000,
                                                         0x1000) for i in range(8)),
                                              passthrough=(0, 1, 2, 0)),
        "huge-size": gdtb(2, 3, 0xffffffffffffffff, 0xffffffffffffffff, 0xfffffffffffff000,
                          0x2000, 0x1234, b"quiet\0after the NUL"),
    }


# ------------------------------------------------------------------ image

def arm64_image(text_offset, image_size, flags, body=64):
    header = (u32(0x91005a4d) + u32(0x14000000) + u64(text_offset) + u64(image_size) +
              u64(flags) + u64(0) + u64(0) + u64(0) + b"ARM\x64" + u32(0x40))
    return header + bytes(range(256)) * (body // 256) + bytes(body % 256)


def image():
    return {
        "linux-4k": arm64_image(0, 0x1000000, 0xa, 4096),
        "linux-text-offset": arm64_image(0x80000, 0x200000, 0x2, 256),
        "old-kernel-no-size": arm64_image(0, 0, 0, 512),
        "big-endian": arm64_image(0, 0x100000, 0x1, 64),
        "misaligned-offset": arm64_image(0x801, 0x100000, 0x2, 64),
        "smaller-than-file": arm64_image(0, 0x10, 0x2, 1024),
        "raw-binary": bytes([0x00, 0x00, 0x80, 0xd2, 0x02, 0x00, 0x00, 0xd4]) * 16,
        "tiny": b"\x1f\x20\x03\xd5",
    }


# ------------------------------------------------------------------ esr

def esr_value(ec, iss, il=1):
    return (ec << 26) | (il << 25) | iss


def dabt_iss(isv=1, sas=2, sse=0, srt=0, sf=0, wnr=0, s1ptw=0, dfsc=0x07):
    return (isv << 24) | (sas << 22) | (sse << 21) | (srt << 16) | (sf << 15) | (s1ptw << 7) | (
        wnr << 6) | dfsc


def sysreg_iss(op0, op1, crn, crm, op2, rt, read):
    return (op0 << 20) | (op2 << 17) | (op1 << 14) | (crn << 10) | (rt << 5) | (crm << 1) | read


def rec(esr, hpfar=0, far=0):
    return u64(esr) + u64(hpfar) + u64(far)


def esr():
    uart = 0x09000000
    return {
        "str-w1-uart": rec(esr_value(0x24, dabt_iss(srt=1, wnr=1)), (uart >> 12) << 4, uart),
        "ldrsb-x30-sign": rec(esr_value(0x24, dabt_iss(sas=0, sse=1, srt=30, sf=1)),
                              (0x080a0000 >> 12) << 4, 0x080a0011),
        "ldr-x-xzr": rec(esr_value(0x24, dabt_iss(sas=3, srt=31, sf=1)), 0xfffffffffffffff0,
                         0xffffffffffffffff),
        "no-isv-s1ptw": rec(esr_value(0x24, dabt_iss(isv=0))) + rec(
            esr_value(0x24, dabt_iss(s1ptw=1))),
        "mrs-id-aa64pfr0": rec(esr_value(0x18, sysreg_iss(3, 0, 0, 4, 0, 2, 1))),
        "msr-sctlr-and-classes": b"".join(
            rec(esr_value(ec, sysreg_iss(3, 0, 1, 0, 0, 5, 0))) for ec in
            (0x18, 0x16, 0x17, 0x01, 0x07, 0x20, 0x3f, 0x00)),
    }


# ------------------------------------------------------------------ mmio_vpl011

DR, RSR, FR, ILPR, IBRD, FBRD, LCR_H, CR, IFLS, IMSC, RIS, MIS, ICR, DMACR = range(14)
ID0 = 14
W1, W2, W4, W8 = range(4)


def reg(index, sub=0):
    return u8(0x80 | index | (sub << 5))


def rd(index, width=W4, sub=0):
    return u8(0 | (width << 3)) + reg(index, sub)


def wr(index, value, width=W4, sub=0):
    return u8(2 | (width << 3)) + reg(index, sub) + u64(value)


def rx(c):
    return u8(4) + u8(c)


def queue(data):
    out = b""
    for i in range(0, len(data), 32):
        chunk = data[i:i + 32]
        out += u8(5 | ((len(chunk) - 1) << 3)) + chunk
    return out


def polled(which):  # 0 FR, 1 RIS, 2 DR, 3 MIS
    return u8(6 | (which << 3))


def mmio_vpl011():
    probe = b"".join(rd(ID0 + i) for i in range(8))
    linux_init = (probe + wr(CR, 0) + wr(IBRD, 13) + wr(FBRD, 1) + wr(LCR_H, 0x70) +
                  wr(IFLS, 0x12) + wr(ICR, 0x7ff) + wr(IMSC, 0x50) + wr(CR, 0x301) +
                  b"".join(wr(DR, c) for c in b"Linux\n") + rd(FR) + rd(MIS))
    typing = (wr(IMSC, 0x50) + queue(b"ls -l\n") + rx(ord("x")) + polled(3) +
              b"".join(polled(2) for _ in range(9)) + polled(0) + polled(1) + wr(ICR, 0x50) +
              rd(MIS))
    overflow = (b"".join(rx(i) for i in range(70)) + queue(bytes(range(100))) +
                b"".join(polled(2) for _ in range(80)) + rd(FR))
    widths = (rd(CR, W1) + rd(CR, W2) + rd(CR, W8) + rd(CR, W1, sub=1) + rd(IBRD, W2, sub=2) +
              wr(IBRD, 0xffffffffffffffff, W2) + rd(IBRD, W2) + wr(DR, 0x141, W1) +
              rd(FR, W2, sub=1) + u8(0 | (W4 << 3)) + u16(0x0ffc) + u8(2 | (W1 << 3)) +
              u16(0x0fff) + u8(0x55))
    return {"linux-init": linux_init, "typing": typing, "fifo-overflow": overflow,
            "widths": widths}


# ------------------------------------------------------------------ vgic_mmio

(D_CTLR, D_IGROUPR, D_ISENABLER, D_ICENABLER, D_ISPENDR, D_ICPENDR, D_ISACTIVER, D_ICACTIVER,
 D_IPRIORITYR, D_ICFGR, D_IROUTER, D_PIDR, D_RAW) = range(13)
(R_RD, R_PIDR, R_IGROUPR, R_ISENABLER, R_ICENABLER, R_ISPENDR, R_ICPENDR, R_ISACTIVER,
 R_ICACTIVER, R_IPRIORITYR, R_ICFGR, R_SGI, R_RAW) = range(13)


def vgic_header(vcpus, lrs=4, online=0xff, other_vcpus=2, seed=0x5a):
    return u8((vcpus - 1) | (lrs << 2)) + u8(online) + u8(other_vcpus - 1) + u8(seed)


def gicd(region, off, value=None, width=W4, vcpu=0, unaligned=False):
    op = 0 | (width << 3) | ((value is not None) << 5) | (unaligned << 6)
    out = u8(op) + u8(vcpu) + u8(region) + u16(off)
    return out + (u64(value) if value is not None else b"")


def gicr(frame, region, off, value=None, width=W4, vcpu=0):
    op = 2 | (width << 3) | ((value is not None) << 5)
    out = u8(op) + u8(vcpu) + u8(frame) + u8(region) + u16(off)
    return out + (u64(value) if value is not None else b"")


def inject(intid, vcpu=None):
    return u8(4) + u8(0x80 if vcpu is None else vcpu) + u8(intid)


def line(intid, level):
    return u8(5 | (level << 3)) + u8(intid)


def sgi(sender, intid, targets=0, broadcast=False, aff1=0):
    v = targets | (aff1 << 16) | (intid << 24) | (broadcast << 40)
    return u8(6) + u8(sender) + u64(v)


def inject_hw(vcpu, ppi):
    return u8(7) + u8(vcpu) + u8(ppi - 16)


def inject_hw_spi(intid):
    return u8(7 | 8) + u8(intid)


def vgic_mmio():
    dist_init = (gicd(D_CTLR, 0) + gicd(D_CTLR, 4) + gicd(D_CTLR, 8) + gicd(D_PIDR, 0x18) +
                 gicd(D_CTLR, 0, 0) + gicd(D_IGROUPR, 4, 0xffffffff) +
                 gicd(D_IGROUPR, 8, 0xffffffff) + gicd(D_ICENABLER, 4, 0xffffffff) +
                 gicd(D_ICACTIVER, 4, 0xffffffff) +
                 b"".join(gicd(D_IPRIORITYR, 0x20 + 4 * i, 0xa0a0a0a0) for i in range(16)) +
                 gicd(D_ICFGR, 8, 0) + gicd(D_ICFGR, 12, 0x0) +
                 b"".join(gicd(D_IROUTER, 0x100 + 8 * i, 0, W8) for i in range(64)) +
                 gicd(D_CTLR, 0, 0x12))

    def redist_init(c):
        return (gicr(c, R_RD, 8, width=W8, vcpu=c) + gicr(c, R_RD, 0x14, 0, vcpu=c) +
                gicr(c, R_RD, 0x14, vcpu=c) + gicr(c, R_IGROUPR, 0, 0xffffffff, vcpu=c) +
                gicr(c, R_ICENABLER, 0, 0xffff0000, vcpu=c) +
                gicr(c, R_ISENABLER, 0, 0x0800ffff, vcpu=c) +
                b"".join(gicr(c, R_IPRIORITYR, 4 * i, 0xa0a0a0a0, vcpu=c) for i in range(8)) +
                gicr(c, R_ICFGR, 4, 0, vcpu=c))

    linux = (vgic_header(2) + dist_init + redist_init(0) + redist_init(1) +
             gicd(D_ISENABLER, 4, 0x2) + line(33, 1) + gicd(D_ISPENDR, 4) + line(33, 0) +
             sgi(0, 1, targets=0b10) + gicr(1, R_ISPENDR, 0, vcpu=1) + inject_hw(0, 27) +
             gicr(0, R_ISACTIVER, 0, 0x08000000) + gicd(D_IROUTER, 0x108, 0x80000001, W8) +
             inject(33) + gicd(D_ICPENDR, 4, 0x2) + gicd(D_CTLR, 0, 0))
    icfgr = (vgic_header(2) + gicd(D_CTLR, 0, 2) + gicd(D_IGROUPR, 4, 0xffffffff) +
             gicd(D_ISENABLER, 4, 0xffffffff) + line(33, 1) + gicd(D_ICFGR, 8, 0xaaaaaaaa) +
             gicd(D_ICFGR, 8, 0) + line(34, 1) + gicd(D_ICFGR, 8, 0x20))
    irouter_bytes = (vgic_header(1) + gicd(D_IROUTER, 0x220, 0x01, W8) +
                     gicd(D_IROUTER, 0x220, width=W1) + gicd(D_IROUTER, 0x221, 0xff, W1) +
                     gicd(D_IROUTER, 0x222, width=W2) + gicd(D_IROUTER, 0x224, 0xffff, W2) +
                     gicd(D_IROUTER, 0x220, width=W8) + gicd(D_IROUTER, 0x224, width=W4))
    four = (vgic_header(4, online=0b0101, other_vcpus=4, seed=0x99) + gicd(D_CTLR, 0, 2) +
            b"".join(gicr(c, R_IGROUPR, 0, 0xffffffff, vcpu=c) +
                     gicr(c, R_ISENABLER, 0, 0xffffffff, vcpu=c) for c in range(4)) +
            sgi(2, 5, broadcast=True) + sgi(1, 15, targets=0b1001) + sgi(3, 3, targets=1, aff1=1) +
            gicd(D_IGROUPR, 4, 0xffffffff) + gicd(D_ISENABLER, 4, 0xffffffff) +
            gicd(D_IROUTER, 0x118, 0x3, W4) + inject(35) + gicd(D_IROUTER, 0x118, 0x1, W4) +
            gicd(D_IROUTER, 0x11c, 0x0, W4) + gicd(D_IROUTER, 0x118, 0x80000000, W8) +
            gicd(D_ISPENDR, 4) + gicr(3, R_RD, 8, vcpu=3) + gicr(3, R_RD, 12, vcpu=2) +
            gicd(D_CTLR, 4) + inject(200) + inject(5) + line(3, 1))
    passthrough = (vgic_header(2) + gicd(D_CTLR, 0, 2) + gicd(D_IGROUPR, 4, 0xffffffff) +
                   gicd(D_ISENABLER, 4, 0xffffffff) + inject_hw_spi(40) + inject_hw_spi(41) +
                   gicd(D_ISACTIVER, 4, 0x300) + gicd(D_ICPENDR, 4, 0x100) +
                   gicd(D_IROUTER, 0x140, 0x1, W8) + inject_hw_spi(200) + inject_hw(1, 30) +
                   gicr(1, R_ICACTIVER, 0, 0x40000000, vcpu=1))
    return {"linux-init": linux, "icfgr-level-to-edge": icfgr, "irouter-sub-word": irouter_bytes,
            "four-vcpus-sgis-routes": four, "passthrough-spis": passthrough}


# ------------------------------------------------------------------ pgtable

MAP, UNMAP, LOOKUP, BUDGET = range(4)
S1, S2 = 0, 1
IA_PAGE, IA_2M, IA_1G, IA_TOP, IA_WINDOW_RAW, IA_RAW = range(6)
SZ_PAGES, SZ_2M, SZ_1G, SZ_2M_PLUS, SZ_RAW32, SZ_RAW = range(6)
PA_SAME, PA_2M_OFFSET, PA_PAGE, PA_TOP, PA_RAW = range(5)
R, W, X, DEV = 1, 2, 4, 8


def ia_bytes(mode, v):
    return {IA_PAGE: u32, IA_2M: u16, IA_1G: u8, IA_TOP: u8, IA_WINDOW_RAW: u32,
            IA_RAW: u64}[mode](v)


def size_bytes(mode, v):
    if mode == SZ_2M_PLUS:
        return u8(v[0]) + u8(v[1])
    return {SZ_PAGES: u16, SZ_2M: u8, SZ_1G: u8, SZ_RAW32: u32, SZ_RAW: u64}[mode](v)


def pa_bytes(mode, v):
    return {PA_SAME: lambda _: b"", PA_2M_OFFSET: u16, PA_PAGE: u32, PA_TOP: u8,
            PA_RAW: u64}[mode](v)


def pmap(table, ia_mode, ia, size_mode, size, pa_mode, pa, perms):
    return (u8(MAP | (table << 2) | (ia_mode << 3)) + u8(size_mode | (pa_mode << 3)) +
            ia_bytes(ia_mode, ia) + size_bytes(size_mode, size) + pa_bytes(pa_mode, pa) +
            u8(perms))


def punmap(table, ia_mode, ia, size_mode, size):
    return (u8(UNMAP | (table << 2) | (ia_mode << 3)) + u8(size_mode) + ia_bytes(ia_mode, ia) +
            size_bytes(size_mode, size))


def plookup(table, ia_mode, ia):
    return u8(LOOKUP | (table << 2) | (ia_mode << 3)) + ia_bytes(ia_mode, ia)


def budget(pages):  # None: no limit
    return u8(BUDGET | ((0 if pages is None else pages + 1) << 3))


def pprealloc(table, ia_mode, ia, size_mode, size, leaf):  # leaf: 0 4 KiB, 1 2 MiB, 2 1 GiB, 3 bad
    return (u8(BUDGET | (table << 2) | (31 << 3)) + u8(ia_mode | (leaf << 5)) + ia_bytes(ia_mode, ia) +
            u8(size_mode) + size_bytes(size_mode, size))


def pt_header(ia_bits, where=0):
    """The header byte for a table of ia_bits whose window is at the bottom (0), top (1) or in
    between (2)."""
    return u8(next(b for b in range(256) if 30 + b % 20 == ia_bits and (b >> 5) % 3 == where))


def pgtable():
    h39_40 = pt_header(39) + pt_header(40)
    vm_ram = (h39_40 + pmap(S2, IA_1G, 1, SZ_1G, 0, PA_SAME, 0, R | W | X) +
              punmap(S2, IA_PAGE, 0x40100, SZ_PAGES, 0) + plookup(S2, IA_PAGE, 0x40101) +
              plookup(S2, IA_PAGE, 0x40100) + pmap(S2, IA_PAGE, 0x9000, SZ_PAGES, 0, PA_SAME, 0,
                                                   R | W | DEV) +
              pmap(S2, IA_PAGE, 0x9000, SZ_PAGES, 0, PA_PAGE, 0x12345, R) +
              punmap(S2, IA_1G, 1, SZ_1G, 0) + plookup(S2, IA_2M, 0x200))
    kestrel = (h39_40 + pmap(S1, IA_2M, 0x201, SZ_PAGES, 15, PA_SAME, 0, R | X) +
               pmap(S1, IA_PAGE, 0x40210, SZ_PAGES, 3, PA_SAME, 0, R) +
               pmap(S1, IA_PAGE, 0x40214, SZ_PAGES, 7, PA_SAME, 0, R | W) +
               pmap(S1, IA_PAGE, 0x40220, SZ_PAGES, 0, PA_SAME, 0, R | W | X) +
               pmap(S1, IA_PAGE, 0x40230, SZ_PAGES, 0, PA_SAME, 0, W) +
               pmap(S1, IA_PAGE, 0x40212, SZ_PAGES, 3, PA_SAME, 0, R) +
               pmap(S1, IA_2M, 0x48, SZ_2M, 0, PA_SAME, 0, R | W | DEV) +
               plookup(S1, IA_PAGE, 0x40215) + punmap(S1, IA_2M, 0x201, SZ_2M, 0))
    starved = (h39_40 + budget(1) + pmap(S2, IA_2M, 3, SZ_2M_PLUS, (1, 3), PA_2M_OFFSET, 7,
                                         R | W) +
               budget(None) + pmap(S2, IA_2M, 4, SZ_2M, 3, PA_2M_OFFSET, 9, R | W) + budget(0) +
               punmap(S2, IA_PAGE, 0x801, SZ_PAGES, 1) + budget(2) +
               punmap(S2, IA_PAGE, 0x801, SZ_PAGES, 1) + budget(None) +
               punmap(S2, IA_2M, 0, SZ_RAW32, 0x2000000))
    edges = (pt_header(30) + pt_header(48, where=1) + pmap(S2, IA_TOP, 0, SZ_2M, 0, PA_TOP, 0, R) +
             pmap(S2, IA_TOP, 1, SZ_2M, 2, PA_SAME, 0, R) +
             pmap(S1, IA_RAW, 0xfffffffffffff000, SZ_PAGES, 1, PA_SAME, 0, R) +
             pmap(S1, IA_WINDOW_RAW, 0x123, SZ_PAGES, 0, PA_SAME, 0, R) +
             pmap(S1, IA_PAGE, 0, SZ_RAW, 0, PA_SAME, 0, R) +
             pmap(S1, IA_PAGE, 0, SZ_PAGES, 0, PA_RAW, 0xfffffffffffff000, R) +
             plookup(S1, IA_RAW, 1 << 40) + punmap(S2, IA_RAW, 0, SZ_RAW, 1 << 63) +
             plookup(S2, IA_TOP, 0))
    wide = (pt_header(48, where=2) + pt_header(32) +
            pmap(S1, IA_1G, 1, SZ_1G, 1, PA_2M_OFFSET, 512, R) +
            punmap(S1, IA_2M, 0x300, SZ_2M_PLUS, (0, 0)) +
            pmap(S2, IA_1G, 3, SZ_1G, 0, PA_SAME, 0, W | X) +
            punmap(S2, IA_2M, 0x600, SZ_2M, 0) + pmap(S1, IA_1G, 0, SZ_1G, 0, PA_PAGE, 1, R))
    # stage 2 of lazily handed-over RAM: its tables made first, then 2 MiB maps that must need
    # no page, an unmap that keeps the tables, a 4 KiB map that needs one, bad preallocations
    lazy = (h39_40 + pprealloc(S2, IA_1G, 1, SZ_1G, 0, 1) + budget(0) +
            pmap(S2, IA_2M, 0x200, SZ_2M, 0, PA_SAME, 0, R | W) +
            pmap(S2, IA_2M, 0x201, SZ_2M, 0, PA_SAME, 0, R | W) + punmap(S2, IA_1G, 1, SZ_1G, 0) +
            pmap(S2, IA_2M, 0x200, SZ_2M, 0, PA_SAME, 0, R | W) + budget(None) +
            pmap(S2, IA_PAGE, 0x40400, SZ_PAGES, 0, PA_SAME, 0, R) +
            pprealloc(S2, IA_2M, 0x200, SZ_2M, 0, 2) + pprealloc(S2, IA_2M, 0x200, SZ_2M, 0, 3) +
            pprealloc(S1, IA_2M, 0x10, SZ_2M, 3, 0) + punmap(S2, IA_1G, 1, SZ_1G, 0))
    return {"vm-ram": vm_ram, "kestrel-stage1": kestrel, "out-of-memory": starved,
            "edges": edges, "48-and-32-bit": wide, "lazy-ram": lazy}


# ------------------------------------------------------------------ virtq

VQ_REGS = [0x000, 0x004, 0x008, 0x00c, 0x010, 0x014, 0x020, 0x024, 0x030, 0x034, 0x038, 0x044, 0x050,
           0x060, 0x064, 0x070, 0x080, 0x084, 0x090, 0x094, 0x0a0, 0x0a4, 0x0ac, 0x0c0, 0x0fc, 0x100,
           0x104, 0x108, 0x2fc, 0x1f8, 0x270, 0x3e00]


def vq_reg(off):
    return u8(VQ_REGS.index(off)) if off in VQ_REGS else u8(0x80) + u16(off)


def vq_write(off, value):  # a value above 0x7f as a u32
    return u8(0) + vq_reg(off) + u8(0x80) + u32(value)


def vq_read(off, width=4):
    return u8(1 | {1: 0, 2: 1, 4: 2, 8: 3}[width] << 3) + vq_reg(off)


def vq_start(log2_num, rx_rings, tx_rings):  # each: (desc, avail, used) RAM offsets
    return u8(2 | (log2_num - 1) << 3) + b"".join(u16(a) for a in (*rx_rings, *tx_rings))


def vq_ram(off, data):
    return u8(3) + u16(off) + u8(len(data)) + data


def vq_desc(q, index, addr, length, flags=0, nxt=0, offer=True, addr64=False, len32=False):
    op = 4 | q << 3 | addr64 << 4 | len32 << 5 | offer << 6
    return (u8(op) + u8(index) + (u64(addr) if addr64 else u16(addr)) +
            (u32(length) if len32 else u16(length)) + u8(flags) + u8(nxt))


def vq_notify(q):
    return u8(5 | q << 3)


def vq_input(text):
    return u8(6 | (len(text) - 1) << 3) + text


def vq_mutate(off, xor):
    return u8(7) + u16(off) + u8(xor)


def virtq():
    rx, tx = (0x1000, 0x1200, 0x1400), (0x2000, 0x2200, 0x2400)
    start = vq_start(4, rx, tx)
    text = b"hello from the transmit queue\n"
    hello = start + vq_ram(0x5000, text) + vq_desc(1, 0, 0x5000, len(text)) + vq_notify(1)
    chain = (start + vq_ram(0x5000, b"one ") + vq_ram(0x5100, b"two\n") +
             vq_desc(1, 0, 0x5000, 4, 1, 1, offer=False) + vq_desc(1, 1, 0x5100, 4) + vq_notify(1))
    receive = (start + vq_desc(0, 0, 0x6000, 64, 2) + vq_notify(0) + vq_input(b"typed") +
               vq_desc(0, 1, 0x6100, 2, 2) + vq_input(b"more input") + vq_notify(0) +
               vq_read(0x060) + vq_write(0x064, 1))
    loop = start + vq_desc(1, 0, 0x5000, 0, 1, 1, offer=False) + vq_desc(1, 1, 0x5000, 0, 1, 0) + \
        vq_notify(1) + vq_read(0x070) + vq_write(0x070, 0) + start + hello[len(start):]
    giant = (start + vq_desc(1, 0, 0x40000000, 0xffffffff, len32=True, addr64=True) + vq_notify(1) +
             vq_read(0x070) + start + vq_desc(1, 0, 0xfffffffffffffff0, 0x20, addr64=True) + vq_notify(1))
    bad_index = (start + vq_ram(0x1202, u16(1000)) + vq_notify(1) + start +
                 vq_ram(0x2202, u16(1)) + vq_ram(0x2204, u16(300)) + vq_notify(1))
    changing = start + vq_mutate(0x2002, 0x80) + hello[len(start):] + vq_notify(1) + \
        vq_mutate(0x2202, 1) + vq_desc(1, 1, 0x5000, 8) + vq_notify(1)
    registers = (b"".join(vq_read(r) for r in VQ_REGS) + vq_read(0x100, 1) + vq_read(0x102, 2) +
                 vq_read(0x003, 1) + vq_write(0x014, 1) + vq_read(0x010) + vq_write(0x030, 2) +
                 vq_read(0x034) + vq_write(0x070, 1) + vq_write(0x070, 3) + vq_write(0x024, 0) +
                 vq_write(0x020, 1) + vq_write(0x070, 0xb) + vq_read(0x070) + vq_write(0x270, 0xf) +
                 vq_write(0x030, 1) + vq_write(0x038, 3) + vq_write(0x044, 1) + vq_read(0x070))
    queue_reset = start + hello[len(start):] + vq_write(0x030, 1) + vq_write(0x0c0, 1) + \
        vq_read(0x044) + vq_write(0x038, 8) + vq_write(0x080, 0x40003000) + vq_write(0x090, 0x40003200) + \
        vq_write(0x0a0, 0x40003400) + vq_write(0x044, 1) + vq_desc(1, 0, 0x5000, 10) + vq_notify(1)
    big = vq_start(8, rx, (0x8000, 0x9000, 0xa000)) + b"".join(
        vq_desc(1, i, 0x5000, 0xffff) for i in range(200)) + vq_notify(1)
    seeds = {"hello": hello, "chain": chain, "receive": receive, "looping-chain": loop,
             "giant-length": giant, "bad-indices": bad_index, "changing-rings": changing,
             "registers": registers, "queue-reset": queue_reset, "budget": big}
    # the start operation's bit 7 (fuzz_virtq.c)
    return with_event_idx(seeds, ("hello", "chain", "receive", "changing-rings", "budget"), 0, 0x80)


# ------------------------------------------------------------------ virtio_blk
# The encoding of virtq's (the vq_* helpers), one queue, after a first byte: bit 0 read-only.

def blk_start(log2_num=3, features_ro=False):
    return u8(2 | (log2_num - 1) << 3 | features_ro << 7) + u16(0x1000) + u16(0x1200) + u16(0x1400)


def blk_header(off, req_type, sector):
    return vq_ram(off, u32(req_type) + u32(0) + u64(sector))


def blk_request(req_type, sector, length, data_writable, head=0, hdr=0x3000, data=0x4000, status=0x3100):
    """Header, one data buffer (none for length 0), status; the head offered last."""
    out = blk_header(hdr, req_type, sector)
    if length:
        out += vq_desc(0, head + 1, data, length, 1 | data_writable << 1, head + 2, offer=False)
        out += vq_desc(0, head + 2, status, 1, 2, 0, offer=False)
        out += vq_desc(0, head, hdr, 16, 1, head + 1)
    else:
        out += vq_desc(0, head + 2, status, 1, 2, 0, offer=False) + vq_desc(0, head, hdr, 16, 1, head + 2)
    return out + vq_notify(0)


def virtio_blk():
    rw, ro = u8(0), u8(1)
    read = rw + blk_start() + blk_request(0, 3, 1024, True) + vq_read(0x060) + u8(6 | 1 << 3)
    write = rw + blk_start() + vq_ram(0x4000, bytes(range(200))) + blk_request(1, 30, 1024, False)
    write_ro = ro + blk_start(features_ro=True) + blk_request(1, 0, 512, False) + blk_request(0, 0, 512, True)
    flush_id = rw + blk_start() + blk_request(4, 0, 0, False) + blk_request(8, 0, 20, True)
    bad = (rw + blk_start() + blk_request(0, 32, 512, True) + blk_request(0, 31, 1024, True) +
           blk_request(0, 0xffffffffffffffff, 512, True) + blk_request(0, 0, 100, True) + blk_request(9, 0, 512, True))
    no_status = rw + blk_start() + blk_header(0x3000, 0, 0) + vq_desc(0, 0, 0x3000, 16) + vq_notify(0) + \
        vq_read(0x070) + vq_write(0x070, 0) + vq_ram(0x1202, u16(0)) + blk_start() + blk_request(0, 0, 512, True)
    layout = (rw + blk_start() + blk_header(0x3000, 1, 2) + vq_desc(0, 4, 0x3005, 11, 1, 6, offer=False) +
              vq_desc(0, 6, 0x4000, 700, 1, 1, offer=False) + vq_desc(0, 1, 0x5000, 324, 1, 3, offer=False) +
              vq_desc(0, 3, 0x6000, 1, 2, 0, offer=False) + vq_desc(0, 0, 0x3000, 5, 1, 4) + vq_notify(0))
    changing = rw + blk_start() + vq_mutate(0x4010, 0x55) + blk_request(1, 4, 2048, False) + \
        vq_mutate(0x3008, 1) + blk_request(0, 4, 2048, True)
    many = rw + blk_start(8) + b"".join(blk_request(1, i % 30, 4096, False, head=3 * i) for i in range(60))
    giant = rw + blk_start() + blk_header(0x3000, 0, 0) + vq_desc(0, 1, 0x40000000, 0xffffffff, 3, 2, offer=False,
                                                                  addr64=True, len32=True) + \
        vq_desc(0, 2, 0x3100, 1, 2, 0, offer=False) + vq_desc(0, 0, 0x3000, 16, 1, 1) + vq_notify(0)
    later = u8(6 | 1 << 5)  # the deferred piece ends
    deferred = (u8(2) + blk_start() + blk_request(0, 3, 8192, True) + later + later + vq_notify(0) +
                blk_request(1, 5, 1024, False) + u8(6 | 1 << 5 | 1 << 6) + blk_request(4, 0, 0, False) +
                vq_write(0x070, 0) + later + blk_start() + vq_ram(0x1202, u16(0)) + blk_request(0, 1, 512, True) +
                vq_write(0x030, 0) + vq_write(0x044, 0) + later)
    seeds = {"deferred": deferred, "read": read, "write": write, "write-read-only": write_ro,
             "flush-and-id": flush_id, "bad-requests": bad, "no-status": no_status, "any-layout": layout,
             "changing-rings": changing, "many-requests": many, "giant-length": giant}
    # the descriptor table's offset, low bit (fuzz_virtio_blk.c)
    seeds = with_event_idx(seeds, ("read", "deferred", "many-requests", "changing-rings"), 2, 1)
    # the same with a backend in place (first byte, bit 2): whole requests as the guest's ranges
    seeds.update({f"in-place-{name}": bytes([seeds[name][0] | 4]) + seeds[name][1:]
                  for name in ("read", "write", "any-layout", "changing-rings", "many-requests", "deferred",
                               "bad-requests", "giant-length")})
    return seeds


# ------------------------------------------------------------------ vnet
# The virtq format with net registers, plus op 6: the current port becomes p (0, 1: lan0; 2: lan1).

VN_REGS = [0x008, 0x010, 0x014, 0x020, 0x024, 0x030, 0x038, 0x044, 0x050, 0x060, 0x064, 0x070,
           0x080, 0x090, 0x0a0, 0x0c0, 0x100, 0x104, 0x108, 0x2fc]


def vn_read(off, width=4):
    return u8(1 | {1: 0, 2: 1, 4: 2, 8: 3}[width] << 3) + u8(VN_REGS.index(off))


def vn_port(p):
    return u8(6 | p << 3)


def mac(n):
    return bytes([2, 0, 0, 0, 0, n])


def frame(dst, src, length=60):
    return dst + src + b"\x08\x00" + bytes((i * 7) & 0xff for i in range(length - 14))


def vnet():
    rx, tx = (0x1000, 0x1200, 0x1400), (0x2000, 0x2200, 0x2400)
    start = vq_start(4, rx, tx)
    bcast = b"\xff" * 6
    # port 1 (and 2) started with four 2 KiB receive buffers
    listen = b"".join(vq_desc(0, i, 0x8000 + 0x800 * i, 0x800, 2) for i in range(4)) + vq_notify(0)
    both = vn_port(1) + start + listen + vn_port(2) + start + listen + vn_port(0) + start

    def send(data, split=False):  # the header and the frame, in one buffer or two
        hdr = b"\0" * 12
        if split:
            return (vq_ram(0x5000, hdr) + vq_ram(0x5100, data) +
                    vq_desc(1, 1, 0x5100, len(data), offer=False) + vq_desc(1, 0, 0x5000, 12, 1, 1) +
                    vq_notify(1))
        return vq_ram(0x5000, hdr + data) + vq_desc(1, 0, 0x5000, 12 + len(data)) + vq_notify(1)

    handler = vn_port(1) + vn_read(0x060) + vq_write(0x064, 3)
    ping = both + send(frame(bcast, mac(1))) + handler + vn_port(1) + send(frame(mac(1), mac(2)))
    split = both + send(frame(mac(2), mac(1)), split=True) + handler
    spoof = both + send(frame(bcast, mac(2))) + send(frame(mac(2), mac(3))) + handler
    lonely = both + vn_port(2) + send(frame(bcast, mac(3))) + vn_port(1) + vn_read(0x060)
    big = b"\0" * 12 + frame(bcast, mac(1), 1518)
    longest = both + b"".join(vq_ram(0x5000 + i, big[i:i + 255]) for i in range(0, len(big), 255)) + \
        vq_desc(1, 0, 0x5000, len(big)) + vq_notify(1) + handler
    too_long = both + vq_desc(1, 0, 0x5000, 12 + 1519) + vq_notify(1) + handler
    writable = both + vq_ram(0x5000, b"\0" * 12 + frame(bcast, mac(1))) + \
        vq_desc(1, 0, 0x5000, 72, 2) + vq_notify(1) + vn_read(0x070)
    short_rx = both + vn_port(1) + vq_desc(0, 0, 0x8000, 20, 2, offer=False) + vn_port(0) + \
        send(frame(bcast, mac(1))) + handler
    full = both + b"".join(send(frame(bcast, mac(1))) for _ in range(40)) + handler
    changing = both + vq_mutate(0x2204, 1) + send(frame(bcast, mac(1))) + vq_mutate(0x5006, 0x5) + \
        send(frame(bcast, mac(1))) + handler
    rx_outside = both + vn_port(1) + vq_write(0x070, 0) + start + \
        vq_desc(0, 0, 0xfffffffffffffff0, 0x800, 2, addr64=True) + vq_notify(0) + vn_port(0) + \
        send(frame(bcast, mac(1))) + handler
    seeds = {"ping": ping, "split-header": split, "spoof": spoof, "lonely-switch": lonely,
             "longest": longest, "too-long": too_long, "writable-transmit": writable,
             "short-receive-buffer": short_rx, "full-queue": full, "changing-rings": changing,
             "receive-buffer-outside-ram": rx_outside}
    # the first start operation's bit 7, after the port selection (fuzz_vnet.c)
    return with_event_idx(seeds, ("ping", "full-queue", "changing-rings"), 1, 0x80)


# ------------------------------------------------------------------ vgic_its

ITS_RAM = 0x40000000
ITS_REGS = {"CTLR": 0, "IIDR": 1, "TYPER": 2, "CBASER": 3, "CWRITER": 4, "CREADR": 5, "BASER0": 6,
            "BASER1": 7, "BASER2": 8, "PIDR2": 9, "TRANSLATER": 10}


def its_w(reg, val, off=0, width=8):
    return u8(0 | ({4: 2, 8: 3}[width] << 3) | 0x20) + u8(ITS_REGS[reg]) + u8(off) + u64(val) + u8(0)


def its_r(reg, off=0, width=8):
    return u8(0 | ({4: 2, 8: 3}[width] << 3)) + u8(ITS_REGS[reg]) + u8(off) + u8(0)


def its_cmd(d0, d1=0, d2=0, d3=0, queued=True, ram_addr=False):
    """A command queued (op 3) or given to the parser (op 1); ram_addr: DW2 into the RAM."""
    return u8(3 if queued else 1) + u64(d0 | (1 << 31 if ram_addr else 0)) + u64(d1) + u64(d2) + u64(d3)


def its_ram(off, data):
    return u8(2) + u16(off) + u8(len(data)) + data


def its_redist(frame, sel, val):
    return u8(4) + u8(frame) + u8(sel) + u64(val)


def its_run(vcpu, ack=False, end=False):
    return u8(5 | (8 if ack else 0) | (16 if end else 0)) + u8(vcpu)


def mapd(dev, bits, itt_off, v=True):
    return its_cmd(0x08 | dev << 32, bits - 1, itt_off | (1 << 63 if v else 0), ram_addr=True)


def mapc(icid, rd, v=True):
    return its_cmd(0x09, 0, icid | rd << 16 | (1 << 63 if v else 0))


def mapti(dev, ev, intid, icid):
    return its_cmd(0x0a | dev << 32, ev | intid << 32, icid)


def its_ev(cmd, dev, ev, icid=0):
    return its_cmd(cmd | dev << 32, ev, icid)


def vgic_its():
    tables = (its_w("BASER0", 1 << 63 | ITS_RAM + 0x1000) + its_w("BASER1", 1 << 63 | ITS_RAM + 0x2000) +
              its_w("CBASER", 1 << 63 | ITS_RAM) + its_w("CTLR", 1, width=4) +
              its_ram(0x4000, bytes([0xa1] * 32)) + u8(6 | 8))
    lpis = b"".join(its_redist(f, 1, 1 << 63 | 0x4000 | 13) + its_redist(f, 2, 1 << 63 | 1 << 62) +
                    its_redist(f, 0, 1) for f in range(2))
    base = u8(1) + tables + lpis + mapd(1, 5, 0x3000) + mapc(0, 0) + mapc(1, 1) + \
        mapti(1, 0, 8192, 0) + mapti(1, 1, 8193, 1)
    take = its_run(0) + its_run(0, ack=True) + its_run(0, end=True) + its_run(1, ack=True, end=True)
    ints = base + its_ev(0x03, 1, 0) + its_ev(0x03, 1, 1) + take
    moves = base + its_ev(0x03, 1, 1) + its_run(1) + its_ev(0x01, 1, 1, 0) + take + \
        mapc(1, 0) + its_cmd(0x0e, 0, 1 << 16, 0) + its_ev(0x03, 1, 0) + mapc(0, 1) + take + \
        its_ev(0x0f, 1, 0) + its_ev(0x03, 1, 0) + mapd(1, 5, 0x3000, v=False) + take
    inv = base + its_ram(0x4002, b"\xa0") + mapti(1, 2, 8194, 0) + its_ev(0x03, 1, 2) + take + \
        its_ram(0x4002, b"\x11") + its_ev(0x0c, 1, 2) + its_cmd(0x0d, 0, 0) + take + \
        its_ev(0x04, 1, 2) + u8(6) + take + u8(6 | 8)
    endless = base + its_w("CWRITER", 0xfe0) + its_r("CREADR") + its_r("CREADR") + \
        its_ram(0x20, bytes(range(64))) + its_r("CREADR") + its_w("CWRITER", 0x20) + its_r("CREADR")
    stall = base + its_w("CTLR", 0, width=4) + its_w("CBASER", 1 << 63 | 0x1000) + \
        its_w("CTLR", 1, width=4) + its_w("CWRITER", 0x20) + its_r("CREADR") + \
        its_w("CWRITER", 0x21) + its_w("CBASER", 1 << 63 | ITS_RAM + 0x2000, off=0) + \
        its_w("CTLR", 0, width=4) + its_w("CBASER", 1 << 63 | ITS_RAM) + its_w("CTLR", 1, width=4) + \
        its_ev(0x03, 1, 0)
    translater = base + mapd(0, 4, 0x3800) + mapti(0, 3, 8195, 1) + u8(7) + u32(3) + take
    parser = u8(3) + tables + lpis + mapd(2, 16, 0x0, ) + mapd(0xffff, 1, 0) + \
        its_cmd(0x0b | 2 << 32, 8200, 1, queued=False) + its_cmd(0x0a | 2 << 32, 1 | 20000 << 32, 3, queued=False) + \
        its_cmd(0x05, 0, 9 << 16, queued=False) + its_cmd(0xff, ~0, ~0, ~0, queued=False) + \
        b"".join(mapti(1, e, 8192 + e, e % 3) for e in range(32)) + its_cmd(0x0d, 0, 2) + take
    return {"map-int-take": ints, "moves-discard": moves, "inv-invall-clear": inv,
            "endless-queue": endless, "stalled-queue": stall, "translater": translater,
            "parser-limits": parser}


GENERATORS = {"hostdt": hostdt, "guest_dtb": guest_dtb, "image": image, "esr": esr,
              "mmio_vpl011": mmio_vpl011, "vgic_mmio": vgic_mmio, "pgtable": pgtable, "virtq": virtq,
              "virtio_blk": virtio_blk, "vnet": vnet, "vgic_its": vgic_its}

if __name__ == "__main__":
    names = sys.argv[1:] or list(GENERATORS)
    for n in names:
        write(n, GENERATORS[n]())
