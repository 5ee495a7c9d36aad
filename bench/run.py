#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""kestrel's benchmarks (`make bench`; docs/benchmarks.md explains the method).

1. Exit costs: boots the benchmark guest (build/bench/benchguest.bin) under
   `./kestrel run --icount --vcpus 2`, where the counter advances by one per executed
   instruction, and reads its "BENCH <name> <instructions per round trip> <rounds>" lines;
   then once more in its virtio mode with a virtio-net port (notify exits, interrupts).
2. World switch: boots bench/world-switch.dts, two copies of the benchmark guest sharing
   physical CPU 0, with --icount, and reads the same kind of line from the VM that measures;
   then bench/world-switch-pmu.dts, the same with both guests' PMUs counting.
3. Linux boot to user space: Debian's bookworm kernel with a tiny initramfs whose /init prints
   a marker, under kestrel and on bare QEMU, back to back, in wall time and in virtual time
   (-icount: the guest's /proc/uptime at the marker).
4. Footprint: kestrel's text/data/bss, and what its boot banner says about memory.
5. Virtual I/O: Linux VMs writing and reading a virtio disk (dd, O_DIRECT) and fetching a file
   over TCP from each other, under kestrel with and without VIRTIO_F_EVENT_IDX and on bare QEMU
   (its own virtio-blk on the same image; two machines joined by -netdev socket), with
   kestrel's exits, notifies and interrupts per MiB (bench/io-init.sh; --io-only runs it alone).
   The three configurations of a kind are booted at once and take turns, one measured step
   (a dd, a fetch) at a time, so that each ratio compares neighbouring steps: the shared host's
   slow spells, which last seconds to minutes, then fall on both sides.

Writes build/bench/results.csv (the exit measurements: name, instructions, target, status),
build/bench/boot.csv (every Linux run), build/bench/footprint.csv, build/bench/results.md (all
tables in Markdown, for docs/benchmarks.md) and, when gnuplot is installed, the chart
build/bench/exits.png and exits.svg. Prints the same tables.

It builds nothing: `make bench` builds first. Exits 1 if a measurement could not be made;
figures above their targets are reported, not failures (unless --strict).
"""
import argparse
import csv
import os
import re
import select
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

TOP = Path(__file__).resolve().parent.parent
OUT = TOP / "build" / "bench"
KESTREL = TOP / "kestrel"
KESTREL_ELF = TOP / "build" / "kestrel.elf"
BENCH_GUEST = OUT / "benchguest.bin"
SWITCH_CONFIG = TOP / "bench" / "world-switch.dts"
SWITCH_PMU_CONFIG = TOP / "bench" / "world-switch-pmu.dts"  # the same VMs, their PMUs counting
SWITCH_VMS = ("sleeper", "spinner")  # the VMs of SWITCH_CONFIG; each ends with "BENCH done"
BOOT_INITRAMFS = OUT / "boot-initramfs.cpio.gz"
LINUX_IMAGE = TOP / "build" / "cache" / "linux" / "bookworm" / "Image"
CROSS = os.environ.get("CROSS", "aarch64-linux-gnu-")

GUEST_TIMEOUT = 120  # seconds; the benchmark guest needs a few
LINUX_TIMEOUT = 300  # seconds per Linux boot (icount is the slow one)
LINUX_CMDLINE = "console=ttyAMA0 quiet"
LINUX_VCPUS = 2
LINUX_MEM = "512M"
BARE_QEMU_MEM = "1G"
ICOUNT = ["-icount", "shift=0,sleep=off"]
USERSPACE_MARKER = re.compile(rb"BENCH-USERSPACE uptime=([0-9]+\.[0-9]+)")
VM_CREATED = re.compile(rb"kestrel: vm '[^']+': \d+ vCPU")


@dataclass
class Row:
    """One exit measurement: its target, and Linux KVM measured the same way, if known."""
    name: str
    what: str
    target: int  # None: reported without a target
    kvm: str = ""


# Targets in instructions per round trip (docs/benchmarks.md). A measurement the guest reports
# that is not listed here still appears, with no target.
ROWS = [
    Row("null_hypercall", "null hypercall: HVC #0, SMCCC_VERSION", 80, "~990"),
    Row("psci_version", "PSCI_VERSION through HVC", 100, "~1060"),
    Row("sysreg_read_id", "trapped sysreg read: ID_AA64PFR0_EL1", 100, "1200-1470"),
    Row("sysreg_read_actlr", "trapped sysreg read: ACTLR_EL1", 100, "1200-1470"),
    Row("sysreg_write_mdscr", "trapped sysreg write: MDSCR_EL1", 100),
    Row("mmio_read_uart", "emulated MMIO read: UART flag register", 200),
    Row("mmio_read_gicd", "emulated MMIO read: GICD_TYPER", 200, "~1790"),
    Row("virtual_ipi", "virtual IPI, target vCPU in WFI", 800),
    Row("virtual_ipi_busy", "virtual IPI, target vCPU running", 800),
    Row("timer_latency_busy", "virtual timer IRQ latency, vCPU running", 400, "~2400"),
    Row("timer_latency_wfi", "virtual timer IRQ latency, vCPU in WFI", 400),
    Row("world_switch", "world switch between two VMs sharing a physical CPU", None),
    Row("world_switch_pmu", "world switch between two VMs sharing a physical CPU, both using the PMU",
        None),
    Row("virtio_notify_empty", "virtio notify exit, nothing waiting (QueueNotify write)", None),
    Row("virtio_net_tx", "virtio-net notify sending one frame, no interrupt", None),
    Row("virtio_net_tx_event_idx", "the same with VIRTIO_F_EVENT_IDX negotiated", None),
    Row("virtio_used_irq", "used-buffer interrupt: raised, taken, status read and ACK", None),
    Row("boot_to_guest", "kestrel's boot and building the 256 MiB VM, to the guest's main()", None),
]

BOOT_RATIO_TARGET = 1.10
# kestrel's code and data. 128 KiB until the virtual CPU and virtual I/O rounds, which added the
# PMU, debug, SVE, MTE and pointer-authentication switching, the ITS and the virtio devices with
# their switch and disk driver (about 20 KiB between them, each area's share in the footprint
# table): 160 KiB keeps the whole hypervisor a size one person can read.
TEXT_DATA_TARGET = 160 * 1024


class BenchError(Exception):
    pass


def rel(path):
    try:
        return str(Path(path).relative_to(TOP))
    except ValueError:
        return str(path)


def console_lines(data):
    return data.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n").splitlines()


def tail(text_lines, n=25):
    return "\n".join("    | " + line for line in text_lines[-n:])


# ------------------------------------------------------------------ exit costs

BENCH_LINE = re.compile(r"\bBENCH (\S+)(?: (\d+(?:\.\d+)?) (\d+))?\s*$")
BENCH_ERROR = re.compile(r"\bBENCH-ERROR (.*)$")
BANNER_MEMORY = re.compile(r"memory: (\d+) MiB at 0x[0-9a-f]+, (\d+) MiB free after kestrel and images")
BANNER_VERSION = re.compile(r"kestrel (\S+): a Type-1 hypervisor")
BANNER_VM_COST = re.compile(r"vm '([^']+)':.*?stage-2 tables (\d+) KiB")


VM_PREFIX = re.compile(r"^\[([^\]]+)\] ")


def run_guests(what, cmd, vms):
    """Runs cmd (./kestrel run ...) to its end and reads the benchmark guests' lines.

    vms: the VM names whose lines count, each of which must say "BENCH done"; None for a
    single VM, whose lines have no "[name] " prefix. Returns ({vm: {name: (value, rounds)}},
    console lines); the single VM's results are under None.
    """
    print(f"{what}: {' '.join(rel(c) if c.startswith(str(TOP)) else c for c in cmd)}", flush=True)
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True)
    lines = console_lines(proc.stdout)
    results, errors, done = {vm: {} for vm in vms or [None]}, [], set()
    for line in lines:
        vm = None
        if vms:
            m = VM_PREFIX.match(line)
            if not m or m.group(1) not in results:
                continue
            vm, line = m.group(1), line[m.end():]
        m = BENCH_ERROR.search(line)
        if m:
            errors.append(f"[{vm}] {m.group(1)}" if vm else m.group(1))
            continue
        m = BENCH_LINE.search(line)
        if not m:
            continue
        if m.group(1) == "done" and m.group(2) is None:
            done.add(vm)
        elif m.group(2) is not None:
            results[vm][m.group(1)] = (float(m.group(2)), int(m.group(3)))
    missing = [vm for vm in results if vm not in done]
    if proc.returncode != 0 or missing or errors:
        why = [f"./kestrel exited {proc.returncode}"] if proc.returncode else []
        why += [f"no 'BENCH done' line{' from ' + ', '.join(missing) if vms else ''}"] if missing else []
        why += errors
        raise BenchError(f"{what}: the benchmark guest failed: " + "; ".join(why) + "\n" + tail(lines) +
                         "\n" + proc.stderr.decode(errors="replace").strip())
    return results, lines


def run_exit_benchmarks():
    """Boots the benchmark guest once; returns ({name: (value, rounds)}, console lines)."""
    cmd = [str(KESTREL), "run", "--kernel", str(BENCH_GUEST), "--vcpus", "2", "--icount",
           "--timeout", str(GUEST_TIMEOUT), "--log", str(OUT / "benchguest.log")]
    results, lines = run_guests("exit costs", cmd, None)
    return results[None], lines


def run_virtio_bench():
    """Boots the benchmark guest in its virtio mode, with a virtio-net port alone on a switch."""
    cmd = [str(KESTREL), "run", "--kernel", str(BENCH_GUEST), "--vcpus", "1", "--icount",
           "--net", "benchlan", "--cmdline", "virtio", "--timeout", str(GUEST_TIMEOUT),
           "--log", str(OUT / "benchguest-virtio.log")]
    results, _ = run_guests("virtio exits", cmd, None)
    return results[None]


def run_world_switch(config=SWITCH_CONFIG, name="world_switch"):
    """Boots config (SWITCH_CONFIG or SWITCH_PMU_CONFIG) once; returns {name: (value, rounds)},
    from the spinner."""
    what = name.replace("_", " ")
    cmd = [str(KESTREL), "run", str(config), "--icount", "--timeout", str(GUEST_TIMEOUT),
           "--log", str(OUT / f"{name.replace('_', '-')}.log")]
    results, lines = run_guests(what, cmd, SWITCH_VMS)
    if name not in results["spinner"]:
        raise BenchError(f"{what}: the spinner VM reported no {name}\n" + tail(lines))
    return {name: results["spinner"][name]}


def status_of(value, target):
    if target is None:
        return "no-target"
    return "ok" if value <= target else "over"


def exit_rows(results):
    """[(Row, value, rounds, status)] in ROWS order, then anything the guest added."""
    rows, known = [], set()
    for row in ROWS:
        known.add(row.name)
        if row.name in results:
            value, rounds = results[row.name]
            rows.append((row, value, rounds, status_of(value, row.target)))
        else:
            rows.append((row, None, 0, "missing"))
    for name, (value, rounds) in results.items():
        if name not in known:
            rows.append((Row(name, name, None), value, rounds, "no-target"))
    return rows


def fmt_num(value):
    if value is None:
        return "-"
    return f"{value:.0f}" if value == int(value) else f"{value:.2f}"


def write_results_csv(rows):
    with open(OUT / "results.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["name", "instructions", "target", "status"])
        for row, value, _, status in rows:
            w.writerow([row.name, fmt_num(value) if value is not None else "",
                        row.target if row.target is not None else "", status])


# ------------------------------------------------------------------ Linux boot

@dataclass
class BootRun:
    kind: str  # "kestrel" or "qemu"
    icount: bool
    index: int
    wall: float = None  # seconds from launch to the marker
    uptime: float = None  # the guest's /proc/uptime at the marker
    banner: float = None  # kestrel: seconds to its first console line
    vm_created: float = None  # kestrel: seconds to "vm '...':" (VM memory cleared, images copied)
    log: Path = None


def kestrel_boot_cmd(icount, log):
    cmd = [str(KESTREL), "run", "--kernel", str(LINUX_IMAGE), "--initrd", str(BOOT_INITRAMFS),
           "--cmdline", LINUX_CMDLINE, "--vcpus", str(LINUX_VCPUS), "--mem", LINUX_MEM,
           "--timeout", str(LINUX_TIMEOUT), "--log", str(log)]
    return cmd + (["--icount"] if icount else [])


def bare_boot_cmd(icount):
    cmd = ["qemu-system-aarch64", "-machine", "virt,gic-version=3", "-cpu", "max",
           "-smp", str(LINUX_VCPUS), "-m", BARE_QEMU_MEM, "-nographic", "-nic", "none",
           "-kernel", str(LINUX_IMAGE), "-initrd", str(BOOT_INITRAMFS), "-append", LINUX_CMDLINE]
    return cmd + (ICOUNT if icount else [])


def timed_boot(run, cmd):
    """Runs cmd, timestamps its console lines, waits for it to power off (or stops it)."""
    start = time.monotonic()
    deadline = start + LINUX_TIMEOUT + 30
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    fd, line, data, status = proc.stdout.fileno(), b"", b"", None
    try:
        while True:
            ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                break  # no end in sight: stopped below, reported as a failure
            chunk = os.read(fd, 65536)
            now = time.monotonic() - start
            if not chunk:
                status = proc.wait()
                break
            data += chunk
            *complete, line = (line + chunk).split(b"\n")
            # Times are taken as soon as a marker shows, even in an unfinished line; the
            # uptime value is read from the finished line only.
            for text in complete + [line]:
                if run.banner is None and text.startswith(b"kestrel: "):
                    run.banner = now
                if run.vm_created is None and VM_CREATED.search(text):
                    run.vm_created = now
                if run.wall is None and b"BENCH-USERSPACE" in text:
                    run.wall = now
            for text in complete:
                m = USERSPACE_MARKER.search(text)
                if m and run.uptime is None:
                    run.uptime = float(m.group(1))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
    if run.kind == "qemu":
        run.log.write_bytes(data)
    if run.wall is None or run.uptime is None:
        raise BenchError(f"Linux on {run.kind} never reached user space (status {status}); "
                         f"{rel(run.log)} ends:\n" + tail(console_lines(data)))
    if status != 0:
        raise BenchError(f"Linux on {run.kind} reached user space but did not power off cleanly "
                         f"(status {status}); see {rel(run.log)}")


def run_linux_boots(runs):
    """runs boots of each kind, alternating, first in wall time, then with -icount."""
    for path in (LINUX_IMAGE, BOOT_INITRAMFS):
        if not path.is_file():
            raise BenchError(f"{rel(path)} is missing: run `make` and `make bench` (not run.py alone)")
    results = []
    for icount in (False, True):
        for i in range(runs):
            for kind in ("kestrel", "qemu"):
                tag = f"linux-{kind}{'-icount' if icount else ''}-{i + 1}"
                run = BootRun(kind, icount, i + 1, log=OUT / f"{tag}.log")
                cmd = kestrel_boot_cmd(icount, run.log) if kind == "kestrel" else bare_boot_cmd(icount)
                print(f"linux boot: {tag} ...", end=" ", flush=True)
                timed_boot(run, cmd)
                print(f"user space after {run.wall:.2f} s, guest uptime {run.uptime:.2f} s", flush=True)
                results.append(run)
    return results


def boot_summary(boots):
    def med(kind, icount, attr):
        vals = [getattr(b, attr) for b in boots if b.kind == kind and b.icount == icount
                and getattr(b, attr) is not None]
        return statistics.median(vals) if vals else None

    s = {
        "wall_kestrel": med("kestrel", False, "wall"),
        "wall_qemu": med("qemu", False, "wall"),
        "banner_kestrel": med("kestrel", False, "banner"),
        "vm_kestrel": med("kestrel", False, "vm_created"),
        "uptime_kestrel": med("kestrel", True, "uptime"),
        "uptime_qemu": med("qemu", True, "uptime"),
        "icount_wall_kestrel": med("kestrel", True, "wall"),
        "icount_wall_qemu": med("qemu", True, "wall"),
    }
    s["wall_ratio"] = s["wall_kestrel"] / s["wall_qemu"]
    s["uptime_ratio"] = s["uptime_kestrel"] / s["uptime_qemu"] if s["uptime_qemu"] else None
    return s


def write_boot_csv(boots):
    with open(OUT / "boot.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["on", "icount", "run", "wall_s", "uptime_s", "kestrel_banner_s", "vm_created_s"])
        for b in boots:
            w.writerow([b.kind, int(b.icount), b.index, f"{b.wall:.3f}", f"{b.uptime:.2f}",
                        f"{b.banner:.3f}" if b.banner is not None else "",
                        f"{b.vm_created:.3f}" if b.vm_created is not None else ""])


# ------------------------------------------------------------------ virtual I/O

IO_INITRAMFS = OUT / "io-initramfs.cpio.gz"
# MiB per step: a disk's dd (about half a second), a TCP fetch (about two seconds); shorter
# steps drown in the host's noise
IO_MIB = {"blk": 256, "net": 64}
# steps of each measured part per configuration (a dd, a fetch), the configurations' steps
# interleaved: the ratios are those of neighbouring steps, their median is reported
IO_REPS = {"blk": 15, "net": 9}  # a disk's steps are short (a third of a second): more of them
IO_MEM = "256M"
IO_CMDLINE = "console=ttyAMA0 quiet"
IO_TIMEOUT = 1500  # seconds for all configurations of one kind, boots included
IO_PORT = 47321  # the bare QEMU pair's -netdev socket link, on 127.0.0.1
IO_MAC = ("02:00:00:00:00:01", "02:00:00:00:00:02")
IO_IPS = ("10.0.0.1", "10.0.0.2")
IO_LINE = re.compile(r"BENCH-IO (.*)$")
STATS_EXITS = re.compile(r"kestrel: (\S+) \S+; exits:([^;]*);")
STATS_VIRTIO = re.compile(r"kestrel: (\S+) virtio: (.*)$")
# every exit once: "mmio" is a kind of "dabt", the injected aborts and strays are not exits
EXIT_KINDS = ("hvc", "smc", "sysreg", "dabt", "iabt", "wfx", "fpsimd", "irq", "unknown")
# kestrel / bare QEMU, at least (the speed targets of the virtual I/O)
IO_TARGETS = {"blk write": 0.8, "blk read": 0.8, "net fetch": 1.0}


@dataclass
class IoProc:
    """One QEMU of an I/O run (kestrel's, or a bare QEMU) and what it printed."""
    name: str
    cmd: list
    lines: list = None
    status: int = None
    proc: subprocess.Popen = None
    data: bytes = b""
    scanned: int = 0  # bytes of data whose lines were looked at


@dataclass
class IoMachine:
    """One configuration: its QEMUs, the one whose guest steps (driver), what starts its next
    step, and for kestrel what asks for its VMs' counters at a mark."""
    tag: str
    procs: list
    driver: IoProc
    go: bytes
    stats: bytes = None
    driver_prefix: str = ""  # kestrel with several VMs: the stepping VM's "[name] "
    workdir: Path = None     # kestrel's kept run directory
    waits: int = 0
    started: int = 0
    done: bool = False


def io_guest_cmdline(role, i=0):
    extra = f" io_ip={IO_IPS[i]} io_peer={IO_IPS[1 - i]}" if role != "blk" else ""
    mib = IO_MIB["blk" if role == "blk" else "net"]
    return f"{IO_CMDLINE} io={role} io_mib={mib} io_reps={IO_REPS['blk' if role == 'blk' else 'net']}{extra}"


def io_disk_dir():
    """Where the disk images go: in memory (/dev/shm) when it has room, so that the host's
    writeback of gigabytes of dirty pages, which stalls whichever machine writes then, stays out
    of the figures; else build/bench."""
    try:
        st = os.statvfs("/dev/shm")
        if st.f_bavail * st.f_frsize >= 2 * 3 * (IO_MIB["blk"] + 16) << 20:
            return Path("/dev/shm") / f"kestrel-bench-{os.getpid()}"
    except OSError:
        pass
    return OUT


IO_DISK_DIR = io_disk_dir()


def io_disk(tag):
    """Each configuration its own disk image: QEMU locks an image it writes."""
    return IO_DISK_DIR / f"{tag}.img"


def io_dts(kind, event_idx, disk):
    """A kestrel configuration for the I/O runs: one VM and a disk, or two VMs on a switch."""
    no_ei = "" if event_idx else " no-event-idx;"

    def vm(name, cpu, cmdline, device):
        return (f"\t\t{name} {{\n\t\t\tcompatible = \"kestrel,vm\";\n\t\t\tmemory = <0x0 0x10000000>;\n"
                f"\t\t\tcpus = <1>;\n\t\t\tcpu-affinity = <{cpu}>;\n\t\t\tkernel = \"{LINUX_IMAGE}\";\n"
                f"\t\t\tramdisk = \"{IO_INITRAMFS}\";\n\t\t\tbootargs = \"{cmdline}\";\n{device}\t\t}};\n")

    if kind == "blk":
        vms = vm("vm0", 0, io_guest_cmdline("blk"),
                 f"\t\t\tdisk0 {{ compatible = \"kestrel,virtio-blk\"; image = \"{disk}\";{no_ei} }};\n")
    else:
        vms = "".join(vm(name, i, io_guest_cmdline(role, i),
                         f"\t\t\tnet0 {{ compatible = \"kestrel,virtio-net\"; switch = \"lan0\"; "
                         f"mac = [{IO_MAC[i].replace(':', ' ')}];{no_ei} }};\n")
                      for i, (name, role) in enumerate((("a", "net-server"), ("b", "net-client"))))
    path = OUT / f"io-{kind}{'' if event_idx else '-no-event-idx'}.dts"
    path.write_text(f"/dts-v1/;\n/ {{\n\tchosen {{\n{vms}\t}};\n}};\n")
    return path


def io_kestrel(kind, event_idx):
    """kestrel's QEMU, as ./kestrel would start it (--dry-run --keep: checked, its device tree
    kept), run here so that its console input can wait for the step's turn."""
    tag = f"io-{kind}-kestrel{'' if event_idx else '-no-event-idx'}"
    dts = io_dts(kind, event_idx, io_disk(tag))
    out = subprocess.run([str(KESTREL), "run", str(dts), "--pcpus", "1" if kind == "blk" else "2",
                          "--dry-run", "--keep"], capture_output=True, text=True)
    lines = out.stdout.splitlines()
    if out.returncode or "# QEMU command line" not in lines:
        raise BenchError(f"{tag}: ./kestrel run --dry-run failed:\n{out.stdout}{out.stderr}")
    cmd = shlex.split(lines[lines.index("# QEMU command line") + 1])
    kept = re.search(r"kept (\S+)", out.stderr)
    vms = ("vm0",) if kind == "blk" else ("a", "b")
    proc = IoProc("kestrel", cmd)
    # Ctrl-A n gives the input to VM n (the stepping one: vm0, or the client b); Ctrl-A 0 to
    # kestrel's console, which prints each VM's counters
    return IoMachine(tag, [proc], proc, b"\x01" + str(len(vms)).encode() + b"go\n",
                     stats=b"\x010" + "".join(f"stats {vm}\n" for vm in vms).encode(),
                     driver_prefix="" if kind == "blk" else "[b] ",
                     workdir=Path(kept.group(1)) if kept else None)


def bare_io_cmd(cmdline, devices):
    return ["qemu-system-aarch64", "-machine", "virt,gic-version=3", "-cpu", "max", "-smp", "1",
            "-m", IO_MEM, "-display", "none", "-serial", "stdio", "-monitor", "none", "-nic", "none",
            "-kernel", str(LINUX_IMAGE), "-initrd", str(IO_INITRAMFS), "-append", cmdline,
            "-global", "virtio-mmio.force-legacy=false"] + devices


def io_bare(kind):
    tag = f"io-{kind}-qemu"
    if kind == "blk":
        proc = IoProc("qemu", bare_io_cmd(io_guest_cmdline("blk"), [
            "-drive", f"file={io_disk(tag)},if=none,format=raw,id=d0",
            "-device", "virtio-blk-device,drive=d0"]))
        return IoMachine(tag, [proc], proc, b"go\n")
    procs = []
    for i, (name, role) in enumerate((("a", "net-server"), ("b", "net-client"))):
        link = f"listen=127.0.0.1:{IO_PORT}" if i == 0 else f"connect=127.0.0.1:{IO_PORT}"
        procs.append(IoProc(name, bare_io_cmd(io_guest_cmdline(role, i), [
            "-netdev", f"socket,id=n0,{link}", "-device", f"virtio-net-device,netdev=n0,mac={IO_MAC[i]}"])))
    return IoMachine(tag, procs, procs[1], b"go\n")


class IoRun:
    """Every configuration of one kind booted at once, their measured steps one at a time in
    turn (a machine waiting for its turn idles): neighbouring steps of different
    configurations see the same host."""

    def __init__(self, kind, machines):
        self.kind, self.machines = kind, machines
        self.fds = {}
        self.deadline = time.monotonic() + IO_TIMEOUT

    def start(self):
        for m in self.machines:
            for p in m.procs:
                p.proc = subprocess.Popen(p.cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                          stderr=subprocess.STDOUT)
                self.fds[p.proc.stdout.fileno()] = (m, p)
                if len(m.procs) > 1:
                    time.sleep(1)  # a -netdev socket listener before its peer connects

    def type(self, p, text):
        p.proc.stdin.write(text)
        p.proc.stdin.flush()

    def scan(self, m, p):
        """Looks at p's new complete lines: steps, marks, ends, failures."""
        end = p.data.rfind(b"\n") + 1
        for line in console_lines(p.data[p.scanned:end]):
            if "BENCH-IO FAIL" in line:
                raise BenchError(f"{m.tag}: {p.name}: {line.strip()}\n" + tail(console_lines(p.data)))
            if p is m.driver:  # (kestrel's prompt may come first on the line)
                m.waits += m.driver_prefix + "BENCH-IO wait" in line
                m.done |= m.driver_prefix + "BENCH-IO done" in line
            if m.stats and "BENCH-IO mark" in line:
                self.type(p, m.stats)
        p.scanned = end

    def pump(self, until):
        """Reads every QEMU's output until until() holds."""
        while not until():
            if time.monotonic() > self.deadline:
                raise BenchError(f"virtual I/O, {self.kind}: not done in {IO_TIMEOUT} s\n" + "\n".join(
                    f"{m.tag} {p.name}:\n{tail(console_lines(p.data), 8)}" for m in self.machines for p in m.procs))
            if not self.fds:
                return
            ready, _, _ = select.select(list(self.fds), [], [], 1.0)
            for fd in ready:
                m, p = self.fds[fd]
                chunk = os.read(fd, 65536)
                if not chunk:
                    p.status = p.proc.wait()
                    del self.fds[fd]
                    if b"BENCH-IO done" not in p.data:
                        raise BenchError(f"{m.tag}: {p.name} ended (status {p.status}) before its guest "
                                         "was done\n" + tail(console_lines(p.data)))
                    continue
                p.data += chunk
                self.scan(m, p)

    @staticmethod
    def pause(m, stop):
        """Stops or continues all of a machine's QEMUs: one waiting for its turn takes no CPU
        (an idle guest's timers and a kestrel's cost some), so each step has the host's two
        CPUs to itself, as a machine alone would."""
        for p in m.procs:
            if p.proc.poll() is None:
                os.kill(p.proc.pid, signal.SIGSTOP if stop else signal.SIGCONT)

    def steps(self):
        """Lets each machine run one step in turn, the first of the turn rotating, until all
        are done."""
        n = 0
        self.pump(lambda: all(m.done or m.waits > m.started for m in self.machines))
        for m in self.machines:
            self.pause(m, True)
        while not all(m.done for m in self.machines):
            order = self.machines[n % len(self.machines):] + self.machines[:n % len(self.machines)]
            for m in order:
                if m.done:
                    continue
                m.started += 1
                self.pause(m, False)
                self.type(m.driver, m.go)
                self.pump(lambda m=m: m.done or m.waits > m.started)
                if not m.done:
                    self.pause(m, True)
            n += 1
        for m in self.machines:
            self.pause(m, False)

    def finish(self):
        """Waits for the machines to power off (the servers notice the end within seconds)."""
        self.deadline = min(self.deadline, time.monotonic() + 60)
        try:
            self.pump(lambda: not self.fds)
        except BenchError:
            pass  # a guest done with its work but slow to power off: its lines are all here

    def run(self):
        print(f"virtual I/O, {self.kind}: {', '.join(m.tag for m in self.machines)}, "
              f"{IO_REPS[self.kind]} steps each ...", flush=True)
        try:
            self.start()
            self.steps()
            self.finish()
        finally:
            for m in self.machines:
                for p in m.procs:
                    if p.proc and p.proc.poll() is None:
                        p.proc.kill()  # (stopped or not)
                        p.proc.wait()
                    if p.proc:
                        p.lines = console_lines(p.data)
                        (OUT / f"{m.tag}-{p.name}.log").write_bytes(p.data)
                if m.workdir:
                    shutil.rmtree(m.workdir, ignore_errors=True)
        return {m.tag: io_results(m.procs) for m in self.machines}


def io_results(procs):
    """{"blk write": [(bytes, s)...], "net fetch": [...], "ping": ms, "irqs NAME": n (all
    repetitions), "marks": [(mark, {vm: (exits, notifies, interrupts)})]} over all the
    processes' lines."""
    r, marks, current = {}, [], None
    for p in procs:
        for line in p.lines:
            line = VM_PREFIX.sub("", line)
            m = STATS_EXITS.search(line)
            if m and current is not None:
                counts = dict(kv.split("=") for kv in m.group(2).split() if "=" in kv)
                exits = sum(int(counts.get(k, 0)) for k in EXIT_KINDS)
                current[1].setdefault(m.group(1), [0, 0, 0])[0] = exits
                continue
            m = STATS_VIRTIO.search(line)
            if m and current is not None:
                v = current[1].setdefault(m.group(1), [0, 0, 0])
                v[1] = sum(int(x) for x in re.findall(r"notifies (\d+)", m.group(2)))
                v[2] = sum(int(x) for x in re.findall(r"interrupts (\d+)", m.group(2)))
                continue
            m = IO_LINE.search(line)
            if not m:
                continue
            words = m.group(1).split()
            if words[0] == "mark":
                current = (words[1], {})
                marks.append(current)
            elif words[0] in ("blk", "net"):
                r.setdefault(f"{words[0]} {words[1]}", []).append((int(words[2]), float(words[3])))
            elif words[0] == "ping":
                r["ping"], r["ping min"], r["ping max"] = (float(w) for w in words[1:4])
                r.setdefault("pings", []).append((r["ping"], r["ping min"], r["ping max"]))
            elif words[0] == "irqs":
                r[f"irqs {words[1]}"] = r.get(f"irqs {words[1]}", 0) + int(words[2])
    r["marks"] = marks
    return r


def io_counts(r, part, vm):
    """(exits, notifies, interrupts) kestrel counted for vm during part (between its mark and
    the next), or None."""
    marks, total = r["marks"], None
    for i, (name, counts) in enumerate(marks[:-1]):
        after = marks[i + 1][1]
        if name == part and vm in counts and vm in after:
            diff = [b - a for a, b in zip(counts[vm], after[vm])]
            total = diff if total is None else [t + d for t, d in zip(total, diff)]
    return tuple(total) if total else None


def run_io_benchmarks():
    for path in (LINUX_IMAGE, IO_INITRAMFS):
        if not path.is_file():
            raise BenchError(f"{rel(path)} is missing: run `make bench` (not run.py alone)")
    runs = {}
    disks = ("io-blk-kestrel", "io-blk-kestrel-no-event-idx", "io-blk-qemu")  # the machines' tags
    IO_DISK_DIR.mkdir(parents=True, exist_ok=True)
    try:
        for tag in disks:
            with open(io_disk(tag), "wb") as f:  # allocated now, not by the first step
                os.posix_fallocate(f.fileno(), 0, (IO_MIB["blk"] + 16) << 20)
        for kind in ("blk", "net"):
            machines = [io_kestrel(kind, True), io_kestrel(kind, False), io_bare(kind)]
            runs.update(IoRun(kind, machines).run())
            for m in machines:
                print_io_run(kind, m.tag, runs[m.tag])
    finally:
        for tag in disks:
            io_disk(tag).unlink(missing_ok=True)
        if IO_DISK_DIR != OUT:
            shutil.rmtree(IO_DISK_DIR, ignore_errors=True)
    return runs


def print_io_run(kind, tag, r):
    if kind == "blk":
        print(f"  {tag}: write {mibs(r, 'blk write'):.1f} MiB/s, read {mibs(r, 'blk read'):.1f} MiB/s",
              flush=True)
    else:
        print(f"  {tag}: TCP {mibs(r, 'net fetch'):.1f} MiB/s, ping {r['ping']:.3f} ms", flush=True)


def rates(r, key):
    """MiB/s of each step, in order."""
    return [b / (1 << 20) / s if s else float("inf") for b, s in r[key]]


def mibs(r, key):
    """MiB/s: the median of the steps."""
    return statistics.median(rates(r, key))


def step_ratios(a, b, key):
    """a's MiB/s over b's, step by step (neighbours in time)."""
    return [x / y for x, y in zip(rates(a, key), rates(b, key))]


def io_ratios(runs):
    """{key: (median, least, largest)} of kestrel's steps against bare QEMU's."""
    out = {}
    for key in IO_TARGETS:
        kind = key.split()[0]
        ratios = step_ratios(runs[f"io-{kind}-kestrel"], runs[f"io-{kind}-qemu"], key)
        out[key] = (statistics.median(ratios), min(ratios), max(ratios))
    return out


def mib_moved(r, key):
    return sum(b for b, _ in r[key]) / (1 << 20)


def io_tables(runs):
    """Two tables: throughput against bare QEMU, and what a MiB costs in exits."""
    k, kn = "io-{}-kestrel", "io-{}-kestrel-no-event-idx"
    q = "io-{}-qemu"
    rows = []
    ratios = io_ratios(runs)
    for label, kind, key in (("disk write, O_DIRECT (MiB/s)", "blk", "blk write"),
                             ("disk read, O_DIRECT (MiB/s)", "blk", "blk read"),
                             ("VM-to-VM TCP (MiB/s)", "net", "net fetch")):
        a, b, c = (mibs(runs[t.format(kind)], key) for t in (k, kn, q))
        median, least, largest = ratios[key]
        rows.append([label, f"{a:.1f}", f"{b:.1f}", f"{c:.1f}", f"{median:.2f}x",
                     f"{least:.2f} to {largest:.2f}", f">= {IO_TARGETS[key]:.1f}x",
                     "ok" if median >= IO_TARGETS[key] else "below"])
    # 20 pings each: the mean, the least, the largest
    for what, pick in (("min", lambda p: min(x[1] for x in p)), ("mean", lambda p: statistics.mean(x[0] for x in p)),
                       ("max", lambda p: max(x[2] for x in p))):
        a, b, c = (pick(runs[t.format("net")]["pings"]) for t in (k, kn, q))
        rows.append([f"ping round trip, {what} of 20 (ms)", f"{a:.3f}", f"{b:.3f}", f"{c:.3f}", f"{a / c:.2f}x",
                     "-", "-", "-"])
    perf = (["", "kestrel", "kestrel, no EVENT_IDX", "bare QEMU",
             f"kestrel / QEMU, median of the neighbouring steps' ratios (disk {IO_REPS['blk']}, "
             f"TCP {IO_REPS['net']})", "their range",
             "target", "status"], rows)

    rows = []
    for label, kind, part, vm in (("disk write", "blk", "write", "vm0"), ("disk read", "blk", "read", "vm0"),
                                  ("TCP, receiver", "net", "fetch", "b"), ("TCP, sender", "net", "fetch", "a")):
        row, key = [label], f"{'blk' if kind == 'blk' else 'net'} {part}"
        for t in (k, kn):
            r = runs[t.format(kind)]
            counts = io_counts(r, part, vm)
            row += [f"{x / mib_moved(r, key):.1f}" for x in counts] if counts else ["-"] * 3
        irq_key = f"irqs {part}"
        for t in (k, kn, q):
            r = runs[t.format(kind)]
            row.append(f"{r[irq_key] / mib_moved(r, key):.1f}" if irq_key in r and vm != "a" else "-")
        rows.append(row)
    cost = (["per MiB", "exits", "notifies", "interrupts raised", "exits (no EI)", "notifies (no EI)",
             "interrupts raised (no EI)", "guest's interrupts", "(no EI)", "(bare QEMU)"], rows)
    return perf, cost


# ------------------------------------------------------------------ footprint

def elf_sizes():
    out = subprocess.run([CROSS + "size", str(KESTREL_ELF)], capture_output=True, text=True, check=True)
    text, data, bss = (int(x) for x in out.stdout.splitlines()[1].split()[:3])
    return text, data, bss


def symbol_sizes():
    out = subprocess.run([CROSS + "nm", "-S", str(KESTREL_ELF)], capture_output=True, text=True, check=True)
    syms = {}
    for line in out.stdout.splitlines():
        parts = line.split()
        if len(parts) == 4:
            syms[parts[3]] = (int(parts[0], 16), int(parts[1], 16))
        elif len(parts) == 3:
            syms[parts[2]] = (int(parts[0], 16), 0)
    return syms


def header_define(path, name):
    """The value of a '#define NAME <integer expression>' in a kestrel source, or None."""
    try:
        m = re.search(rf"^#define\s+{name}\s+([0-9()*+<\s]+?)\s*(?:/\*.*)?$", (TOP / path).read_text(), re.M)
    except OSError:
        return None
    if not m:
        return None
    try:
        return int(eval(m.group(1), {"__builtins__": {}}))  # digits, * + << and parentheses only
    except (SyntaxError, ValueError, TypeError):
        return None


def footprint(guest_lines):
    text, data, bss = elf_sizes()
    syms = symbol_sizes()
    f = {"text": text, "data": data, "bss": bss, "text_data": text + data}
    if "__image_start" in syms and "__image_end" in syms:
        f["image"] = syms["__image_end"][0] - syms["__image_start"][0]
    # The largest objects in bss, which make up most of it.
    bss_lo, bss_hi = syms.get("__bss_start", (0, 0))[0], syms.get("__bss_end", (0, 0))[0]
    big = sorted(((size, name) for name, (addr, size) in syms.items() if bss_lo <= addr < bss_hi and size),
                 reverse=True)[:3]
    f["bss_top"] = [(name, size) for size, name in big]
    for line in guest_lines:
        m = BANNER_VERSION.search(line)
        if m:
            f["version"] = m.group(1)
        m = BANNER_MEMORY.search(line)
        if m:
            f["ram_mib"], f["free_mib"] = int(m.group(1)), int(m.group(2))
            f["used_mib"] = f["ram_mib"] - f["free_mib"]
            f["owner_table"] = (f["ram_mib"] << 20) // 4096 * 2  # one 16-bit owner per page
        m = BANNER_VM_COST.search(line)
        if m:
            f["vm_stage2_kib"] = int(m.group(2))
    vm_max = header_define("hyp/include/kestrel/vmconfig.h", "VM_MAX")
    if "vms" in syms and vm_max:
        f["vm_struct"] = syms["vms"][1] // vm_max
        f["vm_max"] = vm_max
    dtb_max = header_define("hyp/core/vm.c", "GUEST_DTB_MAX")
    if dtb_max:
        f["vm_dtb"] = dtb_max
    f["areas"] = text_by_area()
    return f


# Where the code is, by the job of its files: each object file's text, read-only data and data
# as compiled, before the link drops what nothing uses (--gc-sections) and adds libfdt, so the
# areas add up to about the image's size, not to it exactly.
TEXT_AREAS = [
    ("virtual GIC and ITS", r"hyp/vdev/vgic"),
    ("virtio devices and the switch", r"hyp/vdev/(virt|vswitch)"),
    ("other device models (PL011)", r"hyp/vdev/"),
    ("configuration and guest DTBs", r"hyp/config/"),
    ("VM building, lifecycle, console", r"hyp/core/(vm|vconsole|main|invariants)"),
    ("exits, scheduler and vCPU features", r"hyp/core/"),
    ("arch layer (EL2 entry, vCPU context, MMU)", r"hyp/arch/"),
    ("drivers (GIC, UART, PSCI, disks)", r"hyp/drivers/"),
    ("memory (page tables, owners, VMIDs)", r"hyp/mm/"),
    ("library (printf, strings, images)", r"hyp/lib/"),
]


def text_by_area():
    objs = sorted((TOP / "build" / "hyp").rglob("*.o"))
    if not objs:
        return []
    out = subprocess.run([CROSS + "size", *map(str, objs)], capture_output=True, text=True, check=True)
    sums = {name: 0 for name, _ in TEXT_AREAS}
    for line in out.stdout.splitlines()[1:]:
        parts = line.split()
        src = str(Path(parts[-1]).relative_to(TOP / "build"))
        for name, pattern in TEXT_AREAS:
            if re.match(pattern, src):
                sums[name] += int(parts[0]) + int(parts[1])
                break
    return [(name, size) for name, size in sums.items() if size]


def write_footprint_csv(f):
    with open(OUT / "footprint.csv", "w", newline="") as out:
        w = csv.writer(out)
        w.writerow(["name", "bytes", "target", "status"])
        w.writerow(["text", f["text"], "", ""])
        w.writerow(["data", f["data"], "", ""])
        w.writerow(["bss", f["bss"], "", ""])
        w.writerow(["text+data", f["text_data"], TEXT_DATA_TARGET,
                    "ok" if f["text_data"] <= TEXT_DATA_TARGET else "over"])
        if "image" in f:
            w.writerow(["image in RAM (text, data, bss)", f["image"], "", ""])
        if "owner_table" in f:
            w.writerow(["page owner table", f["owner_table"], "", ""])
        if "used_mib" in f:
            w.writerow(["RAM in use after boot (banner, whole MiB)", f["used_mib"] << 20, "", ""])
        if "vm_struct" in f:
            w.writerow(["per VM: struct vm (static)", f["vm_struct"], "", ""])
        if "vm_dtb" in f:
            w.writerow(["per VM: guest DTB buffer", f["vm_dtb"], "", ""])
        w.writerow(["per VM: stage-2 tables", f["vm_stage2_kib"] * 1024 if "vm_stage2_kib" in f else "", "",
                    "" if "vm_stage2_kib" in f else "not reported by kestrel"])


# ------------------------------------------------------------------ tables and chart

def md_table(header, rows):
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---:" if i else "---" for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return lines


def text_table(header, rows):
    cells = [header] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    fmt = lambda r: "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
    return [fmt(header), "  ".join("-" * w for w in widths)] + [fmt(r) for r in cells[1:]]


def exit_table(rows):
    header = ["measurement", "instructions", "target", "KVM, same method", "status"]
    body = [[f"{row.what} (`{row.name}`)", fmt_num(value), f"<= {row.target}" if row.target else "-",
             row.kvm or "-", status] for row, value, _, status in rows]
    return header, body


def boot_table(s):
    header = ["Linux boot to user space", "kestrel", "bare QEMU", "ratio", "target"]
    body = [["wall time, median (s)", f"{s['wall_kestrel']:.2f}", f"{s['wall_qemu']:.2f}",
             f"{s['wall_ratio']:.2f}", f"<= {BOOT_RATIO_TARGET:.2f}"]]
    if s["banner_kestrel"] is not None:
        body.append(["  wall: launch to kestrel's first console line (s)", f"{s['banner_kestrel']:.2f}",
                     "-", "-", "-"])
    if s["vm_kestrel"] is not None:
        body.append(["  wall: launch to the VM built (s)", f"{s['vm_kestrel']:.2f}", "-", "-", "-"])
        body.append(["  wall: VM built to user space (s)", f"{s['wall_kestrel'] - s['vm_kestrel']:.2f}",
                     f"{s['wall_qemu']:.2f}", f"{(s['wall_kestrel'] - s['vm_kestrel']) / s['wall_qemu']:.2f}", "-"])
    body += [
        ["virtual time with -icount: guest uptime at the marker (s)", f"{s['uptime_kestrel']:.2f}",
         f"{s['uptime_qemu']:.2f}", f"{s['uptime_ratio']:.2f}" if s["uptime_ratio"] else "-",
         f"<= {BOOT_RATIO_TARGET:.2f}"],
        ["wall time with -icount, median (s)", f"{s['icount_wall_kestrel']:.2f}", f"{s['icount_wall_qemu']:.2f}",
         f"{s['icount_wall_kestrel'] / s['icount_wall_qemu']:.2f}", "-"],
    ]
    return header, body


def footprint_table(f):
    header = ["footprint", "value", "target", "status"]
    kib = lambda n: f"{n / 1024:.1f} KiB"
    top = ", ".join(f"`{name}` {kib(size)}" for name, size in f["bss_top"])
    body = [["text (code and read-only data)", kib(f["text"]), "-", ""],
            ["data", kib(f["data"]), "-", ""],
            [f"bss (largest: {top})" if top else "bss", kib(f["bss"]), "-", ""],
            ["text + data", kib(f["text_data"]), f"<= {TEXT_DATA_TARGET // 1024} KiB",
             "ok" if f["text_data"] <= TEXT_DATA_TARGET else "over"]]
    body += [[f"  of which {name}", kib(size), "-", ""] for name, size in f.get("areas", [])]
    if "image" in f:
        body.append(["kestrel's image in RAM (text, data, bss)", kib(f["image"]), "-", ""])
    if "owner_table" in f:
        body.append([f"page owner table (2 bytes per page of {f['ram_mib']} MiB)", kib(f["owner_table"]), "-", ""])
    if "used_mib" in f:
        body.append(["RAM in use after boot, banner (kestrel, owner table, DTB, images)",
                     f"{f['used_mib']} MiB", "-", ""])
    if "vm_struct" in f:
        body.append([f"per VM: struct vm (static, {f['vm_max']} in bss)", kib(f["vm_struct"]), "-", ""])
    if "vm_dtb" in f:
        body.append(["per VM: its DTB buffer", kib(f["vm_dtb"]), "-", ""])
    body.append(["per VM: stage-2 tables",
                 kib(f["vm_stage2_kib"] * 1024) if "vm_stage2_kib" in f else "not reported", "-", ""])
    return header, body


def gnuplot_terminals():
    try:
        out = subprocess.run(["gnuplot", "-e", "set terminal"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout + out.stderr


def draw_chart(rows):
    """exits.png and exits.svg: each measurement beside its target, log scale."""
    terms = gnuplot_terminals()
    if terms is None:
        return "gnuplot is not installed: no chart (make bench installs gnuplot-nox)"
    data = OUT / "exits.dat"
    with open(data, "w") as f:
        f.write("# name measured target\n")
        for row, value, _, _ in rows:
            if value is None or row.target is None:
                continue
            f.write(f"\"{row.name}\" {value:g} {row.target}\n")
    png_term = "pngcairo size 1100,560 font ',10'" if "pngcairo" in terms else "png size 1100,560"
    made = []
    for term, out in ((png_term, OUT / "exits.png"), ("svg size 1100,560 dynamic font 'sans,11'", OUT / "exits.svg")):
        script = f"""
set terminal {term}
set output '{out}'
set title "kestrel: instructions per exit round trip or latency (QEMU -icount), beside each target"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set logscale y
set yrange [10:*]
set ylabel "instructions (log scale)"
set grid ytics
set xtics rotate by -30 left noenhanced
set key top left
set bmargin 7
set rmargin 8
plot '{data}' using 2:xtic(1) title 'kestrel' lc rgb '#c0392b', \\
     '' using 3 title 'target' lc rgb '#27ae60', \\
     '' using ($0-0.15):($2*1.15):(sprintf('%d', $2)) with labels notitle font ',8', \\
     '' using ($0+0.15):($3*1.15):(sprintf('%d', $3)) with labels notitle font ',8'
"""
        res = subprocess.run(["gnuplot"], input=script, capture_output=True, text=True)
        if res.returncode != 0:
            return f"gnuplot failed: {res.stderr.strip()}"
        made.append(rel(out))
    return "chart: " + ", ".join(made)


# ------------------------------------------------------------------ main

def main(argv):
    parser = argparse.ArgumentParser(description="kestrel's benchmarks (see docs/benchmarks.md)")
    parser.add_argument("--runs", type=int, default=3, help="Linux boots of each kind (default 3)")
    parser.add_argument("--no-linux", action="store_true",
                        help="skip the Linux measurements (boot time and virtual I/O)")
    parser.add_argument("--io-only", action="store_true",
                        help="only the virtual I/O measurement (Linux VMs against bare QEMU)")
    parser.add_argument("--strict", action="store_true", help="exit 1 if a figure is above its target")
    args = parser.parse_args(argv)

    for path in (BENCH_GUEST, KESTREL_ELF):
        if not path.is_file():
            print(f"bench: {rel(path)} is missing: run `make bench`", file=sys.stderr)
            return 1
    OUT.mkdir(parents=True, exist_ok=True)
    if args.io_only:
        try:
            perf, cost = io_tables(run_io_benchmarks())
        except BenchError as e:
            print(f"bench: {e}", file=sys.stderr)
            return 1
        md = []
        for header, body in (perf, cost):
            print()
            print("\n".join(text_table(header, body)))
            md += md_table(header, body) + [""]
        (OUT / "io.md").write_text("\n".join(md) + "\n")
        return 0
    md = []
    try:
        results, guest_lines = run_exit_benchmarks()
        results.update(run_world_switch())
        results.update(run_world_switch(SWITCH_PMU_CONFIG, "world_switch_pmu"))
        results.update(run_virtio_bench())
        rows = exit_rows(results)
        write_results_csv(rows)
        header, body = exit_table(rows)
        print()
        print("\n".join(text_table(header, body)))
        md += ["### Exit costs (instructions, QEMU -icount)", ""] + md_table(header, body) + [""]
        chart = draw_chart(rows)

        f = footprint(guest_lines)
        write_footprint_csv(f)
        header, body = footprint_table(f)
        print()
        print("\n".join(text_table(header, body)))
        md += ["### Footprint", ""] + md_table(header, body) + [""]

        s, runs = None, None
        if not args.no_linux:
            print()
            runs = run_io_benchmarks()
            perf, cost = io_tables(runs)
            for header, body in (perf, cost):
                print()
                print("\n".join(text_table(header, body)))
            md += [f"### Virtual I/O: Linux VMs, {IO_MIB['blk']} MiB per dd, {IO_MIB['net']} MiB per fetch "
                   "(kestrel, and without EVENT_IDX, "
                   "against bare QEMU)", ""] + md_table(*perf) + [""]
            md += ["### What a MiB costs (kestrel's counters; the guest's /proc/interrupts)", ""] + \
                md_table(*cost) + [""]
        if not args.no_linux:
            print()
            boots = run_linux_boots(args.runs)
            write_boot_csv(boots)
            s = boot_summary(boots)
            header, body = boot_table(s)
            print()
            print("\n".join(text_table(header, body)))
            md += [f"### Linux boot to user space (median of {args.runs} runs each)", ""] + \
                md_table(header, body) + [""]
    except BenchError as e:
        print(f"bench: {e}", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as e:
        print(f"bench: {' '.join(e.cmd)} failed: {e.stderr}", file=sys.stderr)
        return 1

    version = f.get("version", "unknown")
    md = [f"kestrel {version}, measured {time.strftime('%Y-%m-%d')} with "
          f"{subprocess.run(['qemu-system-aarch64', '--version'], capture_output=True, text=True).stdout.splitlines()[0]}",
          ""] + md
    (OUT / "results.md").write_text("\n".join(md) + "\n")
    print()
    print(chart)
    print(f"written: {rel(OUT / 'results.csv')}, {rel(OUT / 'footprint.csv')}"
          f"{', ' + rel(OUT / 'boot.csv') if s else ''}, {rel(OUT / 'results.md')}")
    exits_over = [row.name for row, _, _, status in rows if status == "over"]
    missing = [row.name for row, _, _, status in rows if status == "missing"]
    others_over = []
    if s and s["wall_ratio"] > BOOT_RATIO_TARGET:
        others_over.append("Linux boot (wall)")
    if s and s["uptime_ratio"] and s["uptime_ratio"] > BOOT_RATIO_TARGET:
        others_over.append("Linux boot (icount)")
    if f["text_data"] > TEXT_DATA_TARGET:
        others_over.append("text+data")
    if runs:
        others_over += [f"virtual I/O {key} (kestrel / QEMU {median:.2f})"
                        for key, (median, _, _) in io_ratios(runs).items() if median < IO_TARGETS[key]]
    measured = len([1 for row, _, _, status in rows if status in ("ok", "over")])
    print(f"bench: {measured - len(exits_over)} of {measured} figures with a target are within it"
          + (f"; above: {', '.join(exits_over + others_over)}" if exits_over or others_over else "")
          + (f"; not measured: {', '.join(missing)}" if missing else ""))
    return 1 if (missing or (args.strict and (exits_over or others_over))) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
