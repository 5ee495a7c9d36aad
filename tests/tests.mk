# SPDX-License-Identifier: Apache-2.0
# Tests, included by the top-level Makefile.
#   make test         build everything, then run unit and integration tests (tests/run_tests.py)
#   make unit-tests   only build the host unit tests
#
# Host unit tests: each tests/unit/test_NAME.c is one cmocka program, $(B)/unit/test_NAME,
# linked with one library of kestrel built for the host, $(UNIT_LIB): every core, device,
# memory, configuration and library source that is not boot code or kestrel's own C library,
# with the fake arch (hyp/arch/fake/: CPUs, drivers and memory modelled in memory) in place of
# hyp/arch/aarch64 and the drivers. A test calls the real code; it replaces a function only
# where the library's member defining it is one the test never pulls in.
# Everything is compiled for the host with sanitizers and -DKESTREL_HOST_TEST.

UNIT_CFLAGS := -std=c11 -O1 -g -Wall -Wextra -Werror -fsanitize=address,undefined \
	-fno-sanitize-recover=all -Ihyp/include -Ihyp/arch/fake/include -Itests/unit -Itests -DKESTREL_HOST_TEST
UNIT_LIBS   := -lcmocka -lfdt
UNIT_OBJ    := $(B)/unit/obj
UNIT_LIB    := $(B)/unit/libkestrel-host.a

# Not in the library: boot (main.c) and what the host's C library is (string.c, printf.c).
UNIT_LIB_SRCS := $(filter-out hyp/core/main.c hyp/lib/string.c hyp/lib/printf.c, \
	$(wildcard hyp/core/*.c hyp/vdev/*.c hyp/mm/*.c hyp/config/*.c hyp/lib/*.c \
	hyp/arch/fake/*.c)) tests/unit/libc.c
UNIT_LIB_OBJS := $(patsubst %,$(UNIT_OBJ)/%.o,$(UNIT_LIB_SRCS))
# The tests' own helpers (device trees built with libfdt, the dispatcher's rule).
UNIT_HELPER_OBJS := $(UNIT_OBJ)/tests/unit/helpers.c.o

UNIT_TESTS := $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_*.c))
UNIT_ALL_OBJS := $(UNIT_LIB_OBJS) $(UNIT_HELPER_OBJS) $(UNIT_TESTS:%=$(UNIT_OBJ)/tests/unit/%.c.o)
# Made by pattern rules only: kept, so make neither deletes them (an "rm" line in the build's
# output) nor compiles them again.
.SECONDARY: $(UNIT_ALL_OBJS)

$(UNIT_LIB): $(UNIT_LIB_OBJS)
	@echo "  AR      $@"
	@rm -f $@
	@ar rcs $@ $^

$(B)/unit/test_%: $(UNIT_OBJ)/tests/unit/test_%.c.o $(UNIT_HELPER_OBJS) $(UNIT_LIB)
	@echo "  HOSTLD  $@"
	@$(HOSTCC) $(UNIT_CFLAGS) -o $@ $< $(UNIT_HELPER_OBJS) $(UNIT_LIB) $(UNIT_LIBS)

$(UNIT_OBJ)/%.c.o: %.c | $(SETUP_STAMP)
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $<"
	@$(HOSTCC) $(UNIT_CFLAGS) -MMD -MP -c $< -o $@

unit-tests: $(UNIT_TESTS:%=$(B)/unit/%)

test: all unit-tests lint
	python3 tests/run_tests.py

-include $(sort $(UNIT_ALL_OBJS:.o=.d))

.PHONY: unit-tests

# Fuzz harnesses (make fuzz) and their corpus regression programs (run by make test).
include tests/fuzz/fuzz.mk
