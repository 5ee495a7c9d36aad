# SPDX-License-Identifier: Apache-2.0
"""The command line: `kestrel run` and its options, the checks of the options, and the run itself
(configure, generate the device tree, have kestrel-check judge it, boot QEMU)."""
import argparse
import os
import re
import shlex
import shutil
import signal
import sys
from pathlib import Path

from .checker import limit, refuse_on
from .common import (DEFAULT_PCPUS, EXIT_INTERRUPTED, HOST_RAM_SLACK, EXIT_OK, EXIT_USAGE, TOP, Failure, Terminated,
                     format_size, human_size, note, parse_size, raise_terminated)
from .config import (check_config, check_loadable, check_readable, config_from_options, fail_on,
                     is_arm64_image, load_config, place_modules)
from .console import TerminalState, boot
from .machine import (build_dtb, check_machine_ram, default_pcpus, dump_machine_dtb, host_ram_size,
                      qemu_command)

class Parser(argparse.ArgumentParser):
    """argparse exits 2 on a bad option; 2 means "the hypervisor halted" here."""

    def error(self, message):
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see `{self.prog} --help`)\n")


RUN_USAGE = """\
kestrel run CONFIG.dts [options]
       kestrel run --kernel IMAGE [--initrd FILE] [--cmdline STR] [--mem SIZE] [--vcpus N] [options]"""

RUN_DESCRIPTION = """\
Boot kestrel on QEMU's virt machine with every VM that CONFIG.dts describes (see
docs/configuration.md and examples/), or with the one VM that --kernel and its options describe."""

RUN_EPILOG = """\
exit status:
  0    QEMU powered off (kestrel does this once every VM has stopped)
  1    bad option, missing file, kestrel not built, or a configuration file that dtc cannot
       compile or that fails the checks (one line per problem: the VM, the property, why;
       kestrel's own rules are checked by kestrel's own parser, build/tools/kestrel-check,
       and said in its words: "kestrel: vm 'NAME' refused: ...")
  2    the hypervisor halted (a fatal error or a panic; see the console)
  3    --timeout expired
  4    QEMU failed, or dtc on the machine's device tree
  130  interrupted (Ctrl-C)

When stdin is a terminal it is the console. kestrel reads Ctrl-A: Ctrl-A 1..8 gives the input to
VM n (in configuration order), Ctrl-A 0 to kestrel itself, Ctrl-A Ctrl-A types a Ctrl-A.
QEMU's own escape is Ctrl-] instead of its usual Ctrl-A: Ctrl-] x quits QEMU.
"""


def build_parser():
    """The command line; parser.commands maps each command to its own parser."""
    parser = Parser(prog="kestrel", description="Boot the kestrel hypervisor on QEMU.",
                    formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    commands.required = True
    run = commands.add_parser(
        "run", help="boot kestrel with the VMs of a configuration file, or with one VM",
        usage=RUN_USAGE, description=RUN_DESCRIPTION, epilog=RUN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("config", metavar="CONFIG", nargs="?",
                     help="a device tree source file describing the VMs under /chosen")
    run.add_argument("--no-check", action="store_true",
                     help="skip the checks of the VMs before booting (this tool's, and kestrel's own rules "
                     "run by build/tools/kestrel-check), so that kestrel's are seen at boot")
    run.add_argument("--check-only", action="store_true",
                     help="check the configuration (this tool's checks, then kestrel's own rules on the "
                     "device tree kestrel would get) and stop before booting: exit 0 if kestrel takes it")

    vm = run.add_argument_group("one VM without a configuration file")
    vm.add_argument("--kernel", metavar="IMAGE",
                    help="the guest kernel: an arm64 Image, or a raw binary loaded at RAM base + 0x80000")
    vm.add_argument("--initrd", metavar="FILE", help="an initial ramdisk for the guest")
    vm.add_argument("--cmdline", metavar="STR", help="the guest's command line (default: empty)")
    vm.add_argument("--mem", metavar="SIZE", type=parse_size,
                    help="guest RAM, e.g. 512M, 1G or bytes (default: kestrel's default for a VM, from kestrel-check --limits)")
    vm.add_argument("--vcpus", metavar="N", type=int, help="vCPUs (default: 1)")
    vm.add_argument("--name", metavar="NAME", help="the VM's name (default: vm0)")
    vm.add_argument("--sve-vector-length", metavar="BITS", type=int,
                    help="the VM's SVE vector length in bits, a multiple of 128 up to 2048 "
                    "(sve-vector-length; default: the longest the CPU has)")
    vm.add_argument("--virtio-console", action="store_true", default=None,
                    help="give the VM kestrel's virtio-console (virtio-mmio slot 0 at 0x0a000000, SPI 16: "
                    "Linux's hvc0) beside its UART, in the same console; typed input goes to it once the "
                    "guest's driver has started it")
    vm.add_argument("--blk", metavar="FILE[,ro]", action="append",
                    help="give the VM kestrel's virtio-blk on the raw disk image FILE (repeatable; each "
                    "takes the next virtio-mmio slot after --virtio-console's, Linux's /dev/vda, vdb, ...): "
                    "what the guest writes is in FILE afterwards; ,ro makes it read-only (writes fail, "
                    "the guest sees a read-only disk)")
    vm.add_argument("--net", metavar="SWITCH", action="append",
                    help="give the VM a kestrel virtio-net port on the virtual switch SWITCH (repeatable: "
                    "one port each, in the next virtio-mmio slots); every port naming the same switch, "
                    "in any VM, is on one Ethernet segment. The MAC is derived from the VM's name and "
                    "the port's (locally administered); a configuration file can set `mac`")
    vm.add_argument("--guest-loader", action="store_true",
                    help="load --kernel (and --initrd, --cmdline) with QEMU's -device guest-loader: "
                    "modules under /chosen of QEMU's own device tree, the Xen dom0less convention, "
                    "instead of a kestrel,vm node. kestrel makes them one VM, vm0, with 1 vCPU and the "
                    "smaller of its default memory and half the machine's RAM: --mem, --vcpus and --name cannot "
                    "be given")

    machine = run.add_argument_group("the machine")
    machine.add_argument("--pcpus", metavar="N", type=int,
                         help="physical CPUs of the QEMU machine (default: --vcpus; with "
                         f"CONFIG the highest cpu-affinity + 1, at least {DEFAULT_PCPUS})")
    machine.add_argument("--mem-total", metavar="SIZE", type=parse_size,
                         help="the QEMU machine's RAM (default: the VMs' memory, the images and "
                         f"{human_size(HOST_RAM_SLACK)} for kestrel, in 256M steps, at least 1G)")
    machine.add_argument("--icount", action="store_true",
                         help="deterministic instruction counting (-icount shift=0,sleep=off)")
    machine.add_argument("--mte", action="store_true",
                         help="memory tagging: the machine's CPUs get MTE with allocation tags for all "
                         "of its RAM (-machine mte=on), and kestrel gives it to the guests (ID_AA64PFR1_EL1.MTE, "
                         "Linux's `mte`); without it guests see no MTE")
    machine.add_argument("--hyp", metavar="FILE", default=str(TOP / "build" / "kestrel.bin"),
                         help="the hypervisor image (default: build/kestrel.bin)")

    session = run.add_argument_group("the session")
    session.add_argument("--timeout", metavar="S", type=float, default=0,
                         help="stop QEMU after S seconds, exit 3 (default: 0, no limit)")
    session.add_argument("--log", metavar="FILE", help="also write the console output to FILE")
    session.add_argument("--keep", action="store_true",
                         help="keep the working directory build/run/NAME-PID (DTB, DTS, QEMU's stderr)")
    session.add_argument("--disk", metavar="FILE", action="append",
                         help="attach FILE to the machine as a read-only virtio-mmio disk (repeatable); "
                              "a VM reaches it with passthrough = \"/virtio_mmio@a003e00\" and direct-map (DMA)")
    session.add_argument("--nic", metavar="user", action="append", choices=("user",),
                         help="attach a NIC to the machine on QEMU's user-mode network (the host is "
                              "10.0.2.2 there); the k-th (from 0, at most 8) is /virtio_mmio@a002000 + "
                              "k * 0x200, which a direct-mapped VM gets with `passthrough` and bridges "
                              "or routes to its kestrel switch port (docs/virtio.md)")
    session.add_argument("--send", metavar="TEXT", action="append", default=[],
                         help="type TEXT on the console (\\n for Enter, \\x01 for Ctrl-A); may be given "
                         "several times, each typed once its own --send-after matched")
    session.add_argument("--send-after", metavar="REGEX", action="append", default=[],
                         help="the k-th --send waits for the k-th --send-after, searched in the output that "
                         "follows the previous one's match (none or '': send at once)")
    session.add_argument("--dry-run", action="store_true",
                         help="print the QEMU command line and the generated DTS, don't boot")

    testing = run.add_argument_group("testing kestrel's boot checks")
    testing.add_argument("--no-virtualization", action="store_true",
                         help="start the CPUs at EL1 (machine virtualization=off)")
    testing.add_argument("--gic-version", metavar="N", type=int, choices=(2, 3, 4), default=3,
                         help="the machine's GIC version, 2, 3 or 4 (default: 3)")
    testing.add_argument("--selftest", choices=("panic", "write-text", "exec-data", "no-free-pages"),
                         help="kestrel takes an exception at EL2 after booting, to show its panic report: "
                              "panic reads an unmapped address, write-text writes to kestrel's code, "
                              "exec-data executes kestrel's data (both permission faults: W^X); "
                              "no-free-pages instead takes every free page once the VMs are built, "
                              "so that they run with none left")
    testing.add_argument("--no-dtb", action="store_true",
                         help="load kestrel with a generic loader so that x0 holds no DTB")
    parser.commands = {"run": run}
    # `kestrel --help` shows every option: each command's own help follows the summary.
    parser.epilog = "\n".join(f"the {name} command (`kestrel {name} --help`):\n\n{command.format_help()}"
                              for name, command in parser.commands.items())
    return parser


def check_usage(args):
    """CONFIG and --kernel are two ways to say the same thing: exactly one of them."""
    one_vm_options = [opt for opt, value in (("--kernel", args.kernel), ("--initrd", args.initrd),
                                             ("--cmdline", args.cmdline), ("--mem", args.mem),
                                             ("--vcpus", args.vcpus), ("--name", args.name),
                                             ("--sve-vector-length", args.sve_vector_length),
                                             ("--virtio-console", args.virtio_console),
                                             ("--blk", args.blk), ("--net", args.net))
                      if value is not None]
    if args.config is None and args.kernel is None:
        raise Failure("kestrel run: give a configuration file (CONFIG.dts) or --kernel IMAGE "
                      "(see `kestrel run --help`)")
    if args.config is not None and one_vm_options:
        raise Failure(f"kestrel run: {args.config} describes the VMs: {', '.join(one_vm_options)} "
                      "cannot be given with it")
    if args.guest_loader:
        check_guest_loader_usage(args, one_vm_options)
    if len(args.send_after) > len(args.send):
        raise Failure(f"kestrel run: {len(args.send_after)} --send-after but {len(args.send)} --send: "
                      "each --send-after needs its --send")


def check_guest_loader_usage(args, one_vm_options):
    """--guest-loader leaves the VM to kestrel's defaults and QEMU's device tree untouched."""
    if args.kernel is None:
        raise Failure("kestrel run: --guest-loader needs --kernel IMAGE")
    fixed = [opt for opt in one_vm_options
             if opt in ("--mem", "--vcpus", "--name", "--sve-vector-length", "--virtio-console", "--blk",
                        "--net")]
    fixed += [opt for opt, given in (("--selftest", args.selftest), ("--no-dtb", args.no_dtb)) if given]
    if fixed:
        raise Failure(f"kestrel run: --guest-loader: {', '.join(fixed)} cannot be given with it (the VM "
                      "gets kestrel's defaults, and QEMU's own device tree is used as it is)")

# ------------------------------------------------------------------ checks of the options
#
# Their limits are kestrel's, from its headers through kestrel-check --limits.

def check_range(option, value, most):
    if not 1 <= value <= most:
        raise Failure(f"kestrel run: {option} {value}: must be 1..{most}")


def check_mem(mem):
    least, align = limit("VM_MEM_MIN"), limit("VM_MEM_ALIGN")
    if mem < least:
        raise Failure(f"kestrel run: --mem {format_size(mem)}: a VM needs at least {format_size(least)}")
    if mem % align:
        raise Failure(f"kestrel run: --mem {format_size(mem)}: must be a multiple of {format_size(align)} "
                      f"(kestrel maps guest RAM with {human_size(align)} blocks)")


DT_NODE_NAME = re.compile(r"[A-Za-z0-9,._+-]+")


def check_name(name):
    """The name becomes a device tree node name (kestrel's own rule for it is kestrel-check's)."""
    if not DT_NODE_NAME.fullmatch(name):
        raise Failure(f"kestrel run: --name {name!r}: not a device tree node name (letters, digits, "
                      "',', '.', '_', '+', '-')")


def one_vm_defaults(args):
    args.cmdline = "" if args.cmdline is None else args.cmdline
    args.mem = limit("VM_MEM_DEFAULT") if args.mem is None else args.mem
    args.vcpus = 1 if args.vcpus is None else args.vcpus
    args.name = "vm0" if args.name is None else args.name


def check_one_vm_options(args):
    """The --kernel form's own checks, named after its options."""
    check_readable("--kernel", args.kernel)
    if args.initrd is not None:
        check_readable("--initrd", args.initrd)
    check_name(args.name)
    if not args.no_check:
        check_range("--vcpus", args.vcpus, limit("VCPU_MAX"))
        check_mem(args.mem)
    if not is_arm64_image(args.kernel):
        note(f"--kernel {args.kernel}: not an arm64 Image: kestrel will load it raw at RAM base + 0x80000")


def check_hyp(path):
    if not Path(path).is_file():
        raise Failure(f"kestrel run: --hyp {path}: no such file; run `make` first")


def check_session(args):
    if args.timeout < 0:
        raise Failure(f"kestrel run: --timeout {args.timeout:g}: must be >= 0")
    if not args.dry_run:
        check_hyp(args.hyp)


# ------------------------------------------------------------------ the run command

class Workdir:
    """build/run/<name>-<pid>, removed at exit unless --keep."""

    def __init__(self, name, keep):
        self.path = TOP / "build" / "run" / f"{name}-{os.getpid()}"
        self.keep = keep

    def __enter__(self):
        shutil.rmtree(self.path, ignore_errors=True)
        self.path.mkdir(parents=True)
        return self.path

    def __exit__(self, *exc):
        if self.keep:
            print(f"kestrel run: kept {self.path}", file=sys.stderr)
        else:
            shutil.rmtree(self.path, ignore_errors=True)


def print_dry_run(cmd, dts, workdir, args):
    print("# QEMU command line")
    print(shlex.join(cmd))
    print()
    if args.guest_loader:
        print("# no device tree of its own: QEMU's, with the guest-loader modules under /chosen")
    elif dts is None:
        print("# no device tree (--no-dtb)")
    else:
        where = "" if args.keep else "; removed at exit, add --keep to keep it"
        print(f"# generated device tree ({workdir / 'kestrel.dts'}{where})")
        print(dts, end="")


def configure(args):
    """The configuration to boot, from the file or the one-VM options, with its images placed
    and checked unless --no-check; settles --pcpus."""
    if args.config is not None:
        config = load_config(args.config, check=not args.no_check)
        args.pcpus = default_pcpus(config) if args.pcpus is None else args.pcpus
    else:
        one_vm_defaults(args)
        args.pcpus = args.vcpus if args.pcpus is None else args.pcpus
        check_one_vm_options(args)
        config = config_from_options(args)
    check_range("--pcpus", args.pcpus, limit("PCPU_MAX"))
    modules = place_modules(config.vms)
    if args.mem_total is not None:
        check_machine_ram(args.mem_total, modules)
    if not args.no_check:
        # guest-loader modules get the memory kestrel decides from the machine's: not checked here
        fail_on(config, check_config(config, None if args.guest_loader else args.mem_total))
    check_loadable(config)
    check_session(args)
    return config, modules


def cmd_run(args):
    check_usage(args)
    config, modules = configure(args)
    host_ram = args.mem_total or host_ram_size(config, modules)
    interactive = sys.stdin.isatty() and not args.dry_run and not args.send
    with Workdir(config.workdir_name(), args.keep) as workdir:
        dtb, dts = None, None
        if not args.no_dtb and not args.guest_loader:
            machine_dtb = workdir / "machine.dtb"
            dump_machine_dtb(args, host_ram, machine_dtb)
            dtb, dts = build_dtb(config, machine_dtb, workdir, args.selftest)
            if not args.no_check:
                # kestrel's own rules, by kestrel's own parser, on the very DTB it would get
                refuse_on(config, dtb)
        if args.check_only:
            if args.no_check or dtb is None:
                what = "not checked" if args.no_check else "kestrel's own rules not checked (no device tree of this tool's)"
            else:
                what = "kestrel takes every VM and shared region"
            print(f"{config.where()}checked only: {what}", file=sys.stderr)
            return EXIT_OK
        cmd = qemu_command(args, config, host_ram, modules, dtb, interactive)
        if args.dry_run:
            if not Path(args.hyp).is_file():
                note(f"--hyp {args.hyp} does not exist yet; run `make` before booting")
            print_dry_run(cmd, dts, workdir, args)
            return EXIT_OK
        with TerminalState():
            boot(args, cmd, workdir, interactive)
    return EXIT_OK


def main(argv):
    args = build_parser().parse_args(argv)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, raise_terminated)
    try:
        if args.command == "run":
            return cmd_run(args)
    except Failure as e:
        print(e, file=sys.stderr)
        return e.status
    except KeyboardInterrupt:
        print("\nkestrel run: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Terminated as e:
        print(f"kestrel run: stopped by {signal.Signals(e.signum).name}", file=sys.stderr)
        return 128 + e.signum
    except BrokenPipeError:
        # Whoever read our output (| head) went away; QEMU is already stopped.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_USAGE
    return EXIT_USAGE

