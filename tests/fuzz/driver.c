/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Regression runs without libFuzzer: feeds every file named on the command line (or found in a
 * directory named there) to the harness's LLVMFuzzerTestOneInput, once each, in name order.
 * Each input is copied into a heap block of exactly its size so that AddressSanitizer sees any
 * read past its end. A failed check or a sanitizer report ends the program with an error; on
 * success the last line is "NAME: N inputs passed". No input at all is an error too (an empty
 * corpus would otherwise pass silently).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness.h"

static unsigned ran;

static void run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = NULL;
	size_t size = 0, cap = 0;

	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		exit(2);
	}
	for (;;) {
		if (size == cap) {
			uint8_t *more = realloc(data, cap = cap ? 2 * cap : 4096);
			if (!more) {
				fprintf(stderr, "%s: out of memory\n", path);
				exit(2);
			}
			data = more;
		}
		size_t n = fread(data + size, 1, cap - size, f);
		if (!n)
			break;
		size += n;
	}
	fclose(f);
	/* Exactly size bytes, so that a read past the end is a heap overflow. */
	uint8_t *exact = malloc(size ? size : 1);
	if (!exact) {
		fprintf(stderr, "%s: out of memory\n", path);
		exit(2);
	}
	if (size)
		memcpy(exact, data, size);
	free(data);
	fprintf(stderr, "running %s (%zu bytes)\n", path, size);
	LLVMFuzzerTestOneInput(exact, size);
	free(exact);
	ran++;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void run_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0;

	if (!d) {
		fprintf(stderr, "%s: %s\n", dir, strerror(errno));
		exit(2);
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		size_t len = strlen(dir) + strlen(e->d_name) + 2;
		char **more = realloc(names, (n + 1) * sizeof(*names));
		if (!more || !(more[n] = malloc(len))) {
			fprintf(stderr, "%s: out of memory\n", dir);
			exit(2);
		}
		names = more;
		snprintf(names[n++], len, "%s/%s", dir, e->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), by_name);
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode))
			run_file(names[i]);
		free(names[i]);
	}
	free(names);
}

int main(int argc, char **argv)
{
	const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];

	/* The empty input first, as libFuzzer does; it is not counted. */
	LLVMFuzzerTestOneInput((const uint8_t *)"", 0);
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
			return 2;
		}
		if (S_ISDIR(st.st_mode))
			run_dir(argv[i]);
		else
			run_file(argv[i]);
	}
	if (!ran) {
		fprintf(stderr, "%s: no input to run (usage: %s FILE|DIR...)\n", name, name);
		return 2;
	}
	printf("%s: %u inputs passed\n", name, ran);
	return 0;
}
