# SPDX-License-Identifier: Apache-2.0
"""The session: QEMU started and stopped, its console copied to the terminal (and a log) and
watched for kestrel's halt, text typed on it (--send)."""
import ctypes
import os
import re
import select
import signal
import subprocess
import sys
import termios
import time
from dataclasses import dataclass

from .common import EXIT_HALTED, EXIT_QEMU, EXIT_TIMEOUT, HALT_MARKER, Failure

def die_with_parent():
    """In the child: QEMU gets SIGTERM if this tool dies, even by SIGKILL, so that no machine is
    ever left running on its own."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def start_qemu(cmd, interactive, stderr_file, typed=False):
    stdin = subprocess.PIPE if typed else (None if interactive else subprocess.DEVNULL)
    try:
        return subprocess.Popen(cmd, stdin=stdin, preexec_fn=die_with_parent,
                                stdout=subprocess.PIPE, stderr=stderr_file)
    except OSError as e:
        raise Failure(f"kestrel run: cannot start {cmd[0]}: {e.strerror} (run `make setup`)", EXIT_QEMU)


def stop_qemu(qemu):
    """SIGTERM first: QEMU then restores the terminal it put in raw mode."""
    if qemu.poll() is not None:
        return
    qemu.terminate()
    try:
        qemu.wait(timeout=3)
    except subprocess.TimeoutExpired:
        qemu.kill()
        qemu.wait()


@dataclass
class Send:
    text: bytes  # what to type
    after: re.Pattern = None  # what must appear on the console first; None: at once


def sends_from_options(texts, afters):
    """--send k paired with --send-after k; \\n, \\x01 and friends are unescaped."""
    sends = []
    for k, text in enumerate(texts):
        after = afters[k] if k < len(afters) else ""
        try:
            pattern = re.compile(after.encode()) if after else None
        except re.error as e:
            raise Failure(f"kestrel run: --send-after {after!r}: {e}")
        sends.append(Send(text.encode().decode("unicode_escape").encode(), pattern))
    return sends


class Console:
    """Copies QEMU's output to our stdout (and the log) and watches it for markers."""

    def __init__(self, log, sends=()):
        self.log = log
        self.line = b""  # the line being assembled
        self.halted = False
        self.sends = list(sends)
        self.unmatched = b""  # output after the last --send-after's match, where the next is sought

    def ready_to_send(self):
        """The next text to type, once: when its trigger has appeared on the console."""
        if not self.sends:
            return None
        send = self.sends[0]
        if send.after:
            m = send.after.search(self.unmatched)
            if not m:
                return None
            self.unmatched = self.unmatched[m.end():]
        self.sends.pop(0)
        return send.text

    def feed(self, chunk):
        out = sys.stdout.buffer
        out.write(chunk)
        out.flush()
        if self.log:
            self.log.write(chunk)
            self.log.flush()
        self.watch(chunk)

    def watch(self, chunk):
        self.unmatched = (self.unmatched + chunk)[-8192:]
        *complete, self.line = (self.line + chunk).split(b"\n")
        # kestrel ends every line it prints, the halt line too: wait for its end, which says
        # whether every CPU stopped.
        if any(HALT_MARKER in line for line in complete):
            self.halted = True
        self.line = self.line[-4096:]  # a line without end must not grow forever


def pump(qemu, console, timeout):
    """Stream until QEMU closes its output, kestrel halts, or time runs out."""
    deadline = time.monotonic() + timeout if timeout else None
    fd = qemu.stdout.fileno()
    while True:
        wait = None if deadline is None else max(0.0, deadline - time.monotonic())
        ready, _, _ = select.select([fd], [], [], wait)
        if not ready:
            return "timeout"
        chunk = os.read(fd, 65536)
        if not chunk:
            return "eof"
        console.feed(chunk)
        if console.halted:
            return "halted"
        while (text := console.ready_to_send()) is not None:
            time.sleep(0.5)  # let the guest open its console before typing
            qemu.stdin.write(text)
            qemu.stdin.flush()


def qemu_stderr(path):
    text = path.read_text(errors="replace").strip() if path.exists() else ""
    return text or "(QEMU printed nothing on stderr)"


def boot(args, cmd, workdir, interactive):
    stderr_path = workdir / "qemu.stderr"
    sends = sends_from_options(args.send, args.send_after)
    with open(stderr_path, "wb") as stderr_file, open_log(args.log) as log:
        qemu = start_qemu(cmd, interactive, stderr_file, typed=bool(sends))
        try:
            outcome = pump(qemu, Console(log, sends), args.timeout)
            if outcome == "eof":
                status = qemu.wait()
        finally:
            stop_qemu(qemu)
    if outcome == "halted":
        raise Failure("kestrel run: the hypervisor halted (see above)", EXIT_HALTED)
    if outcome == "timeout":
        raise Failure(f"kestrel run: timed out after {args.timeout:g} s", EXIT_TIMEOUT)
    if status != 0:
        raise Failure(f"kestrel run: QEMU exited with status {status}:\n{qemu_stderr(stderr_path)}", EXIT_QEMU)


class open_log:
    """--log FILE, or nothing."""

    def __init__(self, path):
        self.path, self.file = path, None

    def __enter__(self):
        if self.path:
            try:
                self.file = open(self.path, "wb")
            except OSError as e:
                raise Failure(f"kestrel run: --log {self.path}: {e.strerror}")
        return self.file

    def __exit__(self, *exc):
        if self.file:
            self.file.close()


class TerminalState:
    """Restore the terminal even if QEMU dies without doing it (it sets raw mode)."""

    def __init__(self):
        self.saved = None

    def __enter__(self):
        if sys.stdin.isatty():
            self.saved = termios.tcgetattr(sys.stdin.fileno())
        return self

    def __exit__(self, *exc):
        if self.saved is not None:
            termios.tcsetattr(sys.stdin.fileno(), termios.TCSANOW, self.saved)
