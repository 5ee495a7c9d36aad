#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The build on a machine that has nothing yet: the README's `make test` must work at the first
try on a fresh Debian, before tools/setup.sh has installed the cross compiler, dtc or QEMU.

make is run here with CROSS naming a compiler that does not exist and SHELL set to a recorder,
in dry-run mode (-n -B: nothing is built). Every $(shell ...) that make evaluates while it parses
goes through the recorder. The checks:
- nothing evaluated at parse time needs what set-up installs (only sed and git, which a machine
  that cloned the tree has), and make prints nothing on its error stream;
- in the order make would run things, tools/setup.sh comes before the first use of the cross
  compiler, dtc or QEMU.
Putting back a parse-time `$(shell $(CC_HYP) ...)` fails both.

Also here: core code touches no system register itself (make arch-boundary, part of make lint,
passes on the tree and fails on a file that does); and the address types of
hyp/include/kestrel/addr.h, checked by compiling a stage-2 call with its addresses right and
swapped.

Run by tests/run_tests.py (tool/test_build); alone: python3 tests/tool/test_build.py
"""
import os
import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path

TOP = Path(__file__).resolve().parents[2]
MISSING_CROSS = "/nonexistent/kestrel-missing-aarch64-"
# What a $(shell ...) at parse time may run: programs a machine that cloned the tree has.
PARSE_TIME_PROGRAMS = {"sed", "git"}
# What set-up installs: a command line naming one of these needs set-up first.
INSTALLED_BY_SETUP = (MISSING_CROSS, "dtc ", "qemu-system-", "mkfs.ext4", "cppcheck", "clang-format")


class FreshMachineBuild(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = Path(tempfile.mkdtemp(prefix="kestrel-build-test-"))
        cls.record = cls.tmp / "shell-calls"
        recorder = cls.tmp / "recording-shell"
        recorder.write_text('#!/bin/bash\nprintf "%s\\n" "$*" >> "' + str(cls.record) + '"\n'
                            'exec /bin/bash "$@"\n')
        recorder.chmod(0o755)
        env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
        # B points at an empty folder: no set-up stamp, no objects, no .d files, as on a fresh clone.
        cls.make = subprocess.run(
            ["make", "-n", "-B", "test", f"CROSS={MISSING_CROSS}", f"SHELL={recorder}",
             f"B={cls.tmp / 'build'}"],
            cwd=TOP, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
        cls.calls = cls.record.read_text().splitlines() if cls.record.exists() else []

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_make_parses_cleanly_without_the_toolchain(self):
        self.assertEqual(self.make.returncode, 0, self.make.stderr)
        self.assertEqual(self.make.stderr, "", "make printed on its error stream")

    def test_parse_time_commands_need_nothing_from_setup(self):
        self.assertTrue(self.calls, "the recorder saw no $(shell ...): is SHELL still honoured?")
        for call in self.calls:
            script = call.removeprefix("-c ").strip()
            program = os.path.basename(script.split()[0]) if script else ""
            with self.subTest(call=call):
                self.assertIn(program, PARSE_TIME_PROGRAMS,
                              f"make runs {script!r} while parsing")
                for tool in INSTALLED_BY_SETUP:
                    self.assertNotIn(tool, script)

    def test_setup_comes_before_every_use_of_what_it_installs(self):
        lines = self.make.stdout.splitlines()
        setup = [i for i, line in enumerate(lines) if "tools/setup.sh" in line]
        self.assertTrue(setup, "make test does not run tools/setup.sh")
        uses = [i for i, line in enumerate(lines) if any(t in line for t in INSTALLED_BY_SETUP)]
        self.assertTrue(uses, "the dry run names no compile: is CROSS still used?")
        self.assertLess(setup[0], uses[0], f"{lines[uses[0]]!r} comes before set-up")


# A stage-2 mapping written right, and with its two addresses swapped: the second must not compile.
S2PT_CALL = """#include <kestrel/s2pt.h>
int map(struct pgtable *s2, ipa_t ipa, pa_t pa);
int map(struct pgtable *s2, ipa_t ipa, pa_t pa)
{
	return s2pt_map(s2, %s, 4096, PT_R);
}
"""


class AddressSpaces(unittest.TestCase):
    """pa_t and ipa_t (hyp/include/kestrel/addr.h) are different types: mixing them in the
    stage-2 API is a compile error, not a guest that sees the wrong memory."""

    def compile(self, args):
        with tempfile.TemporaryDirectory() as tmp:
            src = Path(tmp) / "s2pt_call.c"
            src.write_text(S2PT_CALL % args)
            return subprocess.run(["gcc", "-std=c11", "-fsyntax-only", "-Wall", "-Werror",
                                   "-DKESTREL_HOST_TEST", f"-I{TOP / 'hyp/include'}", str(src)],
                                  capture_output=True, text=True, timeout=60)

    def test_ipa_then_pa_compiles(self):
        result = self.compile("ipa, pa")
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_pa_for_ipa_does_not_compile(self):
        result = self.compile("pa, ipa")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("incompatible type", result.stderr)

    def test_plain_number_does_not_compile(self):
        result = self.compile("0x40000000, pa")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("incompatible type", result.stderr)


class ArchBoundary(unittest.TestCase):
    """hyp/core, hyp/vdev, hyp/mm, hyp/config and hyp/lib reach the CPU only through
    kestrel/arch.h: `make arch-boundary` fails on a register access or assembly there."""

    def run_check(self, dirs=None):
        args = ["make", "-s", "arch-boundary"] + ([f"ARCH_FREE_DIRS={dirs}"] if dirs else [])
        return subprocess.run(args, cwd=TOP, capture_output=True, text=True, timeout=60)

    def test_the_tree_passes(self):
        result = self.run_check()
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_each_kind_of_access_fails(self):
        for line in ("x = read_sysreg(cntpct_el0);", "write_sysreg(hcr_el2, 0);",
                     '__asm__ volatile("isb");', 'asm("tlbi vmalle1is");'):
            with self.subTest(line=line), tempfile.TemporaryDirectory() as tmp:
                (Path(tmp) / "core.c").write_text("void f(void)\n{\n\t" + line + "\n}\n")
                result = self.run_check(tmp)
                self.assertNotEqual(result.returncode, 0, line)
                self.assertIn("core.c:3:", result.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
