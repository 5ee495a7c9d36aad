/* SPDX-License-Identifier: Apache-2.0 */
/*
 * VM descriptions from the host device tree, in the dom0less style: /chosen nodes with
 * compatible = "kestrel,vm", kernel and ramdisk as "multiboot,*" module children. Modules
 * directly under /chosen (QEMU's guest-loader) describe one implicit VM. Pure logic.
 */
#ifndef KESTREL_VMCONFIG_H
#define KESTREL_VMCONFIG_H

#include <kestrel/types.h>

#define VM_MAX		    8
#define VCPU_MAX	    8
#define VM_NAME_MAX	    32
#define VM_MEM_DEFAULT	    (256ull << 20) /* a VM node without 'memory' gets this much */
#define VM_MEM_MIN	    (16ull << 20)
#define VM_MEM_ALIGN	    (2ull << 20) /* guest RAM is mapped in 2 MiB blocks */
#define VM_PASSTHROUGH_MAX  4
#define VM_PASSTHROUGH_SPIS 8 /* SPIs of a VM's passed-through devices, all devices together */
#define VM_VIRTIO_MAX	    4 /* kestrel's virtio devices in one VM: slots 0..3 of the window */

/* SVE vector lengths (sve-vector-length): multiples of 128 bits up to the architecture's 2048. */
#define VM_SVE_BITS_STEP 128
#define VM_SVE_BITS_MAX	 2048

/* A VM's virtio device, from a child node of its description. */
enum vm_virtio_type {
	VM_VIRTIO_CONSOLE = 1, /* compatible "kestrel,virtio-console" */
	VM_VIRTIO_BLK,	       /* compatible "kestrel,virtio-blk" */
	VM_VIRTIO_NET,	       /* compatible "kestrel,virtio-net" */
};

/* A virtio-blk device is backed by the machine disk whose serial is "<vm>/<node>" (the tool
   attaches one per device): at most this long, the length of virtio-blk's GET_ID answer. */
#define VM_DISK_SERIAL_MAX 20

#define VM_SWITCH_NAME_MAX 16 /* a virtio-net port's switch name, its NUL included */
#define VM_MAC_LEN	   6

struct platform;

enum vm_policy {
	POLICY_STOP,
	POLICY_RESTART,
};

struct vm_config {
	char name[VM_NAME_MAX];
	uint64_t mem_size;
	unsigned vcpus;
	/* sve-vector-length: the VM's SVE vector length in bits, a multiple of VM_SVE_BITS_STEP
	   up to VM_SVE_BITS_MAX; 0: the longest the CPU implements */
	unsigned sve_bits;
	paddr_t kernel_pa;
	uint64_t kernel_size;
	paddr_t initrd_pa;
	uint64_t initrd_size;
	const char *bootargs; /* points into the host DTB */
	enum vm_policy on_poweroff, on_reset, on_crash;
	bool console;	   /* false: output dropped, never given input */
	bool kernel_raw;   /* kernel-format = "raw": no arm64 Image header expected */
	bool direct_map;   /* guest-physical = physical, for DMA by passed-through devices */
	ipaddr_t mem_base; /* guest-physical base of RAM; 0: the default (or, direct-mapped,
			      wherever kestrel finds room) */
	unsigned npassthrough;
	int passthrough[VM_PASSTHROUGH_MAX]; /* host DT nodes of devices given to this VM */
	unsigned nspis;
	uint16_t spi_intids[VM_PASSTHROUGH_SPIS]; /* their SPIs, each once, as INTIDs */
	/* Its virtio devices: device i is on virtio-mmio slot i (IPA 0x0a000000 + 0x200 i, SPI
	   16 + i). */
	unsigned nvirtio;
	struct vm_virtio {
		enum vm_virtio_type type;
		const char *node;  /* its node's name, in the host DTB */
		const char *image; /* virtio-blk: its disk image, as named (points into the DTB) */
		bool read_only;	   /* virtio-blk: writes fail, F_RO offered */
		bool no_event_idx; /* VIRTIO_F_EVENT_IDX not offered (to measure what it saves) */
		/* virtio-net: the switch it is on (points into the host DTB) and its MAC, from
		   'mac' or derived from the VM's and the node's names */
		const char *switch_name;
		uint8_t mac[VM_MAC_LEN];
		bool bridge; /* virtio-net: 'bridge', sends other hosts' frames (vswitch.h) */
	} virtio[VM_VIRTIO_MAX];
	bool has_affinity;
	uint8_t affinity[VCPU_MAX]; /* physical CPU of each vCPU */
	/* A console line with this in it means the guest crashed ("": no such line); points into
	   the host DTB or at the default, Linux's panic message. */
	const char *crash_message;
	bool console_prefix;	/* output lines start with "[name] " (several VMs) */
	unsigned console_color; /* 0: none; else the ANSI colour of the VM's output, 31..36 */
};

#define CRASH_MESSAGE_DEFAULT "Kernel panic - not syncing"
#define CRASH_MESSAGE_MAX     80

/*
 * A VM's name (its node's name): 1..VM_NAME_MAX - 1 letters, digits, '-' or '_', starting with
 * a letter. It labels the VM's console output and names it in every message.
 */
bool vmconfig_name_ok(const char *name);

/* What kestrel prints at boot (and kestrel-check on the host) for a VM it refuses, and when it
   has none left to run. */
#define VM_REFUSED_FMT "vm '%s' refused: %s"
#define VMCONFIG_NO_VM "no VM to run: describe one under /chosen (see README.md), powering off"

/* Called for each VM description that is refused, with one sentence saying why. */
typedef void vmconfig_error_fn(const char *vm, const char *msg);

/* Parses every VM description; returns how many were valid (written to out). */
unsigned vmconfig_parse(const void *fdt, const struct platform *plat, struct vm_config *out,
			unsigned max, vmconfig_error_fn *err);

struct shm_config;
/* Parses the shared regions' descriptions (shm.h) against the VMs; refused ones are reported
   and skipped. */
unsigned vmconfig_shm_parse(const void *fdt, const struct vm_config *vms, unsigned nvms,
			    struct shm_config *out, unsigned max, vmconfig_error_fn *err);

#endif
