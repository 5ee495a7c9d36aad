# SPDX-License-Identifier: Apache-2.0
"""kestrel's own rules, from kestrel: build/tools/kestrel-check is kestrel's parser of the host
device tree (hyp/config/hostdt.c and vmconfig.c) built for the host. Run on the device tree the
tool has generated, it prints each refusal exactly as kestrel would at boot; with --limits, the
limits this tool needs (vCPUs, memory sizes), from kestrel's headers."""
import functools
import subprocess

from .common import EXIT_USAGE, TOP, Failure

CHECKER = TOP / "build" / "tools" / "kestrel-check"


def run_checker(arg):
    """(exit status, stdout lines) of kestrel-check."""
    if not CHECKER.is_file():
        raise Failure(f"kestrel run: {CHECKER.relative_to(TOP)}: no such file; run `make` first "
                      "(it is kestrel's own configuration parser, built for this machine)", EXIT_USAGE)
    result = subprocess.run([str(CHECKER), str(arg)], stdin=subprocess.DEVNULL, capture_output=True,
                            text=True)
    if result.returncode not in (0, 1):
        raise Failure(f"kestrel run: {CHECKER.name} {arg} failed (exit {result.returncode}): "
                      f"{result.stderr.strip()}", EXIT_USAGE)
    return result.returncode, result.stdout.splitlines()


@functools.lru_cache(maxsize=None)
def limits():
    """kestrel's limits by name (PCPU_MAX, VCPU_MAX, VM_MEM_DEFAULT, VM_MEM_MIN, VM_MEM_ALIGN...)."""
    _, lines = run_checker("--limits")
    return {name: int(value) for name, value in (line.split() for line in lines)}


def limit(name):
    return limits()[name]


def verdict(dtb):
    """kestrel's refusals of the VMs and shared regions a device tree describes, one line each,
    as kestrel prints them at boot ("kestrel: vm 'a' refused: ..."); [] when it takes them all."""
    status, lines = run_checker(dtb)
    if status and not lines:
        raise Failure(f"kestrel run: {CHECKER.name} {dtb} refused without saying why", EXIT_USAGE)
    return lines


def refuse_on(config, dtb):
    """Stop, with kestrel's own words, when kestrel would refuse any of the configuration."""
    lines = verdict(dtb)
    if lines:
        raise Failure("\n".join(lines + [f"{config.where()}kestrel refuses this configuration "
                                         "(above, as it would say at boot): not booting"]))
