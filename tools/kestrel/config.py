# SPDX-License-Identifier: Apache-2.0
"""A configuration: the VMs and shared regions of a configuration file (or of the one-VM options),
where their images go, and the checks only this tool can make of them."""
import os
import re
import struct
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from .checker import limit
from .common import (ARM64_IMAGE_MAGIC, ARM64_IMAGE_MAGIC_OFFSET, DTC, EXIT_QEMU, HOST_RAM_CEILING,
                     KESTREL_RESERVE, MODULE_ALIGN, MODULE_BASE, RAM_BASE, Failure, align_up,
                     format_size, human_size, note)
from .fdt import (FdtNode, cells_value, parse_fdt, prop_cells, prop_number, prop_string, prop_strings,
                  string_value, u64_value)

# Properties of a VM node that only this tool reads, and those it writes itself.
TOOL_ONLY_PROPS = ("kernel", "ramdisk")
TOOL_SET_PROPS = {"#address-cells": cells_value(2), "#size-cells": cells_value(2)}


@dataclass
class Module:
    kind: str  # "kernel" or "ramdisk"
    path: Path
    addr: int
    size: int


def place_modules(vms):
    """Every VM's kernel and ramdisk, in order from MODULE_BASE, each start 2 MiB aligned."""
    addr, placed = MODULE_BASE, []
    for vm in vms:
        vm.modules = []
        for kind, prop in (("kernel", "kernel"), ("ramdisk", "ramdisk")):
            path = vm.file(prop)
            if path is None or not path.is_file():
                continue  # no image: kestrel will say so (--no-check)
            module = Module(kind, path.resolve(), addr, path.stat().st_size)
            vm.modules.append(module)
            placed.append(module)
            addr = align_up(addr + module.size, MODULE_ALIGN)
    return placed


def modules_end(modules):
    return max((m.addr + m.size for m in modules), default=MODULE_BASE)


@dataclass
class VmSpec:
    """One VM: its node's properties as written, and where its images go once placed."""
    name: str
    props: dict  # property name -> raw value, in the order written, tool-only ones included
    base: Path  # the folder relative image paths start from
    children: list = field(default_factory=list)  # child nodes, copied as they are
    modules: list = field(default_factory=list)  # filled by place_modules

    def file(self, prop):
        """The file a path property names, or None if it is absent or not one string."""
        text = prop_string(self.props.get(prop))
        return self.base / text if text else None

    def memory(self):
        return prop_number(self.props.get("memory"))

    def affinity(self):
        return prop_cells(self.props.get("cpu-affinity"))


@dataclass
class Config:
    source: str  # the file as named on the command line; None for --kernel
    vms: list
    shared: list = field(default_factory=list)  # FdtNode of each kestrel,shared-memory region
    duplicates: list = field(default_factory=list)  # (kind, name, lines) written twice in the source

    def where(self):
        return f"kestrel run: {self.source}: " if self.source else "kestrel run: "

    def workdir_name(self):
        name = self.vms[0].name if self.source is None else Path(self.source).stem
        return re.sub(r"[^A-Za-z0-9_-]", "_", name) or "config"


def config_from_options(args):
    """--kernel and its options: a configuration with one VM."""
    props = {"compatible": string_value("kestrel,vm"), "memory": u64_value(args.mem),
             "cpus": cells_value(args.vcpus), "kernel": string_value(str(Path(args.kernel).absolute())),
             "bootargs": string_value(args.cmdline)}
    if args.initrd is not None:
        props["ramdisk"] = string_value(str(Path(args.initrd).absolute()))
    if args.sve_vector_length is not None:  # its rules are kestrel's (kestrel-check)
        props["sve-vector-length"] = cells_value(args.sve_vector_length)
    if not is_arm64_image(args.kernel):
        props["kernel-format"] = string_value("raw")  # kestrel refuses a non-Image otherwise
    children = []
    if args.virtio_console:
        children.append(FdtNode("cons", {"compatible": string_value("kestrel,virtio-console")}))
    for i, spec in enumerate(args.blk or []):
        path, _, flag = spec.rpartition(",") if spec.endswith(",ro") else (spec, "", "")
        node = FdtNode(f"blk{i}", {"compatible": string_value(BLK_COMPATIBLE),
                                   "image": string_value(path)})
        if flag:
            node.props["read-only"] = b""
        children.append(node)
    for i, switch in enumerate(args.net or []):
        children.append(FdtNode(f"net{i}", {"compatible": string_value("kestrel,virtio-net"),
                                            "switch": string_value(switch)}))
    vm = VmSpec(args.name, props, Path.cwd(), children)
    resolve_disk_images(vm)
    return Config(None, [vm])


BLK_COMPATIBLE = "kestrel,virtio-blk"


@dataclass
class Disk:
    """A VM's kestrel,virtio-blk node: the machine disk the tool attaches for it."""
    vm: str
    node: str
    path: Path
    read_only: bool

    def serial(self):
        """What kestrel finds the disk by (GET_ID); kestrel-check refuses one too long."""
        return f"{self.vm}/{self.node}"


def disk_nodes(vm):
    return [child for child in vm.children if child.is_compatible(BLK_COMPATIBLE)]


def resolve_disk_images(vm):
    """Each disk's image as an absolute path without links, so that kestrel's rule of one
    writer per image sees the same file under any name."""
    for child in disk_nodes(vm):
        text = prop_string(child.props.get("image"))
        if text:
            child.props["image"] = string_value(str((vm.base / text).resolve()))


def disks(config):
    """Every disk of the configuration, in order: the order the tool attaches them in."""
    return [Disk(vm.name, child.name, Path(prop_string(child.props["image"])), "read-only" in child.props)
            for vm in config.vms for child in disk_nodes(vm) if prop_string(child.props.get("image"))]


def compile_config(path):
    """The configuration file as a DTB; dtc's complaints are the user's to fix (exit 1)."""
    try:
        result = subprocess.run([DTC, "-q", "-I", "dts", "-O", "dtb", path],
                                stdin=subprocess.DEVNULL, capture_output=True)
    except FileNotFoundError:
        raise Failure(f"kestrel run: {DTC} not found (run `make setup`)", EXIT_QEMU)
    if result.returncode != 0:
        err = result.stderr.decode(errors="replace").strip()
        raise Failure(f"kestrel run: {path}: dtc cannot compile it:\n{err}")
    return result.stdout


# Enough of dts syntax to see where nodes open and close: comments and strings are skipped,
# so the braces left are node braces (and &{/path} references, which are skipped too).
DTS_TOKENS = re.compile(r"""
      (?P<skip> /\*.*?\*/ | //[^\n]* | "(?:\\.|[^"\\\n])*" | '(?:\\.|[^'\\])' )
    | (?:[A-Za-z_]\w*:\s*)* (?P<open> / | &\{[^}]*\} | &[A-Za-z_]\w* | [A-Za-z0-9,._+@\#-]+ ) \s*\{
    | (?P<pathref> &\{[^}]*\} )
    | (?P<close> \} )
""", re.S | re.X)


def node_definitions(text):
    """Each node block of a dts source: (path, line, body). Blocks opened through a
    &label reference have no known path (None)."""
    stack, blocks = [], []  # stack: [path or None, line, body start]
    for m in DTS_TOKENS.finditer(text):
        if m.group("open"):
            name, parent = m.group("open"), stack[-1][0] if stack else ""
            if name == "/":
                path = "/"
            elif name.startswith("&") or parent is None:
                path = None
            else:
                path = parent.rstrip("/") + "/" + name
            stack.append([path, text.count("\n", 0, m.start("open")) + 1, m.end()])
        elif m.group("close") and stack:
            path, line, start = stack.pop()
            blocks.append((path, line, text[start:m.start()]))
    return blocks


def duplicate_nodes(text):
    """The nodes under /chosen that the source defines more than once: dtc merges them into
    one node (or refuses two in the same block), so two VMs with one name become one VM."""
    seen = {}
    for path, line, body in node_definitions(text):
        if path and re.fullmatch(r"/chosen/[^/]+", path):
            seen.setdefault(path, []).append((line, body))
    duplicates = []
    for path, defs in seen.items():
        if len(defs) > 1:
            shared = any('"kestrel,shared-memory"' in body for _, body in defs)
            kind = "shared region" if shared else "vm"
            duplicates.append((kind, path.split("/")[-1], sorted(line for line, _ in defs)))
    return duplicates


def check_config_file(path):
    p = Path(path)
    if not p.is_file():
        raise Failure(f"kestrel run: {path}: " + ("not a regular file" if p.exists() else "no such file"))
    if not os.access(p, os.R_OK):
        raise Failure(f"kestrel run: {path}: not readable")


def load_config(path, check):
    """Every VM and shared memory region under /chosen of a configuration file."""
    check_config_file(path)
    duplicates = duplicate_nodes(Path(path).read_text(errors="replace"))
    try:
        blob = compile_config(path)
    except Failure:
        if duplicates and check:  # dtc refuses two same-named nodes in one block: say it our way
            raise Failure("\n".join(f"kestrel run: {path}: {p}" for p in duplicate_problems(duplicates)))
        raise
    try:
        root = parse_fdt(blob)
    except (ValueError, struct.error, UnicodeDecodeError) as e:
        raise Failure(f"kestrel run: {path}: cannot read what dtc made of it: {e}", EXIT_QEMU)
    config = Config(path, [], duplicates=duplicates)
    note_ignored(config, root)
    chosen = root.child("chosen") or FdtNode("chosen")
    base = Path(path).absolute().parent
    for node in chosen.children:
        if node.is_compatible("kestrel,vm"):
            config.vms.append(VmSpec(node.name, dict(node.props), base, list(node.children)))
            resolve_disk_images(config.vms[-1])
        elif node.is_compatible("kestrel,shared-memory"):
            config.shared.append(node)
        else:
            note(f"{path}: /chosen/{node.name}: neither compatible \"kestrel,vm\" nor "
                 "\"kestrel,shared-memory\": ignored")
    return config


def note_ignored(config, root):
    """Only /chosen's children are read: say what else the file has."""
    others = [f"/{node.name}" for node in root.children if node.name != "chosen"]
    chosen = root.child("chosen")
    others += [f"/chosen property '{name}'" for name in (chosen.props if chosen else {})]
    others += [f"/ property '{name}'" for name in root.props]
    if others:
        note(f"{config.source}: only the nodes under /chosen are read; ignored: {', '.join(others)}")


# ------------------------------------------------------------------ what only this tool checks
#
# kestrel's own rules (names, memory, vCPUs, policies, placement, passed-through devices, shared
# regions) are not written here: the run command has kestrel-check, kestrel's parser built for
# the host, apply them to the device tree it generates (kestrel.checker). What is left is what
# kestrel cannot see: the files the tool loads and their image headers, the source file as
# written, and whether the machine the tool makes has room for it all. Each check returns its
# problems as sentences, "property 'P': why" where a property is at fault.

def file_problem(path):
    """Why a file cannot be loaded, or None."""
    if not path.exists():
        return "no such file"
    if path.is_dir():
        return "a directory, not a file"
    if not path.is_file():
        return "not a regular file"
    if not os.access(path, os.R_OK):
        return "not readable"
    if path.stat().st_size == 0:
        return "empty file"
    return None


def shown(path):
    """A path as the person running the tool would type it."""
    relative = os.path.relpath(path)
    return relative if not relative.startswith("../../") else str(path)


def check_image_file(vm, prop):
    if prop_string(vm.props[prop]) is None:
        return [f"property '{prop}': must be one string, the path of a file (relative to the "
                "configuration file)"]
    path = vm.file(prop)
    why = file_problem(path)
    return [f"property '{prop}': {shown(path)}: {why}"] if why else []


def check_vm_kernel(vm):
    """The images the tool loads: they exist, and the kernel is an arm64 Image unless the VM
    asks for it raw (kestrel sees only the module, once loaded)."""
    if "kernel" not in vm.props:
        return ["property 'kernel' is missing: give the path of the VM's kernel image "
                "(relative to the configuration file)"]
    problems = check_image_file(vm, "kernel")
    raw_wanted = prop_string(vm.props.get("kernel-format")) == "raw"
    if not problems and not raw_wanted and not is_arm64_image(vm.file("kernel")):
        problems.append(f"property 'kernel': {shown(vm.file('kernel'))} is not an arm64 Image "
                        "(no \"ARM\\x64\" at offset 0x38); for a raw binary, add "
                        "kernel-format = \"raw\";")
    if "ramdisk" in vm.props:
        problems += check_image_file(vm, "ramdisk")
    return problems


def check_vm_disks(vm):
    """A disk's image must be a file the machine can read, and write unless read-only (kestrel
    cannot see files: its rules on disks are about the names)."""
    problems = []
    for child in disk_nodes(vm):
        text = prop_string(child.props.get("image"))
        if not text:
            continue  # kestrel-check says what is wrong with the property
        path = Path(text)
        why = file_problem(path)
        if not why and path.stat().st_size % 512:
            why = f"{path.stat().st_size} bytes, not a whole number of 512-byte sectors"
        if not why and "read-only" not in child.props and not os.access(path, os.W_OK):
            why = "not writable (add read-only; to the node for a disk the VM only reads)"
        if why:
            problems.append(f"node '{child.name}': property 'image': {shown(path)}: {why}")
    return problems


def check_vm_children(vm):
    return [f"node '{child.name}': kestrel run writes the module nodes itself; name the images "
            "with the properties 'kernel' and 'ramdisk'"
            for child in vm.children
            if any(c.startswith("multiboot,") for c in prop_strings(child.props.get("compatible")) or [])]


def vm_memory(vm):
    """The VM's memory as kestrel takes it: 'memory', or kestrel's default when absent (a
    malformed one counts as none: kestrel refuses it)."""
    if "memory" not in vm.props:
        return limit("VM_MEM_DEFAULT")
    return vm.memory() or 0


def check_direct_map_images(vm, images_end):
    """A direct-mapped VM's memory is the machine's at memory-base: not where this tool puts
    kestrel and the images."""
    base = prop_number(vm.props.get("memory-base"))
    if base is None or "direct-map" not in vm.props or not RAM_BASE <= base < images_end:
        return []
    return [f"property 'memory-base': with direct-map the memory 0x{base:x}-0x{base + vm_memory(vm):x} "
            f"overlaps kestrel and the images (0x{RAM_BASE:x}-0x{images_end:x})"]


def duplicate_problems(duplicates):
    return [f"{kind} '{name}': written {len(lines)} times (lines {', '.join(map(str, lines))}); dtc "
            "merges nodes of the same name into one, so give each its own name"
            for kind, name, lines in duplicates]


def shared_sizes(config):
    return [prop_number(region.props.get("size")) or 0 for region in config.shared]


def memory_room(mem_total, modules):
    """What a machine with mem_total bytes of RAM has for VMs: above the images, less kestrel's."""
    if mem_total is None:
        return HOST_RAM_CEILING, f"the {human_size(HOST_RAM_CEILING)} kestrel run gives a machine at most"
    align = limit("VM_MEM_ALIGN")
    room = max(0, RAM_BASE + mem_total - modules_end(modules) - KESTREL_RESERVE) // align * align
    return room, f"the {human_size(room)} a machine with --mem-total {format_size(mem_total)} has for VMs"


def check_memory_total(config, mem_total):
    """The VM whose memory makes the sum exceed what the machine has, with why."""
    room, what = memory_room(mem_total, [m for vm in config.vms for m in vm.modules])
    total = sum(shared_sizes(config))
    for vm in config.vms:
        total += vm_memory(vm)
        if total > room:
            return [f"vm '{vm.name}': property 'memory': the VMs' memory adds up to {human_size(total)}"
                    f"{' with the shared regions' if config.shared else ''}, more than {what}"]
    return []


def check_config(config, mem_total):
    """Every problem of the configuration this tool sees, one line each (empty: kestrel-check
    has the say)."""
    problems = duplicate_problems(config.duplicates)
    images_end = align_up(modules_end([m for vm in config.vms for m in vm.modules]), limit("VM_MEM_ALIGN"))
    for vm in config.vms:
        problems += [f"vm '{vm.name}': {p}" for p in check_vm_kernel(vm) + check_vm_children(vm)
                     + check_vm_disks(vm)
                     + check_direct_map_images(vm, images_end)]
    return problems + check_memory_total(config, mem_total)


def fail_on(config, problems):
    if problems:
        raise Failure("\n".join(config.where() + p for p in problems))


def check_readable(option, path):
    why = file_problem(Path(path))
    if why:
        raise Failure(f"kestrel run: {option} {path}: {why}")


def image_header(path):
    with open(path, "rb") as f:
        return f.read(ARM64_IMAGE_MAGIC_OFFSET + len(ARM64_IMAGE_MAGIC))


def is_arm64_image(path):
    return image_header(path)[ARM64_IMAGE_MAGIC_OFFSET:] == ARM64_IMAGE_MAGIC


def check_loadable(config):
    """Images that are named must exist even with --no-check: there is nothing to load otherwise."""
    for vm in config.vms:
        for prop in TOOL_ONLY_PROPS:
            path = vm.file(prop)
            why = file_problem(path) if path else None
            if why:
                raise Failure(f"{config.where()}vm '{vm.name}': property '{prop}': {shown(path)}: {why}")
    for disk in disks(config):
        why = file_problem(disk.path)
        if why:
            raise Failure(f"{config.where()}vm '{disk.vm}': node '{disk.node}': property 'image': "
                          f"{shown(disk.path)}: {why}")

