# Short commands over the CMake build. `make demo` and `make test` are the
# two set-up commands of the README.
JOBS     ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE    ?= cmake
BUILD    := build
SANBUILD := build-san
FUZZBUILD:= build-fuzz
BENCHBUILD:= build-bench
FUZZ_SECONDS ?= 20
FUZZ_SEED ?= 1

.PHONY: all deps build demo test test-all test-plain test-san fuzz bench install clean

all: build

deps:
	@sh scripts/deps.sh

build: deps
	@$(CMAKE) -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@$(CMAKE) --build $(BUILD) -j$(JOBS)

# The demo's build goes to $(BUILD)/build.log (its tail is shown if it
# fails), so the terminal shows the demo.
demo: deps
	@JOBS=$(JOBS) sh scripts/quiet_build.sh $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	@sh examples/demo.sh $(BUILD)

test: test-plain test-san fuzz

# Everything `make test` samples, whole: the fault-injection sweeps fail
# every allocation in turn instead of every few, and fuzzing runs longer.
test-all:
	@HCR_FAULT_ALL=1 $(MAKE) --no-print-directory test FUZZ_SECONDS=120

test-plain: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

test-san: deps
	@$(CMAKE) -S . -B $(SANBUILD) -DCMAKE_BUILD_TYPE=Debug -DHCR_SANITIZE=ON \
		-DHCR_EXAMPLES=OFF -DHCR_BENCH=OFF >/dev/null
	@$(CMAKE) --build $(SANBUILD) -j$(JOBS)
	cd $(SANBUILD) && ctest --output-on-failure -j$(JOBS)

fuzz: deps
	@$(CMAKE) -S . -B $(FUZZBUILD) -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
		-DHCR_FUZZ=ON -DHCR_TESTS=OFF -DHCR_EXAMPLES=OFF -DHCR_BENCH=OFF >/dev/null
	@$(CMAKE) --build $(FUZZBUILD) -j$(JOBS)
	@FUZZ_SEED=$(FUZZ_SEED) sh fuzz/run.sh $(FUZZBUILD) $(FUZZ_SECONDS)

bench: deps
	@$(CMAKE) -S . -B $(BENCHBUILD) -DCMAKE_BUILD_TYPE=Release -DHCR_TESTS=OFF >/dev/null
	@$(CMAKE) --build $(BENCHBUILD) -j$(JOBS)
	@sh bench/run.sh $(BENCHBUILD)

install: build
	$(CMAKE) --install $(BUILD)

clean:
	rm -rf $(BUILD) $(SANBUILD) $(FUZZBUILD) $(BENCHBUILD)
