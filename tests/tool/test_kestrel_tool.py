#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The checks ./kestrel makes of a configuration before booting, called directly on machine device
trees built here: most refusals need a machine QEMU cannot make (a second register region on the
UART, a PPI, a device under another interrupt controller...), so the integration cases cannot
reach them. Each refusal is asserted word for word (the VM, the property, the reason), and what
kestrel accepts must be accepted.

Run by tests/run_tests.py (tool/test_kestrel_tool); alone: python3 tests/tool/test_kestrel_tool.py
"""
import importlib.machinery
import importlib.util
import subprocess
import tempfile
import unittest
from pathlib import Path

TOP = Path(__file__).resolve().parents[2]


def load_tool():
    """./kestrel as a module (it has no .py name for import to find)."""
    loader = importlib.machinery.SourceFileLoader("kestrel_tool", str(TOP / "kestrel"))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


tool = load_tool()
MiB = tool.MiB

# QEMU's virt machine (gic-version=3, 1 GiB) as far as the checks read it: the root's
# interrupt-parent is the GIC, the console is /pl011@9000000, the GIC has its ITS as a child.
MACHINE_DTS = """/dts-v1/;
/ {
	interrupt-parent = <&gic>;
	#address-cells = <2>;
	#size-cells = <2>;
	compatible = "linux,dummy-virt";

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


def machine(extra=""):
    """The machine's tree with extra dts (more `/ { ... };` blocks) merged in by dtc, read the way
    the tool reads QEMU's DTB."""
    # dtc's own check of interrupt properties aborts on some of the wrong trees made here on purpose.
    result = subprocess.run([tool.DTC, "-q", "-Wno-interrupts_property", "-I", "dts", "-O", "dtb", "-"],
                            input=(MACHINE_DTS + extra).encode(), capture_output=True)
    if result.returncode != 0:
        raise AssertionError(f"dtc cannot compile the machine: {result.stderr.decode(errors='replace')}")
    return tool.parse_fdt(result.stdout)


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
    return b"".join(tool.string_value(t) for t in texts)


def vm(name, *passthrough, memory=256 * MiB, base=TOP, **props):
    """A VM as the tool reads it from a configuration file; keyword properties are written with
    '-' for '_': strings as strings, ints as two cells, True as an empty property, bytes as is."""
    raw = {"compatible": tool.string_value("kestrel,vm"), "memory": tool.u64_value(memory)}
    if passthrough:
        raw["passthrough"] = strings(*passthrough)
    for key, value in props.items():
        if value is True:
            value = b""
        elif isinstance(value, str):
            value = tool.string_value(value)
        elif isinstance(value, int):
            value = tool.u64_value(value)
        raw[key.replace("_", "-")] = value
    return tool.VmSpec(name, raw, Path(base))


def shared(name, size, *members):
    return tool.FdtNode(name, {"compatible": tool.string_value("kestrel,shared-memory"),
                               "size": tool.u64_value(size), "vms": strings(*members)})


def passthrough(vms, extra="", regions=()):
    """The problems check_passthrough finds, as the tool prints them (less the file name)."""
    return tool.check_passthrough(tool.Config("test.dts", list(vms), list(regions)), machine(extra))


def refusal(vm_name, why):
    return f"vm '{vm_name}': property 'passthrough': {why}"


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

    def test_direct_mapped_vm_may_have_a_device_where_its_ram_would_be(self):
        extra = root(device("dev@30000000", [(0x30000000, 0x1000)]))
        moved = vm("a", "/dev@30000000", memory_base=0x30000000, direct_map=True)
        self.assertEqual(passthrough([moved], extra), [])


# ------------------------------------------------------------------ registers

class Registers(unittest.TestCase):
    """Every reg region, widened to pages, against kestrel's devices, RAM and the guest's layout."""

    def test_second_region_on_kestrels_uart(self):
        extra = root(device("dev@9100000", [(0x9100000, 0x1000), (0x9000000, 0x1000)]))
        self.assertEqual(passthrough([vm("a", "/dev@9100000")], extra), [refusal(
            "a", "/dev@9100000 reg[1] at 0x9000000 is a register page of a device kestrel uses itself")])

    def test_second_region_on_the_gic_redistributors_widened_to_its_page(self):
        extra = root(device("dev@9100000", [(0x9100000, 0x1000), (0x80b0010, 0x4)]))
        self.assertEqual(passthrough([vm("a", "/dev@9100000")], extra), [refusal(
            "a", "/dev@9100000 reg[1] at 0x80b0000 is a register page of a device kestrel uses itself")])

    def test_kestrels_own_devices_and_what_is_inside_them(self):
        self.assertEqual(passthrough([vm("a", "/pl011@9000000"), vm("b", "/intc@8000000/its@8080000")]), [
            refusal("a", "/pl011@9000000 is a device kestrel uses itself"),
            refusal("b", "/intc@8000000/its@8080000 is part of /intc@8000000, a device kestrel uses itself")])

    def test_machine_ram_and_guest_ram(self):
        extra = root(device("dev@9100000", [(0x9100000, 0x1000), (0x30000000, 0x1000)]))
        self.assertEqual(passthrough([vm("a", "/memory@40000000"), vm("b", "/dev@9100000", memory_base=0x30000000)],
                                     extra), [
            refusal("a", "/memory@40000000 reg[0] at 0x40000000 overlaps the machine's RAM: every VM's memory "
                    "and kestrel's would be the guest's"),
            refusal("b", "/dev@9100000 reg[1] at 0x30000000 overlaps the guest's RAM at 0x30000000")])

    def test_missing_malformed_empty_and_wrapping_reg(self):
        extra = root("\tnoreg@9100000 {\n\t\tcompatible = \"x\";\n\t};",
                     "\tbadreg@9110000 {\n\t\treg = <0 0x9110000 0>;\n\t};",
                     device("empty@9120000", [(0x9120000, 0)]),
                     device("top@fffffffffffff000", [(0xFFFFFFFFFFFFF000, 0x2000)]))
        self.assertEqual(passthrough([vm("a", "/noreg@9100000"), vm("b", "/badreg@9110000"),
                                      vm("c", "/empty@9120000"), vm("d", "/top@fffffffffffff000")], extra), [
            refusal("a", "/noreg@9100000 has no registers to map (no 'reg' property)")] + [
            refusal(name, f"{path} has a malformed 'reg' (or a region of size 0, or one reaching into the last "
                    "page of the address space)")
            for name, path in (("b", "/badreg@9110000"), ("c", "/empty@9120000"), ("d", "/top@fffffffffffff000"))])

    def test_not_a_path_and_not_in_the_machine(self):
        bad = vm("b")
        bad.props["passthrough"] = b"\x01\x02"
        self.assertEqual(passthrough([vm("a", "pl061@9030000", "/gpio@1234"), bad]), [
            refusal("a", '"pl061@9030000" is not an absolute path to a device, e.g. "/pl061@9030000"'),
            refusal("a", "/gpio@1234 is not in the machine's device tree"),
            refusal("b", 'must be paths in the machine\'s device tree, e.g. "/pl061@9030000"')])


# ------------------------------------------------------------------ shared regions

class SharedRegions(unittest.TestCase):
    """A member VM's device must not sit where kestrel maps a shared region or the doorbells."""

    def test_device_on_a_shared_regions_ipa(self):
        # shm0 takes 0x10000000 (4 KiB), shm1 the next 2 MiB boundary, 0x10200000.
        extra = root(device("dev@9100000", [(0x9100000, 0x1000), (0x10200800, 0x100)]))
        regions = [shared("shm0", 0x1000, "a", "b"), shared("shm1", 0x1000, "a", "c")]
        self.assertEqual(passthrough([vm("a"), vm("b"), vm("c", "/dev@9100000")], extra, regions), [refusal(
            "c", "/dev@9100000 reg[1] at 0x10200000 is where shared region 'shm1' goes in the VM (0x10200000)")])

    def test_device_on_the_doorbell_page(self):
        extra = root(device("dev@ffff000", [(0xFFFF000, 0x1000)]), device("dev@fffe000", [(0xFFFE000, 0x1008)]))
        regions = [shared("shm0", 0x100000, "a", "b")]
        self.assertEqual(passthrough([vm("a", "/dev@ffff000"), vm("b", "/dev@fffe000")], extra, regions), [
            refusal("a", "/dev@ffff000 reg[0] at 0xffff000 is where the shared regions' doorbell registers go "
                    "in the VM (0xffff000)"),
            refusal("b", "/dev@fffe000 reg[0] at 0xfffe000 is where the shared regions' doorbell registers go "
                    "in the VM (0xffff000)")])


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
            refusal("b", "/pl061@9030000 is already given to vm 'a'")])

    def test_descendant_of_another_vms_device(self):
        self.assertEqual(passthrough([vm("a", "/bus@9200000"), vm("b", "/bus@9200000/dev@9201000")], self.BUS), [
            refusal("b", "/bus@9200000/dev@9201000 is already given to vm 'a' (as /bus@9200000)")])

    def test_ancestor_of_another_vms_device(self):
        self.assertEqual(passthrough([vm("a", "/bus@9200000/dev@9201000"), vm("b", "/bus@9200000")], self.BUS), [
            refusal("b", "/bus@9200000 is already given to vm 'a' (as /bus@9200000/dev@9201000)")])

    def test_at_most_four_devices_per_vm(self):
        extra = root(device("dev@9100000", [(0x9100000, 0x1000)]), device("dev@9110000", [(0x9110000, 0x1000)]))
        four = ["/pl061@9030000", "/virtio_mmio@a000000", "/virtio_mmio@a000200", "/dev@9100000"]
        self.assertEqual(passthrough([vm("a", *four), vm("b", "/dev@9110000")], extra), [])
        self.assertEqual(passthrough([vm("a", *four, "/dev@9110000")], extra), [
            refusal("a", "kestrel gives a VM at most 4 devices and it names 5")])

    def test_one_spi_for_two_vms(self):
        extra = root(device("dev@9100000", [(0x9100000, 0x1000)], [0, 20, 4]),
                     device("dev@9110000", [(0x9110000, 0x1000)], [0, 21, 4, 0, 20, 4]))
        self.assertEqual(passthrough([vm("a", "/dev@9100000"), vm("b", "/dev@9110000")], extra), [
            refusal("b", "/dev@9110000 SPI 20 is already given to vm 'a'")])


# ------------------------------------------------------------------ interrupts

class Interrupts(unittest.TestCase):
    """Only GIC SPIs given in 'interrupts', below the doorbells, not the guest UART's, 8 at most."""

    def refused(self, interrupts, why, body=""):
        extra = root(device("dev@9100000", [(0x9100000, 0x1000)], interrupts, body))
        self.assertEqual(passthrough([vm("a", "/dev@9100000")], extra), [refusal("a", "/dev@9100000 " + why)])

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

    def test_interrupts_not_triples(self):
        self.refused([0, 20], "has an 'interrupts' of 8 bytes, not (type, number, flags) triples")

    def test_empty_and_odd_sized_interrupts(self):
        extra = root(device("dev@9100000", [(0x9100000, 0x1000)], body="interrupts;"),
                     device("dev@9110000", [(0x9110000, 0x1000)], body="interrupts = [00 00 00 00 14];"))
        self.assertEqual(passthrough([vm("a", "/dev@9100000"), vm("b", "/dev@9110000")], extra), [
            refusal("a", "/dev@9100000 has an 'interrupts' of 0 bytes, not (type, number, flags) triples"),
            refusal("b", "/dev@9110000 has an 'interrupts' of 5 bytes, not (type, number, flags) triples")])

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
            refusal("a", f"/dev@9100000 has interrupts of {self.OTHER}")])

    def test_parent_the_its_an_unknown_phandle_or_two_cells(self):
        extra = root(device("dev@9100000", [(0x9100000, 0x1000)], [0, 20, 4], "interrupt-parent = <&its>;"),
                     device("dev@9110000", [(0x9110000, 0x1000)], [0, 21, 4], "interrupt-parent = <0x7777>;"),
                     device("dev@9120000", [(0x9120000, 0x1000)], [0, 22, 4], "interrupt-parent = <&gic &gic>;"))
        vms = [vm("a", "/dev@9100000"), vm("b", "/dev@9110000"), vm("c", "/dev@9120000")]
        self.assertEqual(passthrough(vms, extra), [
            refusal(name, f"/dev@91{n}0000 has interrupts of {self.OTHER}") for name, n in zip("abc", "012")])

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
            refusal("a", f"/bus@9200000/dev@9201000 has interrupts of {self.OTHER}")])


# ------------------------------------------------------------------ VM properties

class Choices(unittest.TestCase):
    """console-label, console-color, crash-message and the other one-of-a-list properties."""

    LABELS = '"prefix", "color", "both"'
    COLORS = '"red", "green", "yellow", "blue", "magenta", "cyan"'

    def test_accepted_values(self):
        for props in ({"console_label": "both", "console_color": "cyan"}, {"console_label": "color"},
                      {"console_color": "red"}, {"console_label": "prefix"}, {"crash_message": ""},
                      {"crash_message": "x" * 80}, {"on_crash": "restart", "console": "off"}):
            with self.subTest(props=props):
                self.assertEqual(tool.check_vm_choices(vm("a", **props)), [])

    def test_console_label_not_a_choice(self):
        self.assertEqual(tool.check_vm_choices(vm("a", console_label="fancy")), [
            f"property 'console-label': \"fancy\" is not one of {self.LABELS}"])

    def test_console_color_not_a_choice_or_not_a_string(self):
        self.assertEqual(tool.check_vm_choices(vm("a", console_color="purple")), [
            f"property 'console-color': \"purple\" is not one of {self.COLORS}"])
        self.assertEqual(tool.check_vm_choices(vm("a", console_color=tool.cells_value(31))), [
            f"property 'console-color': must be one string, one of {self.COLORS}"])
        self.assertEqual(tool.check_vm_choices(vm("a", console_label=strings("both", "prefix"))), [
            f"property 'console-label': must be one string, one of {self.LABELS}"])

    def test_console_color_with_label_prefix(self):
        self.assertEqual(tool.check_vm_choices(vm("a", console_label="prefix", console_color="red")), [
            "property 'console-color': console-label = \"prefix\" shows no colour (use \"both\")"])

    def test_crash_message_too_long_or_not_one_string(self):
        self.assertEqual(tool.check_vm_choices(vm("a", crash_message="x" * 81)), [
            "property 'crash-message': longer than 80 characters"])
        for raw in (strings("Kernel", "panic"), tool.cells_value(1), b"Oops"):
            with self.subTest(raw=raw):
                self.assertEqual(tool.check_vm_choices(vm("a", crash_message=raw)), [
                    "property 'crash-message': must be one string, e.g. \"Kernel panic\" (\"\" for none)"])


class WholeConfiguration(unittest.TestCase):
    """check_config as the run command calls it: every problem prefixed with its VM or region."""

    def setUp(self):
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        self.dir = Path(folder.name)
        image = bytearray(64)
        image[tool.ARM64_IMAGE_MAGIC_OFFSET:] = tool.ARM64_IMAGE_MAGIC
        (self.dir / "Image").write_bytes(bytes(image))

    def check(self, vms, regions=(), machine_ram=tool.GiB):
        config = tool.Config("test.dts", vms, list(regions))
        tool.place_modules(config.vms)
        return tool.check_config(config, 2, None, machine_ram)

    def vm(self, name, **props):
        return vm(name, base=self.dir, kernel="Image", **props)

    def test_valid_configuration(self):
        vms = [self.vm("a", cpus=tool.cells_value(2), console_label="both", console_color="green",
                       crash_message="Kernel panic"),
               self.vm("b", memory_base=0x60000000, direct_map=True)]
        self.assertEqual(self.check(vms, [shared("shm0", 0x100000, "a", "b")]), [])

    def test_choices_are_named_with_their_vm(self):
        vms = [self.vm("a"), self.vm("b", console_label="prefix", console_color="red", crash_message="y" * 90)]
        self.assertEqual(self.check(vms), [
            "vm 'b': property 'console-color': console-label = \"prefix\" shows no colour (use \"both\")",
            "vm 'b': property 'crash-message': longer than 80 characters"])

    def test_memory_base(self):
        vms = [self.vm("unaligned", memory_base=0x40100000), self.vm("window", memory_base=0x20000000),
               self.vm("high", memory_base=(1 << 40) - 128 * MiB),
               self.vm("cells", memory_base=tool.cells_value(0, 0, 0x80000000)),
               self.vm("outside", memory_base=0x78000000, direct_map=True),
               self.vm("images", memory_base=0x48000000, direct_map=True),
               self.vm("top", memory_base=(1 << 40) - 256 * MiB)]
        self.assertEqual(self.check(vms), [
            "vm 'unaligned': property 'memory-base': 0x40100000 is not 2 MiB aligned",
            "vm 'window': property 'memory-base': 0x20000000 is in the guest's device window below 0x40000000",
            "vm 'high': property 'memory-base': the memory would end at 0x10008000000, beyond 1 TiB",
            "vm 'cells': property 'memory-base': must be one or two cells, an address, e.g. <0x0 0x80000000>",
            "vm 'outside': property 'memory-base': with direct-map the memory 0x78000000-0x88000000 must lie in "
            "the machine's RAM 0x40000000-0x80000000",
            "vm 'images': property 'memory-base': with direct-map the memory 0x48000000-0x58000000 overlaps "
            "kestrel and the images (0x40000000-0x49e00000)"])

    def test_direct_maps_overlapping(self):
        vms = [self.vm("a", memory_base=0x60000000, direct_map=True),
               self.vm("b", memory_base=0x60000000),
               self.vm("c", memory_base=0x6e000000, direct_map=True)]
        self.assertEqual(self.check(vms), [
            "vm 'c': property 'memory-base': its memory 0x6e000000-0x7e000000 overlaps VM 'a''s"])

    def test_shared_regions(self):
        vms = [self.vm("a"), self.vm("b")]
        bad_size = shared("zero", 0, "a", "b")
        no_size = shared("nosize", 0x1000, "a", "b")
        del no_size.props["size"]
        self.assertEqual(self.check(vms, [bad_size, no_size, shared("odd", 5000, "a", "b"),
                                          shared("unknown", 0x1000, "a", "x"), shared("twice", 0x1000, "a", "a"),
                                          shared("alone", 0x1000, "b")]), [
            "shared region 'zero': property 'size': 0 bytes is not a multiple of 4 KiB (it is zero)",
            "shared region 'nosize': property 'size' is missing: give its size in bytes, "
            "e.g. size = <0x0 0x100000>;",
            "shared region 'odd': property 'size': 5000 bytes is not a multiple of 4 KiB",
            "shared region 'unknown': property 'vms': no VM named 'x'",
            "shared region 'twice': property 'vms': names 'a' twice",
            "shared region 'twice': property 'vms' must name at least two VMs",
            "shared region 'alone': property 'vms' must name at least two VMs"])

    def test_shared_regions_beyond_kestrels_window(self):
        # From 0x10000000 up to 0x3f000000, each region on a 2 MiB boundary: 4 KiB takes 2 MiB.
        vms = [self.vm("a"), self.vm("b")]
        fits = [shared("small", 0x1000, "a", "b"), shared("rest", 750 * MiB, "a", "b")]
        self.assertEqual(self.check(vms, fits), [])
        over = [shared("small", 0x1000, "a", "b"), shared("big", 750 * MiB + 0x1000, "a", "b"),
                shared("after", 0x1000, "a", "b")]
        self.assertEqual(self.check(vms, over), [
            "shared region 'big': property 'size': the shared regions exceed 752 MiB in all "
            "(kestrel places them from 0x10000000 to 0x3f000000, each on a 2 MiB boundary)"])

    def test_at_most_eight_shared_regions(self):
        vms = [self.vm("a"), self.vm("b")]
        regions = [shared(f"shm{i}", 0x1000, "a", "b") for i in range(9)]
        self.assertEqual(self.check(vms, regions[:8]), [])
        self.assertEqual(self.check(vms, regions), [
            "shared region 'shm8': kestrel shares at most 8 regions and this file describes 9"])


if __name__ == "__main__":
    # One line per test ("name (module.Class.name) ... ok"), which tests/run_tests.py counts.
    unittest.main(testRunner=unittest.TextTestRunner(verbosity=2, descriptions=False))
