/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Console input: the physical UART's input goes to the VM that has focus, or to kestrel's own
 * console. Ctrl-A is the escape: Ctrl-A then 1..8 gives focus to that VM, Ctrl-A 0 to
 * kestrel, Ctrl-A Ctrl-A types a Ctrl-A. kestrel's console takes one-line commands.
 */
#include <kestrel/pl011.h>
#include <kestrel/hyp.h>
#include <kestrel/lib.h>
#include <kestrel/sched.h>
#include <kestrel/vconsole.h>
#include <kestrel/vm.h>
#include <kestrel/vm_lifecycle.h>
#include <kestrel/vm_virtio.h>

#define CTRL_A	      0x01
#define FOCUS_KESTREL VM_MAX
#define LINE_MAX      80

static unsigned focus;
static bool escape, multi_vm;
static char line[LINE_MAX];
static unsigned line_len;

/*
 * A guest that panics says so on its console and then spins or parks its CPUs, which kestrel
 * cannot tell from work: its crash message (Linux's panic line unless configured) in an
 * output line is the sign. It is a request: the scheduler stops or restarts the VM.
 */
static void watch_output(struct vm *vm, char c)
{
	const char *msg = vm->config.crash_message;

	if (!msg || !*msg)
		return;
	if (c != '\n' && c != '\r' && vm->watch_len < sizeof(vm->watch_line) - 1) {
		vm->watch_line[vm->watch_len++] = c;
		return;
	}
	if (c != '\n')
		return;
	vm->watch_line[vm->watch_len] = 0;
	vm->watch_len = 0;
	if (strstr(vm->watch_line, msg))
		vm_lifecycle_request(vm, VM_REQ_CRASH, "its console said it panicked");
}

/* Output of the VM with focus goes out as it comes (prompts, echo); the others' output goes
   out a whole line at a time, so their lines never mix. */
void vconsole_output(struct vm *vm, char c)
{
	watch_output(vm, c);
	if (!vm->config.console)
		return;
	if (!multi_vm || vm->id == focus) {
		console_vm_putc(vm, &vm->label, c);
		return;
	}
	if (c == '\r')
		return;
	if (c != '\n')
		vm->con_line[vm->con_len++] = c;
	if (c == '\n' || vm->con_len == sizeof(vm->con_line)) {
		console_vm_line(vm, &vm->label, vm->con_line, vm->con_len);
		vm->con_len = 0;
	}
}

static const char *const state_names[] = {"free", "running", "stopping", "stopped"};

static struct vm *vm_by_name(const char *name)
{
	for (unsigned i = 0; i < VM_MAX; i++)
		if (vms[i].state != VM_FREE && !strcmp(vms[i].name, name))
			return &vms[i];
	return NULL;
}

/* The VMID and stage-2 root are what VTTBR_EL2 holds while the VM runs; a stopped VM has
   given both back, and the next VM built may get them. */
static void cmd_vms(void)
{
	kprintf("%-12s %-9s %5s %8s %10s %5s %s", "VM", "state", "vCPUs", "memory", "uptime",
		"VMID", "stage-2 root");
	for (unsigned i = 0; i < VM_MAX; i++) {
		const struct vm *vm = &vms[i];
		char vttbr[40] = "    - -";
		if (vm->state == VM_FREE)
			continue;
		if (vm->vmid)
			snprintf(vttbr, sizeof(vttbr), "%5u 0x%lx", vm->vmid,
				 (unsigned long)vm->s2.root);
		kprintf("%-12s %-9s %5u %6lluM %8llus %s", vm->name, state_names[vm->state],
			vm->vcpu_count, (unsigned long long)(vm->ram_size >> 20),
			vm->state == VM_RUNNING
			    ? (unsigned long long)((uptime_ms() - vm->started_ms) / 1000)
			    : 0ull,
			vttbr);
	}
}

static void run_command(char *cmd)
{
	char *arg = strchr(cmd, ' ');
	struct vm *vm;

	if (arg)
		*arg++ = 0;
	vm = arg ? vm_by_name(arg) : NULL;
	if (!*cmd)
		return;
	if (!strcmp(cmd, "help")) {
		kprintf("commands: help, vms, stats VM, stop VM, start VM, restart VM, cpus");
		kprintf("Ctrl-A then 1..8: input to that VM; Ctrl-A 0: this console; "
			"Ctrl-A Ctrl-A: a Ctrl-A");
	} else if (!strcmp(cmd, "vms")) {
		cmd_vms();
	} else if (!strcmp(cmd, "cpus")) {
		sched_report_idle();
	} else if (strcmp(cmd, "stats") && strcmp(cmd, "stop") && strcmp(cmd, "start") &&
		   strcmp(cmd, "restart")) {
		kprintf("unknown command '%s': type help", cmd);
	} else if (!vm) {
		kprintf("%s: no VM named '%s' (type vms)", cmd, arg ? arg : "");
	} else if (!strcmp(cmd, "stats")) {
		vm_print_stats(vm, state_names[vm->state]);
	} else if (!strcmp(cmd, "stop")) {
		/* Requests, carried out by a scheduler loop: this runs in an interrupt taken in
		   whatever vCPU's exit, which may be one of the VM's own. A VM being restarted
		   stops instead. */
		if (vm->state == VM_STOPPED)
			kprintf("stop: %s is not running", vm->name);
		else
			vm_lifecycle_request(vm, VM_REQ_STOP, "stopped from the console");
	} else if (vm->state == VM_STOPPED) { /* start or restart a stopped VM */
		vm_lifecycle_request(vm, VM_REQ_START, "started from the console");
	} else if (!strcmp(cmd, "restart")) {
		vm_lifecycle_request(vm, VM_REQ_RESTART, "restart from the console");
	} else {
		kprintf("start: %s is already running", vm->name);
	}
}

static void kestrel_input(char c)
{
	if (c == '\r' || c == '\n') {
		console_write("\n", 1);
		line[line_len] = 0;
		line_len = 0;
		run_command(line);
		console_write("kestrel> ", 9);
	} else if ((c == 0x7f || c == '\b') && line_len) {
		line_len--;
		console_write("\b \b", 3);
	} else if (c >= ' ' && c < 0x7f && line_len < LINE_MAX - 1) {
		line[line_len++] = c;
		console_write(&c, 1);
	}
}

static void set_focus(unsigned to)
{
	/* The old focus's unfinished line is not shown again under the new focus's output. */
	console_forget_line();
	if (to == FOCUS_KESTREL) {
		focus = to;
		kprintf("console: input goes to kestrel (type help)");
		console_write("kestrel> ", 9);
	} else if (to < VM_MAX && vms[to].state != VM_FREE && vms[to].config.console) {
		focus = to;
		kprintf("console: input goes to %s", vms[to].name);
		/* What it printed without a newline so far (a prompt) is shown now. */
		for (unsigned i = 0; i < vms[to].con_len; i++)
			console_vm_putc(&vms[to], &vms[to].label, vms[to].con_line[i]);
		vms[to].con_len = 0;
	} else {
		kprintf("console: no VM %u with a console", to + 1);
	}
}

static void deliver(char c)
{
	if (focus == FOCUS_KESTREL)
		kestrel_input(c);
	else if (vms[focus].state == VM_RUNNING && !vm_virtio_console_input(&vms[focus], c))
		vpl011_receive(&vms[focus].uart, c);
}

void vconsole_input_irq(void)
{
	int c;

	while ((c = pl011_getc()) >= 0) {
		if (escape) {
			escape = false;
			if (c == CTRL_A)
				deliver(CTRL_A);
			else if (c == '0')
				set_focus(FOCUS_KESTREL);
			else if (c >= '1' && c <= '8')
				set_focus((unsigned)(c - '1'));
			else
				kprintf("console: Ctrl-A then 0..8 or Ctrl-A");
		} else if (c == CTRL_A) {
			escape = true;
		} else {
			deliver((char)c);
		}
	}
}

void vconsole_start(unsigned nvms)
{
	focus = 0;
	for (unsigned i = 0; i < VM_MAX; i++)
		if (vms[i].state != VM_FREE && vms[i].config.console) {
			focus = i;
			break;
		}
	multi_vm = nvms > 1;
	console_set_prefix(multi_vm);
	kprintf("console: input goes to %s; Ctrl-A then 1..%u switches VM, Ctrl-A 0 opens "
		"kestrel's console",
		vms[focus].name, nvms);
}
