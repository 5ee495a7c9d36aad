/* SPDX-License-Identifier: Apache-2.0 */
#include <stdbool.h>
#include <stdint.h>
#include "printf.h"
#include "uart.h"

static void put_string(const char *s)
{
	if (!s)
		s = "(null)";
	while (*s)
		uart_putc(*s++);
}

static void put_number(uint64_t val, unsigned base, bool upper, bool negative, unsigned width,
		       char pad)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char buf[24];
	unsigned n = 0;

	do {
		buf[n++] = digits[val % base];
		val /= base;
	} while (val);
	if (negative)
		buf[n++] = '-';
	/* With zero padding the sign goes before the zeros: -0042, not 00-42. */
	if (negative && pad == '0') {
		uart_putc('-');
		n--;
		if (width)
			width--;
	}
	for (unsigned len = n; len < width; len++)
		uart_putc(pad);
	while (n)
		uart_putc(buf[--n]);
}

void vprintf(const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			uart_putc(*fmt);
			continue;
		}
		fmt++;
		char pad = ' ';
		unsigned width = 0;
		unsigned longs = 0;

		if (*fmt == '0') {
			pad = '0';
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (unsigned)(*fmt++ - '0');
		while (*fmt == 'l') {
			longs++;
			fmt++;
		}

		switch (*fmt) {
		case 'd':
		case 'i': {
			int64_t v = longs ? va_arg(ap, int64_t) : va_arg(ap, int);
			uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
			put_number(mag, 10, false, v < 0, width, pad);
			break;
		}
		case 'u':
		case 'x':
		case 'X': {
			uint64_t v = longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
			unsigned base = *fmt == 'u' ? 10 : 16;
			put_number(v, base, *fmt == 'X', false, width, pad);
			break;
		}
		case 'p':
			put_string("0x");
			put_number((uintptr_t)va_arg(ap, void *), 16, false, false, width, pad);
			break;
		case 'c':
			uart_putc((char)va_arg(ap, int));
			break;
		case 's':
			put_string(va_arg(ap, const char *));
			break;
		case '%':
			uart_putc('%');
			break;
		case '\0':
			return;
		default:
			/* Show an unknown conversion rather than silently dropping it. */
			uart_putc('%');
			uart_putc(*fmt);
			break;
		}
	}
}

void printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}
