#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""One set of configuration rules: the tool's verdict on a configuration and kestrel's own verdict
at boot are the same, message for message.

The corpus: every configuration in examples/ and tests/integration/configs/, and those of
tests/tool/corpus/ (the cases where ./kestrel and kestrel used to disagree, and more bad ones).
For each one:
- the tool's verdict: `./kestrel run CONFIG --check-only`, which generates the machine's device
  tree and has kestrel-check (kestrel's parser built for the host) judge it; its refusals are
  the lines it prints as kestrel would ("kestrel: vm 'a' refused: ...");
- kestrel's verdict: `./kestrel run CONFIG --no-check --selftest panic`, which boots kestrel on
  the same machine with no check before; kestrel reports the VMs and shared regions it refuses
  while it builds them, and the panic selftest stops it right after, before any VM runs (with no
  VM left it powers off instead). Its refusals are the same kind of lines of the console.
Both lists must be equal. Configurations the tool refuses on grounds kestrel cannot see (files,
image headers, the source as dtc reads it, the machine's RAM) are listed in TOOL_ONLY: the tool
must refuse them in its own words, and kestrel-check must have had no say.

One QEMU at a time; each boot of kestrel alone takes about a second.
Run by tests/run_tests.py (tool/test_config_corpus); alone: python3 tests/tool/test_config_corpus.py
"""
import re
import subprocess
import sys
import unittest
from pathlib import Path

TOP = Path(__file__).resolve().parents[2]
KESTREL = TOP / "kestrel"
CORPUS = sorted([*TOP.glob("examples/*.dts"), *TOP.glob("tests/integration/configs/*.dts"),
                 *TOP.glob("tests/tool/corpus/*.dts")])

# Refused by the tool for what only it sees; the reason it gives.
TOOL_ONLY = {
    "syntax-error": r"dtc cannot compile it",
    "duplicate": r"vm 'twin': written 2 times",
    "duplicate-block": r"vm 'twin': written 2 times",
    "kernel-missing": r"vm 'bad': property 'kernel' is missing",
    "kernel-unreadable": r"vm 'bad': property 'kernel': \S+: no such file",
    "kernel-not-image": r"vm 'bad': property 'kernel': \S+ is not an arm64 Image",
    "kernel-directory": r"vm 'bad': property 'kernel': \S+: a directory, not a file",
    "ramdisk-unreadable": r"vm 'bad': property 'ramdisk': \S+: no such file",
    "shared-refused-member": r"vm 'bad': property 'kernel': \S+ is not an arm64 Image",
    "memory-huge": r"vm 'huge': property 'memory': the VMs' memory adds up to 18 GiB",
    "blk-missing": r"vm 'bad': node 'disk0': property 'image': \S+: no such file",
}

# kestrel's lines that say what it refuses of a configuration (or of the machine).
REFUSAL = re.compile(r"^kestrel: (?:vm '.*' refused: |shared region '.*' refused: |no VM to run: |fatal: ).*$",
                     re.MULTILINE)
TOOL_TIMEOUT = 60
BOOT_TIMEOUT = 20  # kestrel's own --timeout; it stops in about a second


def kestrel(*args, timeout):
    """(exit status, output) of ./kestrel run; the serial port's \\r\\n read as \\n."""
    result = subprocess.run([sys.executable, str(KESTREL), "run", *map(str, args)], cwd=TOP,
                            stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    out = (result.stdout + result.stderr).decode(errors="replace").replace("\r\n", "\n")
    return result.returncode, out


def refusals(text):
    return REFUSAL.findall(text)


class Corpus(unittest.TestCase):
    """One test per configuration (added below)."""

    def agree(self, path):
        rel = path.relative_to(TOP)
        status, tool_out = kestrel(rel, "--check-only", timeout=TOOL_TIMEOUT)
        if path.stem in TOOL_ONLY and path.parent.name == "configs":
            self.assertEqual(status, 1, tool_out)
            self.assertRegex(tool_out, re.escape(f"kestrel run: {rel}: ") + TOOL_ONLY[path.stem])
            self.assertEqual(refusals(tool_out), [], "kestrel-check ran on a configuration the tool refuses")
            return
        tool = refusals(tool_out)
        self.assertEqual(status, 1 if tool else 0, tool_out)
        if tool:
            self.assertIn(f"kestrel run: {rel}: kestrel refuses this configuration", tool_out)
        _, boot_out = kestrel(rel, "--no-check", "--selftest", "panic", "--timeout", BOOT_TIMEOUT,
                              timeout=BOOT_TIMEOUT + 30)
        self.assertRegex(boot_out, r"kestrel: (selftest: reading unmapped address|no VM to run)",
                         "kestrel did not get as far as its VMs:\n" + boot_out[-3000:])
        self.assertEqual(tool, refusals(boot_out))


def add_case(path):
    name = "test_" + re.sub(r"\W", "_", f"{path.parent.name}_{path.stem}")
    setattr(Corpus, name, lambda self: self.agree(path))


for _path in CORPUS:
    add_case(_path)


class TheCorpus(unittest.TestCase):
    """The corpus holds what it must: every existing configuration and the cases of the drift."""

    def test_every_configuration_and_the_drift_cases(self):
        names = {f"{p.parent.name}/{p.stem}" for p in CORPUS}
        self.assertGreaterEqual(len([n for n in names if n.startswith("configs/")]), 60)
        self.assertTrue({"examples/two-linux", "examples/linux-baremetal", "examples/four-baremetal"} <= names)
        self.assertTrue({"corpus/shared-member-twice", "corpus/names", "corpus/kestrel-devices",
                         "configs/memory-missing"} <= names)
        self.assertTrue({f"configs/{n}" for n in TOOL_ONLY} <= names)

    def test_the_drift_cases_are_decided_by_kestrels_rule(self):
        """The verdicts the tool and kestrel used to disagree on, as kestrel's parser gives them."""
        _, out = kestrel(TOP / "tests/tool/corpus/shared-member-twice.dts", "--check-only", timeout=TOOL_TIMEOUT)
        self.assertIn("kestrel: shared region 'twice' refused: property 'vms': names 'a' twice", refusals(out))
        status, out = kestrel(TOP / "tests/integration/configs/memory-missing.dts", "--check-only",
                              timeout=TOOL_TIMEOUT)
        self.assertEqual((status, refusals(out)), (0, []), out)
        _, out = kestrel(TOP / "tests/tool/corpus/names.dts", "--check-only", timeout=TOOL_TIMEOUT)
        self.assertEqual([line.split("'")[1] for line in refusals(out)],
                         ["a.b", "_under", "x23456789012345678901234567890123"])
        _, out = kestrel(TOP / "tests/tool/corpus/kestrel-devices.dts", "--check-only", timeout=TOOL_TIMEOUT)
        self.assertEqual([line.split("'")[1] for line in refusals(out)], ["gic", "its", "uart"])

    def test_isolation_cases_are_refused_by_kestrels_rule(self):
        """What would let one VM reach another's device is refused, in kestrel's words."""
        _, out = kestrel(TOP / "tests/tool/corpus/passthrough-page.dts", "--check-only", timeout=TOOL_TIMEOUT)
        self.assertEqual(refusals(out), [
            "kestrel: vm 'second' refused: property 'passthrough': '/virtio_mmio@a000200' reg[0] shares the 4 KiB "
            "page at 0xa000000 with '/virtio_mmio@a000000' of VM 'first'"])


if __name__ == "__main__":
    # One line per test ("name (module.Class.name) ... ok"), which tests/run_tests.py counts.
    unittest.main(testRunner=unittest.TextTestRunner(verbosity=2, descriptions=False))
