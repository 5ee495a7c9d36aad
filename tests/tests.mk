# SPDX-License-Identifier: Apache-2.0
# Tests, included by the top-level Makefile.
#   make test         build everything, then run unit and integration tests (tests/run_tests.py)
#   make unit-tests   only build the host unit tests
#
# Host unit tests: each tests/unit/test_NAME.c is one cmocka program, $(B)/unit/test_NAME.
# The hypervisor sources it exercises are named on its first lines (one or more, each within
# the first five), e.g.
#   /* unit-sources: hyp/mm/pgtable.c hyp/lib/bitmap.c */
# Everything is compiled for the host with sanitizers and -DKESTREL_HOST_TEST. Objects are
# shared between tests (same flags for all), one per source so that -MMD tracks headers.

UNIT_CFLAGS := -std=c11 -O1 -g -Wall -Wextra -Werror -fsanitize=address,undefined \
	-fno-sanitize-recover=all -Ihyp/include -Ihyp/arch/fake/include -Itests/unit -DKESTREL_HOST_TEST
UNIT_LIBS   := -lcmocka -lfdt
UNIT_OBJ    := $(B)/unit/obj

UNIT_TESTS := $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_*.c))

# unit_sources(test file): the list on its "unit-sources:" line (looked for in the first lines).
unit_sources = $(shell sed -n '1,5s|^[[:space:]]*/\*[[:space:]]*unit-sources:\(.*\)\*/.*|\1|p' $(1))
unit_objs = $(patsubst %,$(UNIT_OBJ)/%.o,$(1))

# unit_rule(test_NAME): link the test's object with the objects of its unit-sources.
define unit_rule
$(1)_UNIT_OBJS := $(call unit_objs,tests/unit/$(1).c $(call unit_sources,tests/unit/$(1).c))
UNIT_ALL_OBJS += $$($(1)_UNIT_OBJS)
$(B)/unit/$(1): $$($(1)_UNIT_OBJS)
	@echo "  HOSTLD  $$@"
	@$$(HOSTCC) $$(UNIT_CFLAGS) -o $$@ $$^ $$(UNIT_LIBS)
endef
UNIT_ALL_OBJS :=
$(foreach t,$(UNIT_TESTS),$(eval $(call unit_rule,$(t))))

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
