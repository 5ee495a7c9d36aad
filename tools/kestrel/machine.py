# SPDX-License-Identifier: Apache-2.0
"""The QEMU machine: its size, the device tree kestrel is given (QEMU's own, dumped, with the VMs
merged in under /chosen), and the QEMU command line that boots it."""
import shlex
import struct
import subprocess
from pathlib import Path

from .checker import limit
from .common import (ARM64_IMAGE_MAGIC, ARM64_IMAGE_MAGIC_OFFSET, DEFAULT_PCPUS, DTC, EXIT_QEMU,
                     HOST_RAM_MIN, HOST_RAM_SLACK, HOST_RAM_STEP, KESTREL_RESERVE, MODULE_BASE, QEMU,
                     QEMU_BOOT_STUB_SIZE, QEMU_ESCAPE, RAM_BASE, RAW_LOAD_OFFSET, Failure, MiB, align_up,
                     format_size)
from .config import TOOL_ONLY_PROPS, TOOL_SET_PROPS, disks, image_header, modules_end, shared_sizes, vm_memory
from .fdt import FdtNode, dts_node, string_value, u64_value

def qemu_image_load_addr(path):
    """Where QEMU's -kernel puts an image (hw/arm/boot.c load_aarch64_image).

    An arm64 Image goes to RAM_BASE + text_offset, 2 MiB higher when it would overlap QEMU's
    boot stub; so text_offset 0 lands at 0x40200000. A raw binary goes to RAM_BASE + 0x80000.
    """
    head = image_header(path)
    if head[ARM64_IMAGE_MAGIC_OFFSET:] != ARM64_IMAGE_MAGIC:
        return RAM_BASE + RAW_LOAD_OFFSET
    text_offset, image_size = struct.unpack_from("<QQ", head, 8)
    if image_size == 0:  # text_offset is only meaningful with image_size
        return RAM_BASE + RAW_LOAD_OFFSET
    if text_offset < QEMU_BOOT_STUB_SIZE:
        text_offset += 2 * MiB
    return RAM_BASE + text_offset


def check_machine_ram(host_ram, modules):
    need = modules_end(modules) - RAM_BASE + KESTREL_RESERVE
    if host_ram < need:
        raise Failure(f"kestrel run: --mem-total {format_size(host_ram)}: the images end at "
                      f"0x{modules_end(modules):x}; the machine needs at least {format_size(align_up(need, MiB))}")


def host_ram_size(config, modules):
    """QEMU's -m: the VMs' RAM, the images, and room for kestrel; >= 1 GiB."""
    memory = sum(vm_memory(vm) for vm in config.vms) + sum(shared_sizes(config))
    need = memory + (modules_end(modules) - MODULE_BASE) + HOST_RAM_SLACK
    return max(align_up(need, HOST_RAM_STEP), HOST_RAM_MIN)


def default_pcpus(config):
    """Enough CPUs for every cpu-affinity, at least DEFAULT_PCPUS, at most kestrel's PCPU_MAX."""
    highest = max((cpu for vm in config.vms for cpu in (vm.affinity() or [])), default=-1)
    return min(limit("PCPU_MAX"), max(DEFAULT_PCPUS, highest + 1))

# ------------------------------------------------------------------ the device tree for kestrel

def qemu_escape(value):
    """A comma inside a QEMU option value is written as two."""
    return str(value).replace(",", ",,")


def machine_option(args):
    virt = "off" if args.no_virtualization else "on"
    mte = ",mte=on" if args.mte else ""
    return f"virt,virtualization={virt},gic-version={args.gic_version}{mte}"


def machine_args(args, host_ram, extra_machine=""):
    """The options that shape the machine; shared by the DTB dump and the boot."""
    return ["-machine", machine_option(args) + extra_machine, "-cpu", "max",
            "-smp", str(args.pcpus), "-m", format_size(host_ram),
            "-nic", "none"]  # no default NIC: it needs an option ROM and the guest can't use it


def run_tool(cmd, what):
    """Run a host tool to completion; its failure is exit 4 with its stderr."""
    try:
        result = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True)
    except FileNotFoundError:
        raise Failure(f"kestrel run: {cmd[0]} not found (run `make setup`)", EXIT_QEMU)
    if result.returncode != 0:
        err = result.stderr.decode(errors="replace").strip()
        raise Failure(f"kestrel run: {what} failed (exit {result.returncode}): {shlex.join(cmd)}\n{err}",
                      EXIT_QEMU)
    return result.stdout


def dump_machine_dtb(args, host_ram, path):
    dumpdtb = ",dumpdtb=" + qemu_escape(path)
    run_tool([QEMU] + machine_args(args, host_ram, dumpdtb) + ["-nographic"], "dumping QEMU's DTB")


def module_node(module, bootargs):
    node = FdtNode(f"module@{module.addr:x}", {
        "compatible": string_value(f"multiboot,{module.kind}") + string_value("multiboot,module"),
        "reg": u64_value(module.addr) + u64_value(module.size)})
    if module.kind == "kernel" and bootargs is not None:
        node.props["bootargs"] = bootargs  # kestrel reads the command line from the kernel module
    return node


def vm_node(vm):
    """The VM's node as kestrel reads it: the properties as written, less the image paths,
    with the images as module nodes."""
    has_kernel = any(m.kind == "kernel" for m in vm.modules)
    node = FdtNode(vm.name)
    for name, raw in vm.props.items():
        if name in TOOL_ONLY_PROPS or name in TOOL_SET_PROPS or (name == "bootargs" and has_kernel):
            continue
        node.props[name] = raw
        if name == "compatible":  # the cell sizes of the module nodes' reg, next to it
            node.props.update(TOOL_SET_PROPS)
    for name, raw in TOOL_SET_PROPS.items():
        node.props.setdefault(name, raw)
    node.children = [module_node(m, vm.props.get("bootargs")) for m in vm.modules] + vm.children
    return node


def chosen_block(config, selftest=None):
    """The /chosen nodes for kestrel, as a dts block dtc merges into QEMU's tree."""
    what = f"from {config.source}" if config.source else "from the command line"
    lines = ["", f"/* the VMs, for kestrel ({what}) */", "/ {", "\tchosen {"]
    if selftest:
        lines += [f'\t\tkestrel,selftest = "{selftest}";', ""]
    nodes = [vm_node(vm) for vm in config.vms] + config.shared
    for i, node in enumerate(nodes):
        lines += ([""] if i else []) + dts_node(node, 2)
    return "\n".join(lines + ["\t};", "};", ""])


def build_dtb(config, machine_dtb, workdir, selftest=None):
    """QEMU's DTB for this exact machine plus the VM nodes; returns (dtb path, dts text)."""
    dts_path, dtb_path = workdir / "kestrel.dts", workdir / "kestrel.dtb"
    base = run_tool([DTC, "-q", "-I", "dtb", "-O", "dts", str(machine_dtb)], "decompiling QEMU's DTB")
    dts = base.decode() + chosen_block(config, selftest)
    dts_path.write_text(dts)
    run_tool([DTC, "-q", "-I", "dts", "-O", "dtb", "-o", str(dtb_path), str(dts_path)], "compiling the DTB")
    return dtb_path, dts


# ------------------------------------------------------------------ QEMU

def loader_device(path, addr, extra=""):
    return ["-device", f"loader,file={qemu_escape(path)},addr=0x{addr:x}{extra}"]


def guest_loader_device(module, bootargs):
    """QEMU writes /chosen/module@ADDR (multiboot,kernel or multiboot,ramdisk) into its own DTB."""
    kind = "kernel" if module.kind == "kernel" else "initrd"
    option = f"guest-loader,addr=0x{module.addr:x},{kind}={qemu_escape(module.path)}"
    if module.kind == "kernel" and bootargs:
        option += f",bootargs={qemu_escape(bootargs)}"
    return ["-device", option]


def disk_devices(config):
    """Each kestrel,virtio-blk node's image as a virtio-blk device of the machine, which kestrel
    drives and finds by its serial; a read-only disk is read-only in QEMU too. They are
    virtio-mmio version 2 (kestrel's driver speaks no legacy transport)."""
    cmd, first = [], {}
    for i, disk in enumerate(disks(config)):
        options = ",readonly=on" if disk.read_only else ""
        earlier = first.setdefault(disk.path, disk)
        if earlier is not disk and not (disk.read_only and earlier.read_only):
            # Only with --no-check: kestrel refuses the VM of this disk (an image a disk writes
            # is no other's), so nothing is written through it; attached read-only and without
            # QEMU's image lock, it lets the machine boot and kestrel say so.
            options = ",readonly=on,file.locking=off"
        cmd += ["-drive", f"file={qemu_escape(disk.path)},if=none,format=raw,id=kdisk{i}" + options,
                "-device", f"virtio-blk-device,drive=kdisk{i},serial={qemu_escape(disk.serial())},"
                f"queue-size={limit('HOSTDISK_QUEUE')}"]
    return ["-global", "virtio-mmio.force-legacy=false"] + cmd if cmd else []


# --nic NICs go on the window's third page, slots 16-23, from its start: never on the page of
# a VM's own virtio slots (from slot 0) nor, with up to eight --disk and disk images, on the
# pages QEMU fills from the top, so each is a page a VM can be given alone.
NIC_FIRST_SLOT, NIC_MAX = 16, 8


def nic_devices(nics):
    """Each --nic as a virtio-net device of the machine on QEMU's user-mode network."""
    if len(nics) > NIC_MAX:
        raise Failure(f"--nic: at most {NIC_MAX} NICs")
    cmd = []
    for i, _kind in enumerate(nics):
        cmd += ["-netdev", f"user,id=knic{i}",
                "-device", f"virtio-net-device,netdev=knic{i},bus=virtio-mmio-bus.{NIC_FIRST_SLOT + i}"]
    return cmd


def qemu_command(args, config, host_ram, modules, dtb, interactive):
    cmd = [QEMU] + machine_args(args, host_ram) + ["-display", "none"]
    # On a terminal the console is interactive: mon:stdio multiplexes QEMU's monitor on it, with
    # Ctrl-] as QEMU's escape (Ctrl-] x quits) so that Ctrl-A reaches kestrel's console switch.
    # Otherwise there is nothing to read and no monitor to reach.
    if interactive:
        cmd += ["-serial", "mon:stdio", "-echr", QEMU_ESCAPE]
    else:
        cmd += ["-serial", "stdio", "-monitor", "none"]
    hyp = str(Path(args.hyp).resolve())
    if args.no_dtb:
        # Entered straight at its first instruction, kestrel finds x0 = 0, not a DTB. It goes
        # where -kernel would have put it: QEMU now places its own DTB at RAM_BASE.
        cmd += loader_device(hyp, qemu_image_load_addr(hyp), ",force-raw=on,cpu-num=0")
    elif args.guest_loader:
        cmd += ["-kernel", hyp]  # a -dtb would replace the DTB where guest-loader writes its modules
    else:
        cmd += ["-kernel", hyp, "-dtb", str(dtb)]
    for module in modules:
        if args.guest_loader:
            cmd += guest_loader_device(module, args.cmdline)
        else:
            cmd += loader_device(module.path, module.addr, ",force-raw=on")
    for i, disk in enumerate(args.disk or []):
        # A virtio-mmio block device of the machine: QEMU fills the transports from the top
        # (the first disk is /virtio_mmio@a003e00), which a VM gets with `passthrough`.
        cmd += ["-drive", f"file={qemu_escape(str(Path(disk).resolve()))},if=none,format=raw,"
                f"id=disk{i},readonly=on", "-device", f"virtio-blk-device,drive=disk{i}"]
    cmd += disk_devices(config)
    cmd += nic_devices(args.nic or [])
    if args.icount:
        cmd += ["-icount", "shift=0,sleep=off"]
    return cmd

