#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Where the instructions of each benchmark go: an exact, per-function account.

  python3 bench/breakdown.py          (or `make bench-breakdown`)

Boots the benchmark guest in its "trace" mode (a few rounds of each measurement) under
kestrel on QEMU with -icount, exactly as `make bench` does, but with QEMU recording every
instruction it executes (-d exec,nochain with one instruction per translation block), from the
moment the guest says it is ready to the end. Then, for the last round of each measurement,
it takes the executed instructions between the measurement's start and end points and counts
them per function of kestrel (build/kestrel.elf) and of the guest.

Each total from the trace is shown beside the figure the guest measured with the counter in
the same run. They differ by at most one instruction: QEMU does not count a load that faults
into kestrel (an MMIO access), and a latency's counter includes the first counter read itself.

Writes build/bench/breakdown.md and prints it.
"""
import bisect
import csv
import os
import re
import select
import shlex
import socket
import subprocess
import time
from pathlib import Path

TOP = Path(__file__).resolve().parent.parent
OUT = TOP / "build" / "bench"
KESTREL_ELF = TOP / "build" / "kestrel.elf"
GUEST_ELF = OUT / "benchguest.elf"
GUEST_BIN = OUT / "benchguest.bin"
CROSS = os.environ.get("CROSS", "aarch64-linux-gnu-")
TIMEOUT = 300

# Exit measurements: the guest's loop function for each.
EXIT_LOOPS = {
    "null_hypercall": "bench_loop_smccc_version",
    "psci_version": "bench_loop_psci_version",
    "sysreg_read_id": "bench_loop_read_id_aa64pfr0",
    "sysreg_read_actlr": "bench_loop_read_actlr",
    "sysreg_write_mdscr": "bench_loop_write_mdscr",
    "mmio_read_uart": "bench_loop_mmio_read32",
    "mmio_read_gicd": "bench_loop_mmio_read32",
}
# The order the guest runs them in (two use the same loop, so occurrences are counted).
EXIT_ORDER = list(EXIT_LOOPS)

TRACE_LINE = re.compile(r"^Trace (\d+): 0x[0-9a-f]+ \[[0-9a-f]+/([0-9a-f]+)/")
VECTOR_IRQ_LOWER_A64 = 0x480  # offset of "IRQ from a lower EL, AArch64" in el2_vectors


class Symbols:
    """Address -> function name, from nm (text symbols only)."""

    def __init__(self, *elfs):
        entries = []
        for elf in elfs:
            out = subprocess.run([CROSS + "nm", "-n", str(elf)], capture_output=True, text=True, check=True)
            for line in out.stdout.splitlines():
                parts = line.split()
                if len(parts) == 3 and parts[1] in "tTwW" and not parts[2].startswith("$"):
                    entries.append((int(parts[0], 16), parts[2]))
        entries.sort()
        self.addrs = [a for a, _ in entries]
        self.names = [n for _, n in entries]
        self.by_name = {n: a for a, n in entries}

    def name(self, pc):
        i = bisect.bisect_right(self.addrs, pc) - 1
        return self.names[i] if i >= 0 else "?"


def disassemble(elf, func):
    """[(addr, text)] of one function."""
    out = subprocess.run([CROSS + "objdump", "-d", "--no-show-raw-insn", f"--disassemble={func}", str(elf)],
                         capture_output=True, text=True, check=True)
    insns = []
    for line in out.stdout.splitlines():
        m = re.match(r"^\s*([0-9a-f]+):\s+(.*)$", line)
        if m:
            insns.append((int(m.group(1), 16), m.group(2).split("//")[0].strip()))
    return insns


def loop_body(func):
    """The timed loop's body: (first address, trapping instruction address, body length)."""
    insns = disassemble(GUEST_ELF, func)
    start = next(i for i, (_, t) in enumerate(insns) if t.startswith("mrs") and "cntvct_el0" in t) + 1
    end = next(i for i, (_, t) in enumerate(insns) if re.match(r"subs\s+x8, x8, #0x1", t))
    return insns[start][0], insns[end - 1][0], end - start


def find_insn(func, pattern, elf=None):
    for addr, text in disassemble(elf or GUEST_ELF, func):
        if re.search(pattern, text):
            return addr
    raise SystemExit(f"breakdown: no '{pattern}' in {func}")


# ------------------------------------------------------------------ running QEMU

def qemu_command(workdir):
    """./kestrel's own QEMU command line for the trace run, and the DTB it made (kept)."""
    dry = subprocess.run([str(TOP / "kestrel"), "run", "--kernel", str(GUEST_BIN), "--vcpus", "2",
                          "--icount", "--mem", "16M", "--cmdline", "trace", "--dry-run", "--keep"],
                         capture_output=True, text=True)
    if dry.returncode != 0:
        raise SystemExit(f"breakdown: ./kestrel run --dry-run failed:\n{dry.stdout}{dry.stderr}")
    lines = dry.stdout.splitlines()
    cmd = shlex.split(lines[lines.index("# QEMU command line") + 1])
    kept = re.search(r"kept (\S+)", dry.stderr)
    if "-monitor" in cmd:
        i = cmd.index("-monitor")
        del cmd[i:i + 2]
    sock = workdir / "monitor.sock"
    log = workdir / "exec.log"
    cmd += ["-monitor", f"unix:{sock},server,nowait", "-d", "nochain", "-D", str(log),
            "-accel", "tcg,one-insn-per-tb=on"]
    return cmd, sock, log, Path(kept.group(1)) if kept else None


def monitor(sock_path, command):
    """One command to QEMU's human monitor."""
    s = socket.socket(socket.AF_UNIX)
    for attempt in range(100):
        try:
            s.connect(str(sock_path))
            break
        except OSError:
            if attempt == 99:
                raise SystemExit(f"breakdown: cannot reach QEMU's monitor at {sock_path}")
            time.sleep(0.05)
    s.settimeout(5)
    s.recv(65536)  # the greeting
    s.sendall(command.encode() + b"\n")
    time.sleep(0.3)
    try:
        s.recv(65536)
    except socket.timeout:
        pass
    s.close()


def record(cmd, sock, log):
    """Runs QEMU, starts recording once the guest is ready; returns the console output."""
    log.unlink(missing_ok=True)
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out, started, deadline = b"", False, time.monotonic() + TIMEOUT
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stdout], [], [], 1)
            if ready:
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk:
                    break
                out += chunk
            if not started and b"BENCH-TRACE ready" in out:
                monitor(sock, "log exec,nochain")
                proc.stdin.write(b"g")
                proc.stdin.flush()
                started = True
            if b"BENCH done" in out:
                monitor(sock, "log nochain")
                break
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = out.decode(errors="replace").replace("\r", "")
    if b"BENCH done" not in out:
        raise SystemExit("breakdown: the guest did not finish:\n" + text[-3000:])
    return text


def read_trace(log):
    cpus, pcs = [], []
    with open(log, errors="replace") as f:
        for line in f:
            m = TRACE_LINE.match(line)
            if m:
                cpus.append(int(m.group(1)))
                pcs.append(int(m.group(2), 16))
    return cpus, pcs


# ------------------------------------------------------------------ segments

def segment_until(cpus, pcs, begin, end_pc, cpu=None):
    """The first index after begin where pc == end_pc (on cpu, if given)."""
    for j in range(begin + 1, len(pcs)):
        if pcs[j] == end_pc and (cpu is None or cpus[j] == cpu):
            return j
    raise SystemExit(f"breakdown: 0x{end_pc:x} never reached after trace line {begin}")


def account(cpus, pcs, lo, hi, syms):
    """[(cpu, function, count)] over [lo, hi), merged per (cpu, function), in first-seen order."""
    order, counts = [], {}
    for j in range(lo, hi):
        key = (cpus[j], syms.name(pcs[j]))
        if key not in counts:
            order.append(key)
            counts[key] = 0
        counts[key] += 1
    return [(c, f, counts[(c, f)]) for c, f in order]


# ------------------------------------------------------------------ stages

STAGES = ["guest", "entry + save", "dispatch", "vgic sync", "handler", "physical IRQ", "scheduler",
          "vgic flush", "restore + ERET"]
# Functions that own everything they call (the innermost one on the call stack wins).
ANCHORS = {
    "vgic_sync_lrs": "vgic sync", "vgic_flush_lrs": "vgic flush", "irq_drain": "physical IRQ",
    "vgic_lr_sync_slow": "vgic sync", "vgic_lr_flush_slow": "vgic flush",
    "sched_loop": "scheduler", "sched_check_current": "scheduler", "sched_pcpu_idle": "scheduler",
    "sched_vcpu_run": "scheduler", "exit_sync": "handler", "exit_irq": "handler", "exit_serror": "handler",
}
OWN_STAGE = {
    "el2_vectors": "entry + save", "guest_sync": "entry + save", "guest_irq": "entry + save",
    "exit_sync": "dispatch", "exit_irq": "dispatch", "vcpu_resume": "restore + ERET",
    "vcpu_resume_hvc": "restore + ERET", "vcpu_resume_stepped": "restore + ERET",
    "vcpu_enter_fresh": "restore + ERET", "call_on_fresh_stack": "scheduler",
}
RESET_STACK = {"el2_vectors", "vcpu_enter_fresh", "call_on_fresh_stack"}


def anchor_of(name):
    """The stage a function owns, also for its out-of-line parts (vgic_flush_lrs_cpu)."""
    for key, stage in ANCHORS.items():
        if name == key or name.startswith(key + "_") or name.startswith(key + "."):
            return stage
    return None


def kestrel_branches():
    """Addresses of kestrel's calls (bl, blr) and returns (ret)."""
    out = subprocess.run([CROSS + "objdump", "-d", "--no-show-raw-insn", str(KESTREL_ELF)],
                         capture_output=True, text=True, check=True).stdout
    calls = {int(a, 16) for a in re.findall(r"^\s*([0-9a-f]+):\s+blr?\s", out, re.M)}
    rets = {int(a, 16) for a in re.findall(r"^\s*([0-9a-f]+):\s+ret\b", out, re.M)}
    return calls, rets


def stages_of(cpus, pcs, lo, hi, syms, kestrel_lo, calls, rets):
    """Instructions per stage over [lo, hi), following each CPU's call stack."""
    counts = {st: 0 for st in STAGES}
    stacks = {}
    for j in range(lo, hi):
        cpu, pc = cpus[j], pcs[j]
        stack = stacks.setdefault(cpu, [])
        f = syms.name(pc)
        if pc < kestrel_lo:
            stack.clear()
            counts["guest"] += 1
            continue
        if f in RESET_STACK:
            stack.clear()
        stage = OWN_STAGE.get(f)
        if stage is None or stack:
            chain = stack + [f]
            anchored = [anchor_of(c) for c in chain if anchor_of(c)]
            if f in OWN_STAGE and not [c for c in stack if anchor_of(c)]:
                stage = OWN_STAGE[f]
            elif anchored:
                stage = anchored[-1]
            else:
                stage = "handler"
        counts[stage] += 1
        if pc in calls:
            stack.append(f)
        elif pc in rets and stack:
            stack.pop()
    return counts


def main():
    for path in (KESTREL_ELF, GUEST_ELF, GUEST_BIN):
        if not path.is_file():
            raise SystemExit(f"breakdown: {path} is missing: run `make bench-breakdown`")
    OUT.mkdir(parents=True, exist_ok=True)
    syms = Symbols(KESTREL_ELF, GUEST_ELF)
    workdir = OUT / "trace"
    workdir.mkdir(exist_ok=True)
    cmd, sock, log, kept = qemu_command(workdir)
    print("breakdown: recording every instruction (this takes a minute) ...", flush=True)
    console = record(cmd, sock, log)
    measured = {}
    for line in console.splitlines():
        m = re.search(r"\bBENCH (\S+) (\d+(?:\.\d+)?) (\d+)\s*$", line)
        if m:
            measured[m.group(1)] = float(m.group(2))
    cpus, pcs = read_trace(log)
    if kept:
        subprocess.run(["rm", "-rf", str(kept)])

    report = ["# Instruction breakdown (generated by bench/breakdown.py)", "",
              f"kestrel: {KESTREL_ELF.relative_to(TOP)}; {len(pcs)} instructions recorded.", ""]
    el2_irq = syms.by_name["el2_vectors"] + VECTOR_IRQ_LOWER_A64
    vec_mrs = find_insn("bench_vectors", r"mrs\s+x0, cntvct_el0")
    sgi_msr = find_insn("bench_send_sgi", r"msr\s+icc_sgi1r_el1")

    # Exits: each measured loop call has 4 rounds, after a warm-up call of 2; the last
    # execution of the trap before the next measurement is the last measured round trip.
    pos = 0
    sections = []
    for name in EXIT_ORDER:
        body_start, trap, body_len = loop_body(EXIT_LOOPS[name])
        hits = [i for i in range(pos, len(pcs)) if pcs[i] == trap and cpus[i] == 0][:6]
        if len(hits) < 6:
            raise SystemExit(f"breakdown: {name}: found {len(hits)} of 6 round trips")
        lo = hits[-1]
        hi = segment_until(cpus, pcs, lo, trap + 4, cpu=0)
        pos = hi
        sections.append((name, lo, hi, body_len, "exit"))

    # Latencies: the IRQ vector's counter read, in order: 6 on vCPU 1 for each IPI variant,
    # then 6 on vCPU 0 for each timer variant (2 warm-up rounds and 4 measured).
    vec_hits = [i for i in range(pos, len(pcs)) if pcs[i] == vec_mrs]
    ipi_wait, ipi_busy = vec_hits[5], vec_hits[11]
    timer_busy, timer_wfi = vec_hits[17], vec_hits[23]
    for name, end in (("virtual_ipi", ipi_wait), ("virtual_ipi_busy", ipi_busy)):
        lo = max(i for i in range(pos, end) if pcs[i] == sgi_msr)
        sections.append((name, lo, end, 0, "ipi"))
    lo = max(i for i in range(pos, timer_busy) if pcs[i] == el2_irq and cpus[i] == 0)
    sections.append(("timer_latency_busy", lo, timer_busy, 0, "timer"))
    # WFI: from the first instruction after kestrel's own WFI (the CPU wakes at the deadline).
    wfis = kestrel_wfis()
    wfi_idx = max(i for i in range(timer_busy, timer_wfi) if cpus[i] == 0 and pcs[i] in wfis)
    sections.append(("timer_latency_wfi", wfi_idx + 1, timer_wfi, 0, "timer"))
    # Not a benchmark row: what going idle costs, from the guest's WFI to kestrel's.
    guest_wfis = {a for a, t in disassemble(GUEST_ELF, "run_timer_bench") if t.startswith("wfi")}
    idle_lo = max(i for i in range(timer_busy, wfi_idx) if cpus[i] == 0 and pcs[i] in guest_wfis)
    sections.append(("going idle (guest WFI until kestrel waits)", idle_lo, wfi_idx + 1, 0, "idle"))

    for name, lo, hi, body_len, kind in sections:
        rows = account(cpus, pcs, lo, hi, syms)
        traced = hi - lo
        report += [f"## {name}", ""]
        if kind == "exit":
            report.append(f"From the trapping instruction to the instruction after it (the loop body "
                          f"has {body_len} instruction{'s' if body_len > 1 else ''}, counted below from "
                          "the trapping one).")
        elif kind == "ipi":
            report.append("From vCPU 0's ICC_SGI1R_EL1 write to vCPU 1's counter read in its IRQ vector.")
        elif kind == "timer" and name.endswith("busy"):
            report.append("From kestrel's IRQ vector (the CPU takes the timer's physical interrupt) to the "
                          "guest's counter read in its IRQ vector.")
        elif kind == "timer":
            report.append("From the CPU waking in kestrel's WFI (at the deadline) to the guest's counter read "
                          "in its IRQ vector.")
        else:
            report.append("From the guest's WFI (trapped) to kestrel's own WFI, where the physical CPU waits. "
                          "Not part of any figure above unless a deadline comes first; with -icount, "
                          "virtual time jumps over the wait.")
        report += ["", "| CPU | function | instructions |", "|---:|---|---:|"]
        report += [f"| {c} | `{f}` | {n} |" for c, f, n in rows]
        extra = body_len - 1 if kind == "exit" else 0
        m = measured.get(name)
        report += [f"| | **total in the trace** | **{traced + extra}** |", ""]
        if m is not None:
            report.append(f"The guest's counter in this run: {m:g}.")
        report.append("")
    calls, rets = kestrel_branches()
    kestrel_lo = syms.by_name["_start"]
    summary = ["## By stage", "",
               "Each instruction is counted once, in the stage of the innermost of these on its CPU's "
               "call stack: `vgic_sync_lrs`, `vgic_flush_lrs` (and their out-of-line `_slow` parts), "
               "`irq_drain` (physical IRQ), the scheduler (`sched_loop`, `sched_check_current`, "
               "`sched_pcpu_idle`, `sched_vcpu_run`); otherwise the exit handler. Entry + save is the vector and "
               "`guest_sync`/`guest_irq`; dispatch is `exit_sync`/`exit_irq` themselves, with whatever "
               "is inlined into them; restore + ERET is `vcpu_resume` (`vcpu_resume_hvc` after a hypercall, `vcpu_resume_stepped` after another exit that resumes at once). Guest instructions include the "
               "trapping one.", "",
               "\"counter\" is the guest's own figure in this run (one instruction per translation "
               "block makes QEMU's count exact); \"make bench\" is the figure in "
               "build/bench/results.csv, from the last `make bench`, whose kestrel may differ.", "",
               "| measurement | " + " | ".join(STAGES) + " | total | counter | make bench |",
               "|---|" + "---:|" * (len(STAGES) + 3)]
    bench = {}
    if (OUT / "results.csv").is_file():
        with open(OUT / "results.csv") as f:
            for row in csv.DictReader(f):
                bench[row["name"]] = row["instructions"]
    for name, lo, hi, body_len, kind in sections:
        c = stages_of(cpus, pcs, lo, hi, syms, kestrel_lo, calls, rets)
        extra = body_len - 1 if kind == "exit" else 0
        c["guest"] += extra
        m = measured.get(name)
        summary.append(f"| {name} | " + " | ".join(str(c[st]) for st in STAGES) +
                       f" | {sum(c.values())} | {f'{m:g}' if m is not None else '-'} | {bench.get(name) or '-'} |")
    report[4:4] = summary + [""]
    text = "\n".join(report)
    (OUT / "breakdown.md").write_text(text)
    print(text)
    log.unlink(missing_ok=True)


def kestrel_wfis():
    """Addresses of kestrel's WFI instructions."""
    out = subprocess.run([CROSS + "objdump", "-d", "--no-show-raw-insn", str(KESTREL_ELF)],
                         capture_output=True, text=True, check=True)
    return {int(m.group(1), 16) for m in re.finditer(r"^\s*([0-9a-f]+):\s+wfi\b", out.stdout, re.M)}


if __name__ == "__main__":
    main()
