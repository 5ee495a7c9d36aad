/* SPDX-License-Identifier: Apache-2.0 */
/*
 * perfcount: the Linux guest's own cycles through perf_event_open(2), for check-init.sh (the
 * initramfs has no perf tool, and no C library: raw system calls, linked static). Counts
 * CPU_CYCLES (user and kernel) and then INSTRUCTIONS around a busy loop and prints
 * "cycles N instructions M", with M "-" when the kernel has no such event (QEMU counts
 * instructions only with -icount, and its PMCEID0 says so). Exits 0 when cycles were counted.
 */
typedef unsigned long u64;
typedef unsigned int u32;

#define SYS_IOCTL	       29
#define SYS_READ	       63
#define SYS_WRITE	       64
#define SYS_EXIT	       93
#define SYS_PERF_EVENT_OPEN    241
#define PERF_TYPE_HARDWARE     0
#define PERF_COUNT_CYCLES      0
#define PERF_COUNT_INSNS       1
#define PERF_EVENT_IOC_ENABLE  0x2400
#define PERF_EVENT_IOC_DISABLE 0x2401
#define ATTR_DISABLED	       (1ul << 0)
#define ATTR_EXCLUDE_HV	       (1ul << 6)

/* struct perf_event_attr up to its first published size (PERF_ATTR_SIZE_VER0, 64 bytes). */
struct attr {
	u32 type, size;
	u64 config, sample_period, sample_type, read_format, flags;
	u32 wakeup_events, bp_type;
	u64 bp_addr;
};

static long sys(long n, long a, long b, long c, long d, long e)
{
	register long x8 __asm__("x8") = n, x0 __asm__("x0") = a, x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c, x3 __asm__("x3") = d, x4 __asm__("x4") = e;

	__asm__ __volatile__("svc #0"
			     : "+r"(x0)
			     : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4)
			     : "memory");
	return x0;
}

static void out(const char *s)
{
	long n = 0;

	while (s[n])
		n++;
	sys(SYS_WRITE, 1, (long)s, n, 0, 0);
}

static void out_num(u64 v)
{
	char buf[24];
	int i = 23;

	buf[i] = 0;
	do
		buf[--i] = (char)('0' + v % 10);
	while ((v /= 10) && i > 0);
	out(&buf[i]);
}

/* The event's count over a loop of 10 million iterations; -1 when it cannot be opened. */
static long count(u64 config)
{
	struct attr a;
	u64 value = 0;
	long fd;

	/* Field by field: there is no memset to zero it with. */
	a.type = PERF_TYPE_HARDWARE;
	a.size = sizeof(a);
	a.config = config;
	a.sample_period = a.sample_type = a.read_format = 0;
	a.flags = ATTR_DISABLED | ATTR_EXCLUDE_HV;
	a.wakeup_events = a.bp_type = 0;
	a.bp_addr = 0;
	fd = sys(SYS_PERF_EVENT_OPEN, (long)&a, 0 /* this task */, -1 /* any CPU */, -1, 0);
	if (fd < 0)
		return -1;
	sys(SYS_IOCTL, fd, PERF_EVENT_IOC_ENABLE, 0, 0, 0);
	for (volatile u64 i = 0; i < 10000000; i++)
		;
	sys(SYS_IOCTL, fd, PERF_EVENT_IOC_DISABLE, 0, 0, 0);
	if (sys(SYS_READ, fd, (long)&value, sizeof(value), 0, 0) != sizeof(value))
		return -1;
	return (long)value;
}

void _start(void);
void _start(void)
{
	long cycles = count(PERF_COUNT_CYCLES), insns = count(PERF_COUNT_INSNS);

	out("cycles ");
	if (cycles < 0)
		out("-");
	else
		out_num((u64)cycles);
	out(" instructions ");
	if (insns < 0)
		out("-");
	else
		out_num((u64)insns);
	out("\n");
	sys(SYS_EXIT, cycles > 0 ? 0 : 1, 0, 0, 0, 0);
	for (;;)
		;
}
