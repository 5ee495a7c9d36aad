#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The checks ./kestrel makes of a configuration before booting, on machine device trees built
here: most refusals need a machine QEMU cannot make (a second register region on the UART, a
PPI, a device under another interrupt controller...), so the integration cases cannot reach them.

kestrel's own rules are checked by kestrel's own parser, build/tools/kestrel-check (the tool's
kestrel.checker runs it): those refusals are asserted through it, word for word, as kestrel prints
them at boot ("kestrel: vm 'a' refused: ..."), on the device tree the tool generates (its
chosen_block merged into the machine's). What only the tool checks (images, the machine's room,
the source as written) is asserted through kestrel.config. What kestrel accepts must be accepted.

Run by tests/run_tests.py (tool/test_kestrel_tool); alone: python3 tests/tool/test_kestrel_tool.py
"""
import contextlib
import io
import os
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

TOP = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(TOP / "tools"))
from kestrel import checker, cli, config, fdt, machine as tool_machine  # noqa: E402
from kestrel.common import Failure  # noqa: E402
from kestrel.common import ARM64_IMAGE_MAGIC, ARM64_IMAGE_MAGIC_OFFSET, DTC, GiB, MiB  # noqa: E402

# Every VM's kernel: an arm64 Image header and nothing else (kestrel-check reads the device tree
# only; the tool checks the header).
IMAGES = tempfile.TemporaryDirectory(prefix="kestrel-tool-test-")
_image = bytearray(64)
_image[ARM64_IMAGE_MAGIC_OFFSET:] = ARM64_IMAGE_MAGIC
(Path(IMAGES.name) / "Image").write_bytes(bytes(_image))

# QEMU's virt machine (gic-version=3, 1 GiB, 2 CPUs) as far as kestrel reads it: the root's
# interrupt-parent is the GIC, the console is /pl011@9000000, the GIC has its ITS as a child.
MACHINE_DTS = """/dts-v1/;
/ {
	interrupt-parent = <&gic>;
	#address-cells = <2>;
	#size-cells = <2>;
	compatible = "linux,dummy-virt";

	cpus {
		#address-cells = <1>;
		#size-cells = <0>;
		cpu@0 {
			device_type = "cpu";
			compatible = "arm,arm-v8";
			reg = <0>;
		};
		cpu@1 {
			device_type = "cpu";
			compatible = "arm,arm-v8";
			reg = <1>;
		};
	};
	psci {
		compatible = "arm,psci-1.0", "arm,psci-0.2", "arm,psci";
		method = "smc";
	};
	timer {
		compatible = "arm,armv8-timer";
		interrupts = <1 13 4>, <1 14 4>, <1 11 4>, <1 10 4>;
	};
	memory@40000000 {
		device_type = "memory";
		reg = <0 0x40000000 0 0x40000000>;
	};
	gic: intc@8000000 {
		compatible = "arm,gic-v3";
		interrupt-controller;
		#interrupt-cells = <3>;
		#address-cells = <2>;
		#size-cells = <2>;
		ranges;
		reg = <0 0x8000000 0 0x10000>, <0 0x80a0000 0 0xf60000>;
		interrupts = <1 9 4>;
		its: its@8080000 {
			compatible = "arm,gic-v3-its";
			msi-controller;
			reg = <0 0x8080000 0 0x20000>;
		};
	};
	pl011@9000000 {
		compatible = "arm,pl011", "arm,primecell";
		reg = <0 0x9000000 0 0x1000>;
		interrupts = <0 1 4>;
	};
	gpio: pl061@9030000 {
		compatible = "arm,pl061", "arm,primecell";
		gpio-controller;
		#gpio-cells = <2>;
		reg = <0 0x9030000 0 0x1000>;
		interrupts = <0 7 4>;
	};
	virtio_mmio@a000000 {
		compatible = "virtio,mmio";
		dma-coherent;
		reg = <0 0xa000000 0 0x200>;
		interrupts = <0 16 1>;
	};
	virtio_mmio@a000200 {
		compatible = "virtio,mmio";
		dma-coherent;
		reg = <0 0xa000200 0 0x200>;
		interrupts = <0 17 1>;
	};
	chosen {
		stdout-path = "/pl011@9000000";
	};
};
"""



def dtb_of(dts):
    """dts compiled by dtc into a file; its path."""
    # dtc's own check of interrupt properties aborts on some of the wrong trees made here on purpose.
    result = subprocess.run([DTC, "-q", "-Wno-interrupts_property", "-I", "dts", "-O", "dtb", "-"],
                            input=dts.encode(), capture_output=True)
    if result.returncode != 0:
        raise AssertionError(f"dtc cannot compile the machine: {result.stderr.decode(errors='replace')}")
    path = Path(tempfile.mkstemp(suffix=".dtb", dir=IMAGES.name)[1])
    path.write_bytes(result.stdout)
    return path


def verdict(vms, extra="", regions=()):
    """kestrel's refusals, as kestrel-check prints them, of the device tree the tool generates for
    these VMs and regions on the machine (with extra dts, more `/ { ... };` blocks, merged in).
    A last VM, "good", is always there: kestrel has a VM to run."""
    conf = config.Config("test.dts", list(vms) + [vm("good")], list(regions))
    config.place_modules(conf.vms)
    return checker.verdict(dtb_of(MACHINE_DTS + extra + tool_machine.chosen_block(conf)))


def cells(n):
    """A 64-bit number as the two cells of the root's #address-cells and #size-cells."""
    return f"0x{n >> 32:x} 0x{n & 0xFFFFFFFF:x}"


def device(name, regs, interrupts=None, body=""):
    """A root device node in dts: regs as (address, size) pairs, interrupts as the cells."""
    lines = [f"\t{name} {{", "\t\treg = " + ", ".join(f"<{cells(a)} {cells(s)}>" for a, s in regs) + ";"]
    if interrupts is not None:
        lines.append("\t\tinterrupts = <" + " ".join(f"0x{c:x}" for c in interrupts) + ">;")
    lines += [f"\t\t{line}" for line in body.splitlines() if line.strip()]
    return "\n".join(lines + ["\t};"])


def root(*nodes):
    return "\n/ {\n" + "\n".join(nodes) + "\n};\n"


def strings(*texts):
    return b"".join(fdt.string_value(t) for t in texts)


def vm(name, *passthrough, memory=256 * MiB, **props):
    """A VM as the tool reads it from a configuration file, with its kernel; keyword properties are
    written with '-' for '_': strings as strings, ints as two cells, True as an empty property,
    bytes as is, None left out."""
    raw = {"compatible": fdt.string_value("kestrel,vm"), "kernel": fdt.string_value("Image")}
    if memory is not None:
        raw["memory"] = fdt.u64_value(memory)
    if passthrough:
        raw["passthrough"] = strings(*passthrough)
    for key, value in props.items():
        if value is True:
            value = b""
        elif isinstance(value, str):
            value = fdt.string_value(value)
        elif isinstance(value, int):
            value = fdt.u64_value(value)
        raw[key.replace("_", "-")] = value
    return config.VmSpec(name, raw, Path(IMAGES.name))


def shared(name, size, *members):
    return fdt.FdtNode(name, {"compatible": fdt.string_value("kestrel,shared-memory"),
                              "size": fdt.u64_value(size), "vms": strings(*members)})


def passthrough(vms, extra="", regions=()):
    return verdict(vms, extra, regions)


def refused(vm_name, why):
    """A VM kestrel refuses, in its words."""
    return f"kestrel: vm '{vm_name}' refused: {why}"


def refusal(vm_name, why):
    return refused(vm_name, f"property 'passthrough': {why}")


def region_refused(name, why):
    return f"kestrel: shared region '{name}' refused: {why}"


# ------------------------------------------------------------------ accepted

class AcceptedDevices(unittest.TestCase):
    """What kestrel gives a VM, the tool must let through."""

    def test_qemu_devices_through_the_roots_interrupt_parent(self):
        self.assertEqual(passthrough([vm("a", "/pl061@9030000"), vm("b", "/virtio_mmio@a000000")]), [])

    def test_several_devices_in_one_vm_and_a_path_without_unit_address(self):
        self.assertEqual(passthrough([vm("a", "/pl061", "/virtio_mmio@a000000", "/virtio_mmio@a000200")]), [])

    def test_explicit_gic_interrupt_parent_and_no_interrupts(self):
        extra = root(device("dev@9100000", [(0x9100000, 0x1000)], [0, 20, 4], "interrupt-parent = <&gic>;"),
                     device("quiet@9110000", [(0x9110000, 0x1000)]))
        self.assertEqual(passthrough([vm("a", "/dev@9100000", "/quiet@9110000")], extra), [])

    def test_gic_parent_of_the_node_wins_over_its_bus(self):
        extra = root("""\tbus@9200000 {
		#address-cells = <2>;
		#size-cells = <2>;
		ranges;
		reg = <0 0x9200000 0 0x1000>;
		interrupt-parent = <&gpio>;
		dev@9201000 {
			reg = <0 0x9201000 0 0x1000>;
			interrupt-parent = <&gic>;
			interrupts = <0 21 4>;
		};
	};""")
        self.assertEqual(passthrough([vm("a", "/bus@9200000/dev@9201000")], extra), [])

    def test_spi_55_and_eight_spis_shared_by_two_devices_of_one_vm(self):
        eight = [c for spi in range(48, 56) for c in (0, spi, 4)]
        extra = root(device("dev@9100000", [(0x9100000, 0x1000)], eight),
                     device("dev@9110000", [(0x9110000, 0x1000)], [0, 55, 4, 0, 48, 1]))
        self.assertEqual(passthrough([vm("a", "/dev@9100000", "/dev@9110000")], extra), [])

    def test_regions_of_other_vms_do_not_matter(self):
        extra = root(device("dev@10000000", [(0x10000000, 0x1000)]), device("dev@ffff000", [(0xFFFF000, 0x1000)]))
        vms = [vm("a"), vm("b"), vm("c", "/dev@10000000", "/dev@ffff000")]
        self.assertEqual(passthrough(vms, extra, [shared("shm0", 0x100000, "a", "b")]), [])

    def test_direct_mapped_vm_with_a_device_and_guest_ram_above_the_machines(self):
        # Direct-mapped, the guest's RAM is the machine's; not direct-mapped, it may be anywhere
        # from 0x40000000 on, beyond the machine's RAM too.
        extra = root(device("dev@9100000", [(0x9100000, 0x1000)]))
        self.assertEqual(passthrough([vm("a", "/dev@9100000", memory_base=0x60000000, direct_map=True),
                                      vm("b", "/pl061", memory_base=0x100000000)], extra), [])


# ------------------------------------------------------------------ registers

class Registers(unittest.TestCase):
    """Every reg region, widened to pages, against kestrel's devices, RAM and the guest's layout.
    kestrel's own devices are those whose registers it uses: its console UART and the GIC."""

    def test_second_region_on_kestrels_uart(self):
        extra = root(device("dev@9100000", [(0x9100000, 0x1000), (0x9000000, 0x1000)]))
        self.assertEqual(passthrough([vm("a", "/dev@9100000")], extra), [refusal(
            "a", "'/dev@9100000' is a device kestrel uses itself (reg[1] at 0x9000000)")])

    def test_second_region_on_the_gic_redistributors_widened_to_its_page(self):
        extra = root(device("dev@9100000", [(0x9100000, 0x1000), (0x80b0010, 0x4)]))
        self.assertEqual(passthrough([vm("a", "/dev@9100000")], extra), [refusal(
            "a", "'/dev@9100000' is a device kestrel uses itself (reg[1] at 0x80b0000)")])

    def test_kestrels_own_devices_and_what_is_inside_them(self):
        self.assertEqual(passthrough([vm("a", "/pl011@9000000"), vm("b", "/intc@8000000/its@8080000")]), [
            refusal("a", "'/pl011@9000000' is a device kestrel uses itself (reg[0] at 0x9000000)"),
            refusal("b", "'/intc@8000000/its@8080000' is part of a device kestrel uses itself")])

    def test_machine_ram_and_guest_ram(self):
        extra = root(device("dev@9100000", [(0x9100000, 0x1000), (0x100000000, 0x1000)]))
        self.assertEqual(passthrough([vm("a", "/memory@40000000"), vm("b", "/dev@9100000", memory_base=0x100000000)],
                                     extra), [
            refusal("a", "'/memory@40000000' reg[0] at 0x40000000 overlaps the machine's RAM"),
            refusal("b", "'/dev@9100000' reg[1] at 0x100000000 overlaps the guest's RAM at 0x100000000")])

    # A machine whose console is a second PL011, at 0x9040000 on SPI 8: its first one is then where
    # every guest sees its own emulated UART (QEMU virt's layout, which kestrel gives every guest).
    SECOND_UART = root("""\tpl011@9040000 {
		compatible = "arm,pl011", "arm,primecell";
		reg = <0 0x9040000 0 0x1000>;
		interrupts = <0 8 4>;
	};
	chosen {
		stdout-path = "/pl011@9040000";
	};""")

    def test_where_the_guest_sees_its_own_devices(self):
        extra = self.SECOND_UART + root(device("dev@9100000", [(0x9100000, 0x1000), (0x9000000, 0x1000)]))
        self.assertEqual(passthrough([vm("a", "/pl011@9000000"), vm("b", "/dev@9100000"),
                                      vm("c", "/pl011@9040000")], extra), [
            refusal("a", "'/pl011@9000000' reg[0] at 0x9000000 is where the guest sees its own UART, "
                    "0x9000000-0x9001000"),
            refusal("b", "'/dev@9100000' reg[1] at 0x9000000 is where the guest sees its own UART, "
                    "0x9000000-0x9001000"),
            refusal("c", "'/pl011@9040000' is a device kestrel uses itself (reg[0] at 0x9040000)")])

    def test_missing_malformed_empty_and_wrapping_reg(self):
        extra = root("\tnoreg@9100000 {\n\t\tcompatible = \"x\";\n\t};",
                     "\tbadreg@9110000 {\n\t\treg = <0 0x9110000 0>;\n\t};",
                     device("empty@9120000", [(0x9120000, 0)]),
                     device("top@fffffffffffff000", [(0xFFFFFFFFFFFFF000, 0x2000)]))
        self.assertEqual(passthrough([vm("a", "/noreg@9100000"), vm("b", "/badreg@9110000"),
                                      vm("c", "/empty@9120000"), vm("d", "/top@fffffffffffff000")], extra), [
            refusal(name, f"'{path}' has no registers to map (its 'reg' is missing, empty or malformed)")
            for name, path in (("a", "/noreg@9100000"), ("b", "/badreg@9110000"), ("c", "/empty@9120000"),
                               ("d", "/top@fffffffffffff000"))])

    def test_not_a_path_and_not_in_the_machine(self):
        bad = vm("b")
        bad.props["passthrough"] = b"\x01\x02"
        self.assertEqual(passthrough([vm("a", "pl061@9030000"), vm("c", "/pl061", "/gpio@1234"), bad]), [
            refusal("a", "no node 'pl061@9030000' in the host device tree"),
            refusal("c", "no node '/gpio@1234' in the host device tree"),
            refused("b", "property 'passthrough' must be a list of device tree paths")])


# ------------------------------------------------------------------ the machine

class Machine(unittest.TestCase):
    """What kestrel must know of the machine to keep VMs out of what is not theirs: a machine it
    cannot know well enough is refused whole ("kestrel: fatal: ...")."""

    @staticmethod
    def reserved(n):
        regions = ", ".join(f"<0 0x{0x48000000 + i * 0x10000:x} 0 0x1000>" for i in range(n))
        return root(f"""	reserved-memory {{
		#address-cells = <2>;
		#size-cells = <2>;
		ranges;
		fw@48000000 {{
			reg = {regions};
			no-map;
		}};
	}};""")

    def test_sixteen_reserved_regions_and_not_seventeen(self):
        self.assertEqual(verdict([vm("a")], self.reserved(16)), [])
        self.assertEqual(verdict([vm("a")], self.reserved(17)), [
            "kestrel: fatal: the device tree reserves 17 regions of memory (/memreserve/ and /reserved-memory), "
            "more than the 16 kestrel can keep from its VMs: merge adjacent ones"])

    def test_a_device_in_a_ram_bank_kestrel_does_not_use(self):
        # kestrel uses the largest bank (1 GiB at 0x40000000); the other is RAM all the same
        extra = root("""	memory@100000000 {
		device_type = "memory";
		reg = <0x1 0x0 0x0 0x10000000>;
	};""", device("dev@100001000", [(0x100001000, 0x1000)]))
        self.assertEqual(passthrough([vm("a", "/dev@100001000")], extra), [
            refusal("a", "'/dev@100001000' reg[0] at 0x100001000 overlaps the machine's RAM")])

    def test_a_device_on_reserved_memory_outside_ram(self):
        extra = root("""\treserved-memory {
		#address-cells = <2>;
		#size-cells = <2>;
		ranges;
		fw@30000000 {
			reg = <0 0x30000000 0 0x10000>;
			no-map;
		};
	};""", device("dev@30000000", [(0x30000000, 0x1000)]))
        self.assertEqual(passthrough([vm("a", "/dev@30000000")], extra), [
            refusal("a", "'/dev@30000000' reg[0] at 0x30000000 overlaps memory the device tree reserves, "
                    "0x30000000-0x30010000")])

    def test_eight_ram_banks_and_not_nine(self):
        def banks(n):
            return root("\tmemory@100000000 {\n\t\tdevice_type = \"memory\";\n\t\treg = "
                        + ", ".join(f"<{cells(0x100000000 * (i + 1))} 0 0x10000000>" for i in range(n)) + ";\n\t};")
        self.assertEqual(verdict([vm("a")], banks(7)), [])
        self.assertEqual(verdict([vm("a")], banks(8)), [
            "kestrel: fatal: the device tree describes 9 RAM banks, more than the 8 kestrel keeps track of: merge "
            "adjacent /memory ranges"])


# ------------------------------------------------------------------ shared regions

class SharedRegions(unittest.TestCase):
    """A member VM's device must not sit where kestrel maps a shared region or the doorbells: the
    region is refused, not the VM."""

    def test_device_on_a_shared_regions_ipa(self):
        # shm0 takes 0x10000000 (4 KiB), shm1 the next 2 MiB boundary, 0x10200000.
        extra = root(device("dev@9100000", [(0x9100000, 0x1000), (0x10200800, 0x100)]))
        regions = [shared("shm0", 0x1000, "a", "b"), shared("shm1", 0x1000, "a", "c")]
        self.assertEqual(passthrough([vm("a"), vm("b"), vm("c", "/dev@9100000")], extra, regions), [region_refused(
            "shm1", "property 'vms': VM 'c''s device 'dev@9100000' (reg[1] at 0x10200000) is where the region "
            "would be, at 0x10200000")])

    def test_device_on_the_doorbell_page(self):
        extra = root(device("dev@ffff000", [(0xFFFF000, 0x1000)]), device("dev@fffe000", [(0xFFFE000, 0x1008)]))
        regions = [shared("shm0", 0x100000, "a", "b"), shared("shm1", 0x100000, "b", "c")]
        # The two devices share the doorbell page: they cannot go to two VMs, so one at a time.
        self.assertEqual(passthrough([vm("a", "/dev@ffff000"), vm("b"), vm("c")], extra, regions), [
            region_refused("shm0", "property 'vms': VM 'a''s device 'dev@ffff000' (reg[0] at 0xffff000) is where "
                           "the doorbell registers are, at 0xffff000")])
        self.assertEqual(passthrough([vm("a"), vm("b", "/dev@fffe000"), vm("c")], extra, regions), [
            region_refused("shm0", "property 'vms': VM 'b''s device 'dev@fffe000' (reg[0] at 0xfffe000) is where "
                           "the doorbell registers are, at 0xffff000"),
            region_refused("shm1", "property 'vms': VM 'b''s device 'dev@fffe000' (reg[0] at 0xfffe000) is where "
                           "the doorbell registers are, at 0xffff000")])


# ------------------------------------------------------------------ owners

class Owners(unittest.TestCase):
    """A device, with what is above and below it, and each SPI belong to one VM."""

    BUS = root("""\tbus@9200000 {
		#address-cells = <2>;
		#size-cells = <2>;
		ranges;
		reg = <0 0x9200000 0 0x1000>;
		dev@9201000 {
			reg = <0 0x9201000 0 0x1000>;
		};
	};""")

    def test_same_device_for_two_vms(self):
        self.assertEqual(passthrough([vm("a", "/pl061@9030000"), vm("b", "/pl061")]), [
            refusal("b", "'/pl061' is already given to VM 'a'")])

    def test_descendant_of_another_vms_device(self):
        self.assertEqual(passthrough([vm("a", "/bus@9200000"), vm("b", "/bus@9200000/dev@9201000")], self.BUS), [
            refusal("b", "'/bus@9200000/dev@9201000' is already given to VM 'a' (a node above or below it)")])

    def test_ancestor_of_another_vms_device(self):
        self.assertEqual(passthrough([vm("a", "/bus@9200000/dev@9201000"), vm("b", "/bus@9200000")], self.BUS), [
            refusal("b", "'/bus@9200000' is already given to VM 'a' (a node above or below it)")])

    def test_devices_of_two_vms_in_one_page(self):
        # kestrel maps whole pages: the second VM would reach the first's device, and the other way
        extra = root(device("dev@9100000", [(0x9100000, 0x1000), (0xA000E00, 0x100)]))
        self.assertEqual(passthrough([vm("a", "/virtio_mmio@a000000"), vm("b", "/virtio_mmio@a000200"),
                                      vm("c", "/dev@9100000"), vm("d", "/virtio_mmio@a001000", "/virtio_mmio@a001200")],
                                     extra + root(device("virtio_mmio@a001000", [(0xA001000, 0x200)]),
                                                  device("virtio_mmio@a001200", [(0xA001200, 0x200)]))), [
            refusal("b", "'/virtio_mmio@a000200' reg[0] shares the 4 KiB page at 0xa000000 with "
                    "'/virtio_mmio@a000000' of VM 'a'"),
            refusal("c", "'/dev@9100000' reg[1] shares the 4 KiB page at 0xa000000 with '/virtio_mmio@a000000' of "
                    "VM 'a'")])

    def test_at_most_four_devices_per_vm(self):
        extra = root(device("dev@9100000", [(0x9100000, 0x1000)]), device("dev@9110000", [(0x9110000, 0x1000)]))
        four = ["/pl061@9030000", "/virtio_mmio@a000000", "/virtio_mmio@a000200", "/dev@9100000"]
        self.assertEqual(passthrough([vm("a", *four), vm("b", "/dev@9110000")], extra), [])
        self.assertEqual(passthrough([vm("a", *four, "/dev@9110000")], extra), [
            refusal("a", "at most 4 devices")])

    def test_one_spi_for_two_vms(self):
        extra = root(device("dev@9100000", [(0x9100000, 0x1000)], [0, 20, 4]),
                     device("dev@9110000", [(0x9110000, 0x1000)], [0, 21, 4, 0, 20, 4]))
        self.assertEqual(passthrough([vm("a", "/dev@9100000"), vm("b", "/dev@9110000")], extra), [
            refusal("b", "'/dev@9110000' SPI 20 is already given to VM 'a'")])


# ------------------------------------------------------------------ interrupts

class Interrupts(unittest.TestCase):
    """Only GIC SPIs given in 'interrupts', below the doorbells, not the guest UART's, 8 at most."""

    def refused(self, interrupts, why, body=""):
        extra = root(device("dev@9100000", [(0x9100000, 0x1000)], interrupts, body))
        self.assertEqual(passthrough([vm("a", "/dev@9100000")], extra), [refusal("a", "'/dev@9100000' " + why)])

    def test_ppi(self):
        self.refused([0, 20, 4, 1, 5, 4], "interrupt 1 is not an SPI (type 1): kestrel forwards only SPIs")

    def test_spi_of_the_doorbells(self):
        self.refused([0, 56, 4], "SPI 56: kestrel forwards SPIs below 56 (the ones above are shared-memory "
                     "doorbells)")

    def test_spi_whose_intid_wraps(self):
        self.refused([0, 0xFFFFFFE0, 4], "SPI 4294967264: kestrel forwards SPIs below 56 (the ones above are "
                     "shared-memory doorbells)")

    def test_guest_uart_spi(self):
        self.refused([0, 1, 4], "SPI 1 is the guest's own UART's")

    def test_kestrels_uart_spi(self):
        # kestrel's console on SPI 8 (QEMU's is on SPI 1, which is also the guest UART's)
        extra = Registers.SECOND_UART + root(device("dev@9100000", [(0x9100000, 0x1000)], [0, 20, 4, 0, 8, 4]))
        self.assertEqual(passthrough([vm("a", "/dev@9100000")], extra), [
            refusal("a", "'/dev@9100000' SPI 8 is kestrel's own UART's")])

    def test_interrupts_not_triples(self):
        self.refused([0, 20], "has an 'interrupts' of 8 bytes, not (type, number, flags) triples")

    def test_empty_and_odd_sized_interrupts(self):
        extra = root(device("dev@9100000", [(0x9100000, 0x1000)], body="interrupts;"),
                     device("dev@9110000", [(0x9110000, 0x1000)], body="interrupts = [00 00 00 00 14];"))
        self.assertEqual(passthrough([vm("a", "/dev@9100000"), vm("b", "/dev@9110000")], extra), [
            refusal("a", "'/dev@9100000' has an 'interrupts' of 0 bytes, not (type, number, flags) triples"),
            refusal("b", "'/dev@9110000' has an 'interrupts' of 5 bytes, not (type, number, flags) triples")])

    def test_interrupts_extended(self):
        self.refused(None, "has 'interrupts-extended': kestrel forwards only GIC SPIs given in 'interrupts'",
                     "interrupts-extended = <&gic 0 20 4>;")

    def test_interrupt_map(self):
        self.refused(None, "routes its children's interrupts ('interrupt-map'): kestrel cannot forward them",
                     "#interrupt-cells = <1>;\ninterrupt-map-mask = <0 0 0 7>;\n"
                     "interrupt-map = <0 0 0 1 &gic 0 0 0 20 4>;")

    def test_nine_spis_in_one_device(self):
        extra = root(device("dev@9100000", [(0x9100000, 0x1000)], [c for s in range(20, 29) for c in (0, s, 4)]))
        self.assertEqual(passthrough([vm("a", "/dev@9100000")], extra), [
            refusal("a", "its devices have more than 8 SPIs")])

    def test_more_than_eight_spis_over_two_devices(self):
        extra = root(device("dev@9100000", [(0x9100000, 0x1000)], [c for s in range(20, 25) for c in (0, s, 4)]),
                     device("dev@9110000", [(0x9110000, 0x1000)], [c for s in range(24, 29) for c in (0, s, 4)]))
        self.assertEqual(passthrough([vm("a", "/dev@9100000", "/dev@9110000")], extra), [
            refusal("a", "its devices have more than 8 SPIs")])


class InterruptParent(unittest.TestCase):
    """'interrupts' mean GIC interrupts only when the nearest interrupt-parent up the tree is the GIC."""

    OTHER = "another interrupt controller than the GIC: kestrel forwards only GIC SPIs"

    def test_parent_another_controller(self):
        extra = root(device("dev@9100000", [(0x9100000, 0x1000)], [3, 4], "interrupt-parent = <&gpio>;"))
        self.assertEqual(passthrough([vm("a", "/dev@9100000")], extra), [
            refusal("a", f"'/dev@9100000' has interrupts of {self.OTHER}")])

    def test_parent_the_its_an_unknown_phandle_or_two_cells(self):
        extra = root(device("dev@9100000", [(0x9100000, 0x1000)], [0, 20, 4], "interrupt-parent = <&its>;"),
                     device("dev@9110000", [(0x9110000, 0x1000)], [0, 21, 4], "interrupt-parent = <0x7777>;"),
                     device("dev@9120000", [(0x9120000, 0x1000)], [0, 22, 4], "interrupt-parent = <&gic &gic>;"))
        vms = [vm("a", "/dev@9100000"), vm("b", "/dev@9110000"), vm("c", "/dev@9120000")]
        self.assertEqual(passthrough(vms, extra), [
            refusal(name, f"'/dev@91{n}0000' has interrupts of {self.OTHER}") for name, n in zip("abc", "012")])

    def test_parent_inherited_from_the_bus(self):
        extra = root("""\tbus@9200000 {
		#address-cells = <2>;
		#size-cells = <2>;
		ranges;
		reg = <0 0x9200000 0 0x1000>;
		interrupt-parent = <&gpio>;
		dev@9201000 {
			reg = <0 0x9201000 0 0x1000>;
			interrupts = <0 21 4>;
		};
	};""")
        self.assertEqual(passthrough([vm("a", "/bus@9200000/dev@9201000")], extra), [
            refusal("a", f"'/bus@9200000/dev@9201000' has interrupts of {self.OTHER}")])


# ------------------------------------------------------------------ VM properties

class Choices(unittest.TestCase):
    """console-label, console-color, crash-message and the other one-of-a-list properties."""

    LABELS = '"prefix", "color" or "both"'
    COLORS = '"red", "green", "yellow", "blue", "magenta", "cyan"'

    def test_accepted_values(self):
        for props in ({"console_label": "both", "console_color": "cyan"}, {"console_label": "color"},
                      {"console_color": "red"}, {"console_label": "prefix"}, {"crash_message": ""},
                      {"crash_message": "x" * 80}, {"on_crash": "restart", "console": "off"}):
            with self.subTest(props=props):
                self.assertEqual(verdict([vm("a", **props)]), [])

    def test_console_label_not_a_choice(self):
        self.assertEqual(verdict([vm("a", console_label="fancy")]), [
            refused("a", f"property 'console-label' must be {self.LABELS}")])

    def test_console_color_not_a_choice_or_not_a_string(self):
        self.assertEqual(verdict([vm("a", console_color="purple"), vm("b", console_color=fdt.cells_value(31)),
                                  vm("c", console_label=strings("both", "prefix"))]), [
            refused("a", f"property 'console-color' must be one of {self.COLORS}"),
            refused("b", f"property 'console-color' must be one of {self.COLORS}"),
            refused("c", f"property 'console-label' must be {self.LABELS}")])

    def test_console_color_with_label_prefix(self):
        self.assertEqual(verdict([vm("a", console_label="prefix", console_color="red")]), [
            refused("a", "property 'console-color': console-label = \"prefix\" shows no colour (use \"both\")")])

    def test_crash_message_too_long_or_not_one_string(self):
        self.assertEqual(verdict([vm("a", crash_message="x" * 81)]), [
            refused("a", "property 'crash-message': longer than 80 characters")])
        for raw in (strings("Kernel", "panic"), fdt.cells_value(1), b"Oops"):
            with self.subTest(raw=raw):
                self.assertEqual(verdict([vm("a", crash_message=raw)]), [
                    refused("a", "property 'crash-message' must be one string")])

    def test_policy_of_two_strings(self):
        # "restart\0stop" is two strings, not "restart": kestrel read only the first once
        self.assertEqual(verdict([vm("a", on_crash=strings("restart", "stop"))]), [
            refused("a", "property 'on-crash' must be \"stop\" or \"restart\"")])


class Names(unittest.TestCase):
    """One rule for a VM's name, kestrel's: 1..31 letters, digits, '-' or '_', starting with a letter."""

    RULE = "the node name must be 1..31 letters, digits, '-' or '_', starting with a letter (it is the VM's name)"

    def test_names(self):
        self.assertEqual(verdict([vm("Vm_2-b"), vm("x" * 31), vm("x" * 32), vm("9lives"), vm("vm@1"), vm("a.b")]),
                         [refused(name, self.RULE) for name in ("x" * 32, "9lives", "vm@1", "a.b")])


class WholeConfiguration(unittest.TestCase):
    """A configuration as the run command checks it: the tool's own checks (check_config, every
    problem prefixed with its VM), then kestrel's rules on the device tree it generates."""

    def check(self, vms, regions=(), mem_total=None):
        conf = config.Config("test.dts", vms, list(regions))
        config.place_modules(conf.vms)
        return config.check_config(conf, mem_total)

    def test_valid_configuration(self):
        vms = [vm("a", cpus=fdt.cells_value(2), console_label="both", console_color="green",
                  crash_message="Kernel panic"),
               vm("b", memory_base=0x60000000, direct_map=True)]
        regions = [shared("shm0", 0x100000, "a", "b")]
        self.assertEqual(self.check(vms, regions), [])
        self.assertEqual(verdict(vms, regions=regions), [])

    def test_memory_may_be_left_to_kestrels_default(self):
        # kestrel gives a VM node without 'memory' 256 MiB (VM_MEM_DEFAULT); the tool sizes the
        # machine for it
        vms = [vm("a", memory=None), vm("b", memory=None)]
        self.assertEqual(self.check(vms), [])
        self.assertEqual(tool_machine.host_ram_size(config.Config(None, vms), []), GiB)
        self.assertEqual(verdict(vms), [])
        self.assertEqual(config.vm_memory(vms[0]), 256 * MiB)
        self.assertEqual(self.check(vms, mem_total=512 * MiB), [
            "vm 'b': property 'memory': the VMs' memory adds up to 512 MiB, more than the 332 MiB a machine "
            "with --mem-total 512M has for VMs"])

    def test_choices_are_named_with_their_vm(self):
        vms = [vm("a"), vm("b", console_label="prefix", console_color="red", crash_message="y" * 90)]
        self.assertEqual(verdict(vms), [refused("b", "property 'crash-message': longer than 80 characters")])

    def test_memory_base(self):
        vms = [vm("unaligned", memory_base=0x40100000), vm("window", memory_base=0x20000000),
               vm("high", memory_base=(1 << 40) - 128 * MiB),
               vm("cells", memory_base=fdt.cells_value(0, 0, 0x80000000)),
               vm("outside", memory_base=0x78000000, direct_map=True),
               vm("images", memory_base=0x48000000, direct_map=True),
               vm("top", memory_base=(1 << 40) - 256 * MiB)]
        # where the tool puts kestrel and the images: only the tool knows
        self.assertEqual(self.check(vms), [
            "vm 'images': property 'memory-base': with direct-map the memory 0x48000000-0x58000000 overlaps "
            "kestrel and the images (0x40000000-0x49e00000)"])
        self.assertEqual(verdict(vms), [
            refused("unaligned", "property 'memory-base': 0x40100000 is not 2 MiB aligned"),
            refused("window", "property 'memory-base': 0x20000000 is in the guest's device window below 0x40000000"),
            refused("high", "property 'memory-base': the memory at 0xfff8000000 would end beyond 1 TiB"),
            refused("cells", "property 'memory-base' must be one or two cells"),
            refused("outside", "property 'memory-base': with direct-map the memory 0x78000000-0x88000000 must lie "
                    "in the machine's RAM 0x40000000-0x80000000")])

    def test_direct_maps_overlapping(self):
        vms = [vm("a", memory_base=0x60000000, direct_map=True),
               vm("b", memory_base=0x60000000),
               vm("c", memory_base=0x6e000000, direct_map=True)]
        self.assertEqual(verdict(vms), [refused("c", "property 'memory-base': its memory overlaps VM 'a''s")])

    def test_shared_regions(self):
        vms = [vm("a"), vm("b")]
        bad_size = shared("zero", 0, "a", "b")
        no_size = shared("nosize", 0x1000, "a", "b")
        del no_size.props["size"]
        size_rule = "property 'size' must be a non-zero multiple of 4 KiB"
        self.assertEqual(verdict(vms, regions=[bad_size, no_size, shared("odd", 5000, "a", "b"),
                                               shared("unknown", 0x1000, "a", "x"), shared("twice", 0x1000, "a", "a"),
                                               shared("alone", 0x1000, "b")]), [
            region_refused("zero", size_rule), region_refused("nosize", size_rule), region_refused("odd", size_rule),
            region_refused("unknown", "property 'vms': no VM named 'x'"),
            region_refused("twice", "property 'vms': names 'a' twice"),
            region_refused("alone", "property 'vms' must name at least two VMs")])

    def test_shared_regions_beyond_kestrels_window(self):
        # From 0x10000000 up to 0x3f000000, each region on a 2 MiB boundary: 4 KiB takes 2 MiB.
        vms = [vm("a"), vm("b")]
        fits = [shared("small", 0x1000, "a", "b"), shared("rest", 750 * MiB, "a", "b")]
        self.assertEqual(verdict(vms, regions=fits), [])
        over = [shared("small", 0x1000, "a", "b"), shared("big", 750 * MiB + 0x1000, "a", "b"),
                shared("after", 0x1000, "a", "b")]
        self.assertEqual(verdict(vms, regions=over), [
            region_refused("big", "property 'size': the shared regions exceed 752 MiB in all")])

    def test_at_most_eight_shared_regions(self):
        vms = [vm("a"), vm("b")]
        regions = [shared(f"shm{i}", 0x1000, "a", "b") for i in range(9)]
        self.assertEqual(verdict(vms, regions=regions[:8]), [])
        self.assertEqual(verdict(vms, regions=regions), [
            region_refused("shm8", "kestrel shares at most 8 regions")])

    def test_limits_come_from_kestrels_headers(self):
        limits = checker.limits()
        self.assertEqual({name: limits[name] for name in ("PCPU_MAX", "VCPU_MAX", "VM_MAX", "SHM_MAX")},
                         {"PCPU_MAX": 8, "VCPU_MAX": 8, "VM_MAX": 8, "SHM_MAX": 8})
        self.assertEqual((limits["VM_MEM_MIN"], limits["VM_MEM_ALIGN"], limits["VM_MEM_DEFAULT"]),
                         (16 * MiB, 2 * MiB, 256 * MiB))
        self.assertLess(limits["VM_MEM_DEFAULT"], GiB)



class VirtioConsoleOption(unittest.TestCase):
    """--virtio-console: the VM node's child for kestrel, only in the --kernel form."""

    def parse(self, *argv):
        return cli.build_parser().parse_args(["run", *argv])

    def one_vm(self, *argv):
        args = self.parse(*argv)
        cli.one_vm_defaults(args)
        return config.config_from_options(args).vms[0]

    def test_the_option_writes_the_child_node(self):
        vm = self.one_vm("--kernel", str(Path(IMAGES.name) / "Image"), "--virtio-console")
        self.assertEqual([(c.name, fdt.prop_string(c.props["compatible"])) for c in vm.children],
                         [("cons", "kestrel,virtio-console")])
        node = tool_machine.vm_node(vm)
        self.assertIn("cons", [c.name for c in node.children])

    def test_without_the_option_no_child(self):
        self.assertEqual(self.one_vm("--kernel", str(Path(IMAGES.name) / "Image")).children, [])

    def test_refused_with_a_configuration_file_and_with_guest_loader(self):
        with self.assertRaisesRegex(Failure, r"--virtio-console cannot be given with it"):
            cli.check_usage(self.parse("examples/two-linux.dts", "--virtio-console"))
        with self.assertRaisesRegex(Failure, r"--guest-loader: --virtio-console cannot be given"):
            cli.check_usage(self.parse("--kernel", "x", "--guest-loader", "--virtio-console"))


class SveOption(unittest.TestCase):
    """--sve-vector-length BITS: the VM node's property, only in the --kernel form; its rules are
    kestrel's."""

    parse = VirtioConsoleOption.parse
    one_vm = VirtioConsoleOption.one_vm

    def test_the_option_writes_the_property(self):
        vm = self.one_vm("--kernel", str(Path(IMAGES.name) / "Image"), "--sve-vector-length", "512")
        self.assertEqual(fdt.prop_cells(vm.props["sve-vector-length"]), [512])

    def test_without_the_option_no_property(self):
        self.assertNotIn("sve-vector-length", self.one_vm("--kernel", str(Path(IMAGES.name) / "Image")).props)

    def test_refused_with_a_configuration_file_and_with_guest_loader(self):
        with self.assertRaisesRegex(Failure, r"--sve-vector-length cannot be given with it"):
            cli.check_usage(self.parse("examples/two-linux.dts", "--sve-vector-length", "256"))
        with self.assertRaisesRegex(Failure, r"--guest-loader: --sve-vector-length cannot be given"):
            cli.check_usage(self.parse("--kernel", "x", "--guest-loader", "--sve-vector-length", "256"))

    def test_kestrel_checks_the_length(self):
        result = subprocess.run([sys.executable, str(TOP / "kestrel"), "run", "--kernel",
                                 str(TOP / "build/guests/hello.bin"), "--sve-vector-length", "100",
                                 "--check-only"],
                                cwd=TOP, stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
        out = (result.stdout + result.stderr).decode(errors="replace")
        self.assertEqual(result.returncode, 1, out)
        self.assertIn("vm 'vm0' refused: property 'sve-vector-length': 100 bits is not a multiple of 128 "
                      "up to 2048", out)


class BlkOption(unittest.TestCase):
    """--blk FILE[,ro]: a kestrel,virtio-blk child per disk, and a QEMU device per disk with
    the serial kestrel finds it by."""

    def parse(self, *argv):
        return cli.build_parser().parse_args(["run", *argv])

    def one_vm_config(self, *argv):
        args = self.parse(*argv)
        cli.one_vm_defaults(args)
        return config.config_from_options(args)

    def test_children_images_and_devices(self):
        folder = Path(IMAGES.name)
        rw, ro = folder / "rw.img", folder / "ro,x.img"
        for image in (rw, ro):
            image.write_bytes(bytes(4096))
        conf = self.one_vm_config("--kernel", str(folder / "Image"), "--virtio-console", "--blk", str(rw),
                                  "--blk", f"{ro},ro")
        vm = conf.vms[0]
        self.assertEqual([c.name for c in vm.children], ["cons", "blk0", "blk1"])
        self.assertEqual(fdt.prop_string(vm.children[2].props["image"]), str(ro.resolve()))
        self.assertNotIn("read-only", vm.children[1].props)
        self.assertIn("read-only", vm.children[2].props)
        self.assertEqual(config.check_vm_disks(vm), [])
        cmd = tool_machine.disk_devices(conf)
        self.assertEqual(cmd[:2], ["-global", "virtio-mmio.force-legacy=false"])
        self.assertIn(f"file={rw.resolve()},if=none,format=raw,id=kdisk0", cmd)
        self.assertIn(f"file={str(ro.resolve()).replace(',', ',,')},if=none,format=raw,id=kdisk1,readonly=on", cmd)
        self.assertIn("virtio-blk-device,drive=kdisk1,serial=vm0/blk1,queue-size=512", cmd)

    def test_image_checks(self):
        folder = Path(IMAGES.name)
        odd, locked = folder / "odd.img", folder / "locked.img"
        odd.write_bytes(bytes(1000))
        locked.write_bytes(bytes(512))
        locked.chmod(0o444)
        vm = self.one_vm_config("--kernel", str(folder / "Image"), "--blk", str(odd), "--blk",
                                str(folder / "none.img"), "--blk", str(locked), "--blk", f"{locked},ro").vms[0]
        problems = config.check_vm_disks(vm)
        self.assertEqual(len(problems), 3 if os.geteuid() else 2, problems)
        self.assertRegex(problems[0], r"node 'blk0': property 'image': .*odd\.img: 1000 bytes, not a whole number")
        self.assertRegex(problems[1], r"node 'blk1': property 'image': .*none\.img: no such file")
        if os.geteuid():  # root may write anything
            self.assertRegex(problems[2], r"node 'blk2': .*locked\.img: not writable \(add read-only;")

    def test_an_image_a_later_disk_shares_with_a_writer_is_attached_read_only_unlocked(self):
        folder = Path(IMAGES.name)
        image = folder / "shared.img"
        image.write_bytes(bytes(512))
        conf = self.one_vm_config("--kernel", str(folder / "Image"), "--blk", str(image), "--blk",
                                  f"{image},ro", "--blk", str(folder / "shared.img"))
        drives = [arg for arg in tool_machine.disk_devices(conf) if arg.startswith("file=")]
        self.assertTrue(drives[0].endswith("id=kdisk0"))
        self.assertTrue(drives[1].endswith("id=kdisk1,readonly=on,file.locking=off"))
        self.assertTrue(drives[2].endswith("id=kdisk2,readonly=on,file.locking=off"))

    def test_no_disks_no_devices(self):
        conf = self.one_vm_config("--kernel", str(Path(IMAGES.name) / "Image"))
        self.assertEqual(tool_machine.disk_devices(conf), [])

    def test_refused_with_a_configuration_file(self):
        with self.assertRaisesRegex(Failure, r"--blk cannot be given with it"):
            cli.check_usage(self.parse("examples/two-linux.dts", "--blk", "x.img"))


class NetOption(VirtioConsoleOption):
    """--net SWITCH: one virtio-net port per option, after the console, only in the --kernel form."""

    def test_the_option_writes_the_child_node(self):
        vm = self.one_vm("--kernel", str(Path(IMAGES.name) / "Image"), "--virtio-console",
                         "--net", "lan0", "--net", "dmz")
        self.assertEqual([(c.name, fdt.prop_string(c.props["compatible"])) for c in vm.children],
                         [("cons", "kestrel,virtio-console"), ("net0", "kestrel,virtio-net"),
                          ("net1", "kestrel,virtio-net")])
        self.assertEqual([fdt.prop_string(c.props["switch"]) for c in vm.children[1:]], ["lan0", "dmz"])
        node = tool_machine.vm_node(vm)
        self.assertEqual([c.name for c in node.children if c.name.startswith("net")], ["net0", "net1"])

    def test_refused_with_a_configuration_file_and_with_guest_loader(self):
        with self.assertRaisesRegex(Failure, r"--net cannot be given with it"):
            cli.check_usage(self.parse("examples/two-linux.dts", "--net", "lan0"))
        with self.assertRaisesRegex(Failure, r"--guest-loader: --net cannot be given"):
            cli.check_usage(self.parse("--kernel", "x", "--guest-loader", "--net", "lan0"))

    def test_kestrel_checks_the_switch_name(self):
        """The name's rules are kestrel's (kestrel-check), not the tool's."""
        def check_only(switch):
            result = subprocess.run([sys.executable, str(TOP / "kestrel"), "run", "--kernel",
                                     str(TOP / "build/guests/hello.bin"), "--net", switch, "--check-only"],
                                    cwd=TOP, stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
            return result.returncode, (result.stdout + result.stderr).decode(errors="replace")

        code, out = check_only("lan 0")
        self.assertEqual(code, 1, out)
        self.assertIn("vm 'vm0' refused: node 'net0': property 'switch' must be the switch's name", out)
        code, out = check_only("lan0")
        self.assertEqual(code, 0, out)


class NicOption(unittest.TestCase):
    """--nic user: the machine's NICs on QEMU's user-mode network, from slot 16 of the virtio-mmio
    window (0x0a002000), never on slot 0's page nor the pages QEMU fills from the top."""

    def test_nics_take_slots_from_16(self):
        cmd = tool_machine.nic_devices(["user", "user"])
        self.assertEqual(cmd, ["-netdev", "user,id=knic0",
                               "-device", "virtio-net-device,netdev=knic0,bus=virtio-mmio-bus.16",
                               "-netdev", "user,id=knic1",
                               "-device", "virtio-net-device,netdev=knic1,bus=virtio-mmio-bus.17"])

    def test_more_than_a_page_of_nics_is_refused(self):
        with self.assertRaisesRegex(Failure, r"--nic: at most 8 NICs"):
            tool_machine.nic_devices(["user"] * 9)

    def test_only_the_user_mode_network(self):
        with self.assertRaises(SystemExit), contextlib.redirect_stderr(io.StringIO()):
            cli.build_parser().parse_args(["run", "--kernel", "x", "--nic", "tap"])


class MteOption(unittest.TestCase):
    """--mte: QEMU's machine gets mte=on (allocation tags for all of its RAM), in both the DTB
    dump and the boot (they share machine_args); without it, nothing about MTE."""

    def machine(self, *argv):
        args = cli.build_parser().parse_args(["run", "--kernel", "x", *argv])
        return tool_machine.machine_args(args, GiB)[1]

    def test_the_option_turns_mte_on(self):
        self.assertEqual(self.machine("--mte"), "virt,virtualization=on,gic-version=3,mte=on")

    def test_without_it_no_mte(self):
        self.assertNotIn("mte", self.machine())

    def test_with_a_configuration_file_too(self):
        args = cli.build_parser().parse_args(["run", "examples/two-linux.dts", "--mte"])
        cli.check_usage(args)
        self.assertIn(",mte=on", tool_machine.machine_option(args))


if __name__ == "__main__":
    # One line per test ("name (module.Class.name) ... ok"), which tests/run_tests.py counts.
    unittest.main(testRunner=unittest.TextTestRunner(verbosity=2, descriptions=False))
