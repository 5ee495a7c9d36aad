/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kestrel-check: kestrel's own configuration parser (hyp/config/hostdt.c and vmconfig.c, the
 * very files kestrel is built from) run on the host, on the device tree kestrel would be given.
 * It prints each refusal exactly as kestrel prints it at boot, so that ./kestrel can refuse a
 * configuration before QEMU starts without a second copy of the rules.
 *
 *   kestrel-check MACHINE.dtb   the refusals, one line each; exit 0: kestrel takes every VM and
 *                               shared region, 1: it refuses some (or the machine), 2: no DTB
 *   kestrel-check --limits      the limits a host tool needs, "NAME VALUE" per line, from the
 *                               same headers kestrel is built with
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kestrel/asm_offsets.h>
#include <kestrel/hostdisk.h>
#include <kestrel/hostdt.h>
#include <kestrel/lib.h>
#include <kestrel/platform.h>
#include <kestrel/shm.h>
#include <kestrel/vmconfig.h>
#include <libfdt.h>

static unsigned said;

/* A line as kestrel's kprintf writes it (hyp/lib/console.c): its prefix, at most
   KPRINTF_LINE_MAX characters in all, then the end of the line. */
static void say(const char *prefix, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const char *prefix, const char *fmt, ...)
{
	char line[KPRINTF_LINE_MAX + 2];
	size_t n = strlen(prefix);
	va_list ap;
	int m;

	memcpy(line, prefix, n);
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	n = MIN(n + (size_t)(m < 0 ? 0 : m), sizeof(line) - 2);
	line[n] = '\0';
	puts(line);
	said++;
}

static void vm_refused(const char *vm, const char *msg)
{
	say(KPRINTF_PREFIX, VM_REFUSED_FMT, vm, msg);
}

static void shm_refused(const char *name, const char *msg)
{
	say(KPRINTF_PREFIX, SHM_REFUSED_FMT, name, msg);
}

static void limits(void)
{
	printf("PCPU_MAX %u\n", (unsigned)PCPU_MAX);
	printf("VM_MAX %u\n", (unsigned)VM_MAX);
	printf("VCPU_MAX %u\n", (unsigned)VCPU_MAX);
	printf("VM_NAME_MAX %u\n", (unsigned)VM_NAME_MAX);
	printf("VM_MEM_DEFAULT %llu\n", (unsigned long long)VM_MEM_DEFAULT);
	printf("VM_MEM_MIN %llu\n", (unsigned long long)VM_MEM_MIN);
	printf("VM_MEM_ALIGN %llu\n", (unsigned long long)VM_MEM_ALIGN);
	printf("SHM_MAX %u\n", (unsigned)SHM_MAX);
	printf("PLAT_DTB_MAX %u\n", (unsigned)PLAT_DTB_MAX);
	printf("HOSTDISK_QUEUE %u\n", (unsigned)HOSTDISK_QUEUE);
}

static void *read_dtb(const char *path)
{
	FILE *f = fopen(path, "rb");
	void *buf = malloc(PLAT_DTB_MAX + 1);
	size_t len;

	if (!f || !buf) {
		fprintf(stderr, "kestrel-check: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	len = fread(buf, 1, PLAT_DTB_MAX + 1, f);
	fclose(f);
	/* Too big is kestrel's to say (hostdt_parse): keep what its header claims, within reason.
	 */
	if (len >= sizeof(struct fdt_header) && fdt_totalsize(buf) > len &&
	    fdt_totalsize(buf) <= PLAT_DTB_MAX)
		memset((char *)buf + len, 0, PLAT_DTB_MAX + 1 - len);
	return buf;
}

int main(int argc, char **argv)
{
	static struct vm_config vms[VM_MAX];
	static struct shm_config shm[SHM_MAX];
	struct platform plat;
	char msg[256];
	unsigned n;
	void *dtb;

	if (argc == 2 && !strcmp(argv[1], "--limits")) {
		limits();
		return 0;
	}
	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: kestrel-check MACHINE.dtb | --limits\n");
		return 2;
	}
	dtb = read_dtb(argv[1]);
	/* kmain's order: the machine, then the VMs, then the shared regions among them. */
	if (hostdt_parse(dtb, &plat, msg, sizeof(msg))) {
		say(FATAL_PREFIX, "%s", msg);
		free(dtb);
		return 1;
	}
	plat.fdt = dtb;
	n = vmconfig_parse(dtb, &plat, vms, VM_MAX, vm_refused);
	vmconfig_shm_parse(dtb, vms, n, shm, SHM_MAX, shm_refused);
	if (!n)
		say(KPRINTF_PREFIX, "%s", VMCONFIG_NO_VM);
	free(dtb);
	return said ? 1 : 0;
}
