# SPDX-License-Identifier: Apache-2.0
"""The host-side kestrel command (./kestrel at the top of the tree is its launcher).

  cli      the command line and the run command
  config   a configuration: its VMs, shared regions and images; the checks only this tool makes
  checker  kestrel's own rules: build/tools/kestrel-check, kestrel's parser built for the host
  fdt      reading DTBs, property values, writing dts
  machine  the QEMU machine: its size, the device tree for kestrel, the command line
  console  the session: QEMU's console, the log, typed input
  common   paths, QEMU virt's layout, sizes, Failure
"""
