/* SPDX-License-Identifier: Apache-2.0 */
/* kestrel's freestanding C library: strings, formatting, console output. */
#ifndef KESTREL_LIB_H
#define KESTREL_LIB_H

#include <stdarg.h>
#include <kestrel/types.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
char *strstr(const char *haystack, const char *needle);
unsigned long strtoul(const char *s, char **end, int base);
size_t strlcpy(char *dst, const char *src, size_t size);

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Console output: every line kestrel prints starts with "kestrel: " by convention, and has at
   most KPRINTF_LINE_MAX characters (the rest is cut). */
#define KPRINTF_LINE_MAX 318
#define KPRINTF_PREFIX	 "kestrel: "
#define FATAL_PREFIX	 KPRINTF_PREFIX "fatal: "
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void console_write(const char *s, size_t len);

/* Prints the message and a register report where available, then halts every CPU. */
NORETURN void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A boot-time error the user can fix: one sentence, then halt. */
NORETURN void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#ifdef KESTREL_HOST_TEST
/* Whether a CPU holds the console's lock: host tests check no UART write happens under it. */
bool console_lock_held(void);
#endif

#endif
