# SPDX-License-Identifier: Apache-2.0
# Fuzzing, included by tests/tests.mk.
#   make fuzz                  build every harness with libFuzzer, run each for FUZZ_SECONDS (60)
#   make fuzz FUZZERS="hostdt pgtable" FUZZ_SECONDS=600 FUZZ_FLAGS="-jobs=2"
#   make fuzz-build            only build the libFuzzer programs, $(B)/fuzz/bin/fuzz_NAME
#   make fuzz-regress          build and run the corpus regression programs (part of make test)
#   make fuzz-coverage         line coverage of the hypervisor sources each harness exercises,
#                              over the checked-in corpus and what make fuzz found
#
# Each tests/fuzz/fuzz_NAME.c defines LLVMFuzzerTestOneInput and names the hypervisor sources it
# exercises on its first lines:
#   /* fuzz-sources: hyp/config/hostdt.c hyp/config/vmconfig.c */
# Its seed corpus is tests/fuzz/corpus/NAME/ (checked in, never written by the fuzzer). What the
# fuzzer finds goes to $(B)/fuzz/corpus/NAME/, crashing inputs to $(B)/fuzz/crashes/NAME-*, and
# its output to $(B)/fuzz/NAME.log. To replay a crash: $(B)/fuzz/bin/fuzz_NAME FILE. A libFuzzer
# dictionary tests/fuzz/NAME.dict is used when there is one; tests/fuzz/asan.supp silences known
# bugs outside kestrel (in Debian's libfdt) so that fuzzing goes on past them.
#
# Two builds of every harness:
#   libFuzzer:  $(FUZZ_CC) -fsanitize=fuzzer,address,undefined (clang; Debian: libclang-rt-14-dev)
#   regression: $(HOSTCC) with ASan/UBSan and tests/fuzz/driver.c as main(), which runs each
#               file it is given once; tests/run_tests.py runs it on the checked-in corpus, so
#               make test needs no libFuzzer.

FUZZ_CC	     ?= clang
FUZZ_SECONDS ?= 60
FUZZ_FLAGS   ?=
FUZZ_NAMES   := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZERS	     ?= $(FUZZ_NAMES)

FUZZ_BASE_CFLAGS := -std=c11 -O1 -g -Wall -Wextra -Werror -fno-omit-frame-pointer \
	-Ihyp/include -Ihyp/arch/fake/include -Itests/fuzz -Itests -DKESTREL_HOST_TEST
FUZZ_CFLAGS	 := $(FUZZ_BASE_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined \
	-fno-sanitize-recover=all
FUZZ_HARNESS_CFLAGS := $(FUZZ_BASE_CFLAGS) -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_LDFLAGS	 := -fsanitize=fuzzer,address,undefined
REGRESS_CFLAGS	 := $(FUZZ_BASE_CFLAGS) -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_LIBS	 := -lfdt

COV_CFLAGS	 := $(FUZZ_BASE_CFLAGS) -fprofile-instr-generate -fcoverage-mapping
LLVM_COV	 ?= llvm-cov
LLVM_PROFDATA	 ?= llvm-profdata

FUZZ_OBJ    := $(B)/fuzz/obj
FUZZ_BIN    := $(B)/fuzz/bin
REGRESS_OBJ := $(B)/fuzz/regress/obj
REGRESS_BIN := $(B)/fuzz/regress
COV_OBJ	    := $(B)/fuzz/cov/obj
COV_BIN	    := $(B)/fuzz/cov

# fuzz_sources(harness file): the list on its "fuzz-sources:" line (looked for in the first lines).
fuzz_sources = $(shell sed -n '1,5s|^[[:space:]]*/\*[[:space:]]*fuzz-sources:\(.*\)\*/.*|\1|p' $(1))

# fuzz_rule(NAME): both programs from the harness, tests/fuzz/harness.c, the host stand-ins
# (tests/unit/libc.c) and its fuzz-sources.
define fuzz_rule
$(1)_FUZZ_SRCS := tests/fuzz/fuzz_$(1).c tests/fuzz/harness.c tests/unit/libc.c \
	$(call fuzz_sources,tests/fuzz/fuzz_$(1).c)
FUZZ_ALL_OBJS += $$(patsubst %,$(FUZZ_OBJ)/%.o,$$($(1)_FUZZ_SRCS)) \
	$$(patsubst %,$(REGRESS_OBJ)/%.o,$$($(1)_FUZZ_SRCS) tests/fuzz/driver.c) \
	$$(patsubst %,$(COV_OBJ)/%.o,$$($(1)_FUZZ_SRCS) tests/fuzz/driver.c)
$(FUZZ_BIN)/fuzz_$(1): $$(patsubst %,$(FUZZ_OBJ)/%.o,$$($(1)_FUZZ_SRCS))
	@mkdir -p $$(dir $$@)
	$$(FUZZ_CC) $$(FUZZ_LDFLAGS) -o $$@ $$^ $$(FUZZ_LIBS)
$(REGRESS_BIN)/fuzz_$(1): $$(patsubst %,$(REGRESS_OBJ)/%.o,$$($(1)_FUZZ_SRCS) tests/fuzz/driver.c)
	@mkdir -p $$(dir $$@)
	@echo "  HOSTLD  $$@"
	@$$(HOSTCC) $$(REGRESS_CFLAGS) -o $$@ $$^ $$(FUZZ_LIBS)
$(COV_BIN)/fuzz_$(1): $$(patsubst %,$(COV_OBJ)/%.o,$$($(1)_FUZZ_SRCS) tests/fuzz/driver.c)
	@mkdir -p $$(dir $$@)
	$$(FUZZ_CC) $$(COV_CFLAGS) -o $$@ $$^ $$(FUZZ_LIBS)
endef
FUZZ_ALL_OBJS :=
$(foreach n,$(FUZZ_NAMES),$(eval $(call fuzz_rule,$(n))))

$(FUZZ_OBJ)/%.c.o: %.c | $(SETUP_STAMP)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@

# The harnesses themselves get the sanitizers but no coverage instrumentation: their checks
# would otherwise cost more than the code under test and steer the fuzzer towards themselves.
$(FUZZ_OBJ)/tests/fuzz/%.c.o: tests/fuzz/%.c | $(SETUP_STAMP)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_HARNESS_CFLAGS) -MMD -MP -c $< -o $@

$(COV_OBJ)/%.c.o: %.c | $(SETUP_STAMP)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(COV_CFLAGS) -MMD -MP -c $< -o $@

$(REGRESS_OBJ)/%.c.o: %.c | $(SETUP_STAMP)
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $<"
	@$(HOSTCC) $(REGRESS_CFLAGS) -MMD -MP -c $< -o $@

fuzz-build: $(FUZZERS:%=$(FUZZ_BIN)/fuzz_%)

fuzz-regress-build: $(FUZZ_NAMES:%=$(REGRESS_BIN)/fuzz_%)

# Each harness runs on its own so that the machine's cores are not shared between them; a crash
# in one does not stop the others, but fails the target at the end.
fuzz: fuzz-build
	@mkdir -p $(B)/fuzz/crashes; failed=; \
	for n in $(FUZZERS); do \
		mkdir -p $(B)/fuzz/corpus/$$n; \
		echo "fuzz: $$n for $(FUZZ_SECONDS) s"; \
		dict=; [ -f tests/fuzz/$$n.dict ] && dict=-dict=tests/fuzz/$$n.dict; \
		if ! ASAN_OPTIONS=suppressions=$(CURDIR)/tests/fuzz/asan.supp$${ASAN_OPTIONS:+:$$ASAN_OPTIONS} \
			$(FUZZ_BIN)/fuzz_$$n -max_total_time=$(FUZZ_SECONDS) -timeout=10 $$dict \
			-print_final_stats=1 -artifact_prefix=$(B)/fuzz/crashes/$$n- $(FUZZ_FLAGS) \
			$(B)/fuzz/corpus/$$n tests/fuzz/corpus/$$n >$(B)/fuzz/$$n.log 2>&1; then \
			failed="$$failed $$n"; \
			grep -m1 -A12 -E '==[0-9]+==ERROR|runtime error|check .* failed|deadly signal' \
				$(B)/fuzz/$$n.log | sed 's/^/    /'; \
		fi; \
		grep -E '^#[0-9]+' $(B)/fuzz/$$n.log | tail -n 1 | sed "s/^/    $$n: /"; \
		grep -E 'stat::number_of_executed_units' $(B)/fuzz/$$n.log | sed "s/^/    $$n: /"; \
	done; \
	if [ -n "$$failed" ]; then \
		echo "fuzz: failed:$$failed (inputs in $(B)/fuzz/crashes, output in $(B)/fuzz/NAME.log)"; \
		exit 1; \
	fi; \
	echo "fuzz: no crash in $(FUZZERS)"

fuzz-regress: fuzz-regress-build
	python3 tests/run_tests.py --fuzz-only

# One line per harness: the TOTAL of llvm-cov's report over its fuzz-sources.
fuzz-coverage: $(FUZZERS:%=$(COV_BIN)/fuzz_%)
	@$(foreach n,$(FUZZERS),\
		rm -f $(COV_BIN)/$(n).profraw; \
		LLVM_PROFILE_FILE=$(COV_BIN)/$(n).profraw $(COV_BIN)/fuzz_$(n) tests/fuzz/corpus/$(n) \
			$$([ -d $(B)/fuzz/corpus/$(n) ] && echo $(B)/fuzz/corpus/$(n)) >/dev/null 2>&1 && \
		$(LLVM_PROFDATA) merge -o $(COV_BIN)/$(n).profdata $(COV_BIN)/$(n).profraw && \
		$(LLVM_COV) report $(COV_BIN)/fuzz_$(n) -instr-profile=$(COV_BIN)/$(n).profdata \
			$(call fuzz_sources,tests/fuzz/fuzz_$(n).c) | \
		awk '/^TOTAL/ {printf "fuzz-coverage: %-12s lines %s of %s (%s), branches %s of %s (%s)\n", \
			"$(n)", $$8 - $$9, $$8, $$10, $$11 - $$12, $$11, $$13}' || exit 1;)

# make test runs the regression programs (tests/run_tests.py); they need building first.
test: fuzz-regress-build

fuzz-clean:
	rm -rf $(FUZZ_OBJ) $(FUZZ_BIN) $(REGRESS_BIN) $(COV_BIN)

-include $(sort $(FUZZ_ALL_OBJS:.o=.d))

.PHONY: fuzz fuzz-build fuzz-regress fuzz-regress-build fuzz-coverage fuzz-clean
