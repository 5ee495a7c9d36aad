"""Integration cases: each boots kestrel on QEMU through `./kestrel run` and checks the console.

A case passes when ./kestrel exits with `exit`, every regex in `expect` matches the console
(stdout and stderr of ./kestrel, as saved in build/test/<name>.log) and none in `forbid` does.
Test guests print "RESULT: PASS" or "RESULT: FAIL (...)" and power off (guests/README.md).
"""
from dataclasses import dataclass, field

# A panic or a failing guest check is never what a case wants to see.
DEFAULT_FORBID = [r"kestrel: (panic|PANIC)", r"RESULT: FAIL"]

# What kestrel prints when the VM ran to its end and the machine powers off.
VM_STOPPED = [r"kestrel: vm0 stopped", r"kestrel: all VMs stopped"]


@dataclass
class Case:
    name: str
    args: list  # arguments of `./kestrel run`
    expect: list = field(default_factory=list)  # regexes that must all appear
    forbid: list = field(default_factory=lambda: list(DEFAULT_FORBID))
    exit: int = 0  # the expected exit status of ./kestrel
    timeout: int = 60  # seconds, passed as --timeout


def guest(name):
    return f"build/guests/{name}.bin"


def guest_case(name, *extra_args, expect=(), **kw):
    """A test guest that must print RESULT: PASS and stop cleanly."""
    return Case(name, ["--kernel", guest(name), *extra_args],
                expect=[*expect, r"RESULT: PASS", *VM_STOPPED], **kw)


def linux_case(name, kernel, vcpus=2):
    """Debian's own arm64 kernel with the busybox check script as init (guests/linux)."""
    checks = ["kernel", "nproc", "timer", "ipi", "cpu-bound", "uptime"]
    return Case(name, ["--kernel", f"build/cache/linux/{kernel}/Image",
                       "--initrd", "build/test-initramfs.cpio.gz",
                       "--cmdline", f"console=ttyAMA0 kestrel.vcpus={vcpus} panic=-1",
                       "--vcpus", str(vcpus), "--mem", "512M"],
                expect=[*(rf"LINUX-CHECK: {c} .*\bok\b" if c != "kernel"
                          else rf"LINUX-CHECK: kernel \S+" for c in checks),
                        r"LINUX-CHECK: RESULT PASS", *VM_STOPPED],
                forbid=[*DEFAULT_FORBID, r"LINUX-CHECK: .*FAIL", r"Kernel panic",
                        r"reset requested"],
                timeout=240)


def boot_refusal(name, option_args, reason):
    """kestrel must refuse to start on a machine it cannot use, and say why."""
    return Case(name, ["--kernel", guest("hello"), *option_args], expect=[reason], exit=2)


def tool_error(name, args, expect):
    """./kestrel itself must reject the options before booting anything."""
    return Case(name, args, expect=[expect], exit=1, timeout=20)


CASES = [
    # guests
    guest_case("hello", "--cmdline", "hello-args 42",
               expect=[r"hello from a kestrel guest", r"hello-args 42"]),
    guest_case("smccc", "--vcpus", "2"),
    guest_case("mmio"),
    guest_case("sysreg"),
    guest_case("abort", expect=[r"kestrel: vm0.*data abort injected"]),
    guest_case("fpsimd"),
    guest_case("wfi", "--icount"),
    guest_case("vgic", "--vcpus", "2"),
    guest_case("reset", "--icount", "--mem", "64M",
               expect=[r"reset: first boot", r"kestrel: vm0: reset requested",
                       r"reset: second boot"]),

    # the real-world guest: Debian's unmodified kernels, 2 vCPUs on 2 CPUs
    linux_case("linux-bookworm", "bookworm"),
    linux_case("linux-backports", "backports"),
    # typing into the guest: physical UART interrupt -> virtual PL011 -> vGIC SPI -> Linux tty
    Case("linux-console-input",
         ["--kernel", "build/cache/linux/bookworm/Image",
          "--initrd", "build/shell-initramfs.cpio.gz", "--cmdline", "console=ttyAMA0",
          "--vcpus", "2", "--mem", "512M",
          "--send-after", r"busybox shell", "--send", r"echo typed-$((6*7)); poweroff -f\n"],
         expect=[r"typed-42", *VM_STOPPED], timeout=240),

    # kestrel's checks of the machine it boots on
    boot_refusal("boot-el1", ["--no-virtualization"], r"kestrel: fatal: .*EL1.*virtualization=on"),
    boot_refusal("boot-gicv2", ["--gic-version", "2"], r"kestrel: fatal: .*GICv3.*gic-version=3"),
    boot_refusal("boot-no-dtb", ["--no-dtb"], r"kestrel: fatal: .*device tree"),

    # the host tool's own option checks
    tool_error("tool-missing-kernel", ["--kernel", "/nonexistent"], r"--kernel"),
    tool_error("tool-vcpus-over-pcpus", ["--kernel", guest("hello"), "--vcpus", "3", "--pcpus", "2"],
               r"--vcpus 3 needs --pcpus >= 3"),
    tool_error("tool-mem-too-small", ["--kernel", guest("hello"), "--mem", "3M"], r"--mem"),
]
