#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# /init of the Linux boot benchmark (bench/run.py): the first thing user space does is print
# one marker line with the guest's uptime (virtual time: under -icount, instructions), then
# it powers the VM off. bench/run.py times the wall clock from launch to this line.
#
#   BENCH-USERSPACE uptime=<the first field of /proc/uptime, seconds>

mount -t proc proc /proc
read -r up _ </proc/uptime
echo "BENCH-USERSPACE uptime=$up"
poweroff -f
# poweroff -f does not return; PID 1 must never exit
while :; do sleep 1; done
