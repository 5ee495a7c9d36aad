/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Device register access. Each accessor is one plain load or store with a base register and
 * no writeback, so a trapping hypervisor gets a fully described access (ESR_EL2.ISV = 1).
 */
#ifndef GUEST_MMIO_H
#define GUEST_MMIO_H

#include <stdint.h>

static inline uint8_t mmio_read8(uintptr_t addr)
{
	uint32_t val;
	__asm__ __volatile__("ldrb %w0, [%1]" : "=r"(val) : "r"(addr) : "memory");
	return (uint8_t)val;
}

static inline uint16_t mmio_read16(uintptr_t addr)
{
	uint32_t val;
	__asm__ __volatile__("ldrh %w0, [%1]" : "=r"(val) : "r"(addr) : "memory");
	return (uint16_t)val;
}

static inline uint32_t mmio_read32(uintptr_t addr)
{
	uint32_t val;
	__asm__ __volatile__("ldr %w0, [%1]" : "=r"(val) : "r"(addr) : "memory");
	return val;
}

static inline uint64_t mmio_read64(uintptr_t addr)
{
	uint64_t val;
	__asm__ __volatile__("ldr %0, [%1]" : "=r"(val) : "r"(addr) : "memory");
	return val;
}

static inline void mmio_write64(uintptr_t addr, uint64_t val)
{
	__asm__ __volatile__("str %0, [%1]" : : "rZ"(val), "r"(addr) : "memory");
}

static inline void mmio_write32(uintptr_t addr, uint32_t val)
{
	__asm__ __volatile__("str %w0, [%1]" : : "rZ"(val), "r"(addr) : "memory");
}

static inline void mmio_write16(uintptr_t addr, uint16_t val)
{
	__asm__ __volatile__("strh %w0, [%1]" : : "rZ"(val), "r"(addr) : "memory");
}

static inline void mmio_write8(uintptr_t addr, uint8_t val)
{
	__asm__ __volatile__("strb %w0, [%1]" : : "rZ"(val), "r"(addr) : "memory");
}

#endif
