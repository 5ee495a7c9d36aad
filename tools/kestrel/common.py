# SPDX-License-Identifier: Apache-2.0
"""What every module of the tool shares: paths, QEMU virt's layout, sizes, the Failure exception."""
import argparse
import re
import sys
from pathlib import Path

# tools/kestrel/common.py -> the repository's top folder
TOP = Path(__file__).resolve().parents[2]
QEMU = "qemu-system-aarch64"
DTC = "dtc"

KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30
# What only this tool knows: QEMU virt's layout and how the tool lays out a machine. kestrel's
# own limits come from kestrel-check --limits (kestrel.checker), never from here.
RAM_BASE = 0x40000000  # virt
RAW_LOAD_OFFSET = 0x80000  # where QEMU loads an image without an arm64 Image header
QEMU_BOOT_STUB_SIZE = 4 * KiB  # QEMU's boot stub at RAM_BASE; an Image asking to overlap it moves 2M up
MODULE_BASE = 0x49000000  # above QEMU's DTB at 0x48000000
MODULE_ALIGN = 2 * MiB
HOST_RAM_SLACK = 384 * MiB  # kestrel itself, the DTB, page tables, below-module gap
HOST_RAM_MIN = 1 * GiB
HOST_RAM_STEP = 256 * MiB  # the machine's RAM is a multiple of this
HOST_RAM_CEILING = 16 * GiB  # the most VM memory this tool asks QEMU for
KESTREL_RESERVE = 32 * MiB  # above the images: kestrel's page owner table, tables, guest DTBs
DEFAULT_PCPUS = 2  # a configuration without cpu-affinity
ARM64_IMAGE_MAGIC = b"ARM\x64"
ARM64_IMAGE_MAGIC_OFFSET = 0x38

HALT_MARKER = b"kestrel: halted"
QEMU_ESCAPE = "0x1d"  # Ctrl-]: QEMU's escape in interactive mode, so that Ctrl-A reaches kestrel

# exit statuses, documented in --help
EXIT_OK, EXIT_USAGE, EXIT_HALTED, EXIT_TIMEOUT, EXIT_QEMU, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130


class Terminated(Exception):
    """SIGTERM or SIGHUP: unwind like Ctrl-C so that QEMU is stopped and files removed."""

    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


def raise_terminated(signum, _frame):
    raise Terminated(signum)


class Failure(Exception):
    """A reason to stop, with the exit status to stop with."""

    def __init__(self, message, status=EXIT_USAGE):
        super().__init__(message)
        self.status = status


def parse_size(text):
    """'512M', '1G', '64K' or a plain byte count -> bytes."""
    m = re.fullmatch(r"\s*(\d+)\s*([KMG]?)(?:i?B)?\s*", text, re.IGNORECASE)
    if not m:
        raise argparse.ArgumentTypeError(f"invalid size {text!r} (use e.g. 512M, 1G, 268435456)")
    unit = {"": 1, "K": KiB, "M": MiB, "G": GiB}[m.group(2).upper()]
    return int(m.group(1)) * unit


def format_size(n):
    """A size as an option value: 512M, 1G, 4K or bytes."""
    for unit, size in (("G", GiB), ("M", MiB), ("K", KiB)):
        if n % size == 0 and n >= size:
            return f"{n // size}{unit}"
    return str(n)


def human_size(n):
    """A size in a sentence: 3 MiB, 1 GiB, 5000 bytes."""
    for unit, size in (("GiB", GiB), ("MiB", MiB), ("KiB", KiB)):
        if n % size == 0 and n >= size:
            return f"{n // size} {unit}"
    return f"{n} bytes"


def note(message):
    print(f"kestrel run: note: {message}", file=sys.stderr)


def align_up(value, align):
    return (value + align - 1) // align * align
