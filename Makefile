# Thin wrapper over CMake/CTest. Every target that needs packages installs the missing ones.
BUILD      ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS       ?= $(shell nproc)
FUZZ_SECONDS ?= 60
# Seconds each fuzzer runs in `make test` (after replaying its committed corpus).
FUZZ_TEST_SECONDS ?= 5
FUZZ_BUILD ?= build-fuzz
# The load test (tests/load/load_test.sh): minutes of load and faults; its sanitizer build.
LOAD_MINUTES ?= 10
ASAN_BUILD ?= build-asan
SOURCES = $(shell git ls-files '*.cpp' '*.h' 2>/dev/null || find inventoryfs promsnmp elector tests bench -name '*.cpp' -o -name '*.h')

.PHONY: all deps build test test-asan asan-build test-fuzz fuzz-build run run-stop bench fuzz load-test load-test-asan format lint clean

all: build

deps:
	@scripts/deps.sh all

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

# The CTest suite but the unit and integration labels, then the unit and integration suites under
# ASan + UBSan (test-asan: they run there only, once), then every fuzzer
# briefly (test-fuzz). All three always run; any failing fails.
# Stage 1 builds only what it runs (test-stage1: all but the unit and integration suites, which
# stage 2 builds and runs with the sanitizers); `make build` and `make run` build everything.
test: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS) --target test-stage1
	@status=0; \
	(cd $(BUILD) && ctest -LE '^(unit|integration)$$' --output-on-failure -j $(JOBS) --timeout 900) || status=1; \
	(cd $(BUILD) && ctest -R '^tools\.' -L '^integration$$' --output-on-failure --timeout 900) || status=1; \
	$(MAKE) --no-print-directory test-asan || status=1; \
	$(MAKE) --no-print-directory test-fuzz || status=1; \
	exit $$status

# The build with AddressSanitizer (+ LeakSanitizer) and UBSan: $(ASAN_BUILD), PROMSNMP_SANITIZE.
$(ASAN_BUILD)/CMakeCache.txt:
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPROMSNMP_SANITIZE=ON

asan-build: deps $(ASAN_BUILD)/CMakeCache.txt
	cmake --build $(ASAN_BUILD) -j $(JOBS) --target sanitizer-tests

# The unit and integration suites of inventoryfs, elector and promsnmp on the sanitizer build
# (not tools.*: the check of the fleet simulator, a benchmark tool, against snmpsimd).
# Each test runs under tests/tools/run_sanitized.sh: a sanitizer report (leaks included) in the
# test runner or in any daemon or CLI it starts fails that test, and the reports are printed.
test-asan: asan-build
	cd $(ASAN_BUILD) && ctest -L '^(unit|integration)$$' -E '^tools\.' --output-on-failure \
	  -j $(JOBS) --timeout 900

# libFuzzer targets built with clang (ASan + UBSan) in $(FUZZ_BUILD), run as the CTest tests
# fuzz.<name> (label fuzz, one at a time): each replays its corpus in tests/fuzz/corpus/<name>
# and fuzzes for FUZZ_TEST_SECONDS; a crash fails and leaves the reproducer in tests/fuzz/crashes/.
test-fuzz: fuzz-build
	cd $(FUZZ_BUILD) && PROMSNMP_FUZZ_SECONDS=$(FUZZ_TEST_SECONDS) \
	  ctest -L fuzz --output-on-failure --timeout 900

fuzz-build: deps
	@test -f $(FUZZ_BUILD)/CMakeCache.txt || CXX=clang++ cmake -S . -B $(FUZZ_BUILD) \
	  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPROMSNMP_FUZZ=ON
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzzers

run: build
	scripts/run-site.sh start

run-stop:
	scripts/run-site.sh stop

bench: deps
	cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release
	cmake --build build-bench -j $(JOBS)
	bench/run.sh build-bench

fuzz: fuzz-build
	tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

# The site under steady scrapes and inventory updates through HAProxy while leader kills and
# Redis restarts run (README "Load test"); results in $(BUILD)/load-test/results.txt.
load-test: build
	LOAD_MINUTES=$(LOAD_MINUTES) tests/load/load_test.sh $(BUILD)

# The same against collector, elector and CLI built with ASan + UBSan in $(ASAN_BUILD);
# fails on any sanitizer report, leaks included (LeakSanitizer at each SIGTERM exit).
load-test-asan: deps $(ASAN_BUILD)/CMakeCache.txt
	cmake --build $(ASAN_BUILD) -j $(JOBS) --target promsnmp-bin elector-bin promsnmp-inventory
	LOAD_MINUTES=$(LOAD_MINUTES) SANITIZE=1 tests/load/load_test.sh $(ASAN_BUILD)

format:
	@clang-format -i $(SOURCES)

lint: build
	@clang-format --dry-run --Werror $(SOURCES) && echo "format: clean"
	scripts/lint.sh $(BUILD)

clean:
	rm -rf $(BUILD) build-bench $(FUZZ_BUILD) $(ASAN_BUILD)
