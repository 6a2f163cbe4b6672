# isoswitch: a thin wrapper over meson/ninja and the scripts in the tree.
# `make demo` and `make test` are the two commands a fresh Debian 12 machine
# needs (as root): both install what is missing first.

BUILD      ?= build
ASAN_BUILD ?= build-asan
MESON_OPTS ?=
SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Exactly the Debian packages the build, the tests and the demo use.
DEPS := meson ninja-build pkg-config g++ \
        dpdk dpdk-dev libdpdk-dev libpcap-dev \
        libboost-program-options-dev libgtest-dev libgmock-dev googletest \
        libbenchmark-dev nlohmann-json3-dev \
        clang libclang-rt-14-dev \
        python3-scapy tshark tcpdump iproute2 iputils-ping curl iperf3 ethtool procps \
        gnuplot-nox valgrind

.PHONY: all deps build asan demo test unit bench bench-ovs profile fuzz soak format clean

all: build

deps:
	@missing=$$(for p in $(DEPS); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; \
	  done); \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing:" $$missing; \
	  $(SUDO) apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends $$missing; \
	fi

$(BUILD)/build.ninja:
	meson setup $(BUILD) $(MESON_OPTS)

$(ASAN_BUILD)/build.ninja:
	meson setup $(ASAN_BUILD) -Db_sanitize=address,undefined -Db_lundef=false $(MESON_OPTS)

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

asan: deps $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD)

demo: build
	@bash examples/demo.sh $(BUILD)

# Unit tests under ASan+UBSan first, each fuzz target briefly (20 s), then
# every suite of the normal build (tests that need root and network
# namespaces skip, saying so, without it); meson's summary ends the output.
test: build
	bash tests/run-asan-unit.sh $(ASAN_BUILD)
	bash tests/fuzz/run.sh --seconds $${FUZZ_QUICK_SECONDS:-20}
	meson test -C $(BUILD) --print-errorlogs --num-processes 2

unit: build
	meson test -C $(BUILD) --suite unit --print-errorlogs

bench: build
	@bash perf/run-bench.sh $(BUILD)

bench-ovs: build
	@bash perf/run-bench.sh $(BUILD) --with-ovs

# Time profiles of the forwarding core (perf record, software clock) for the
# throughput scenarios, and their chart; installs Debian's linux-perf.
profile: build
	@$(MAKE) --no-print-directory deps DEPS=linux-perf
	@bash perf/hugepages.sh 384 || echo "make profile: no hugepages: profiling with --no-huge"
	@for s in small large2 fanout large; do \
	  /usr/bin/python3 perf/profile --build $(BUILD) --scenario $$s --runs 3 || exit 1; \
	done
	@bash perf/plot $(BUILD)/perf-results

fuzz: deps
	@bash tests/fuzz/run.sh --seconds $${FUZZ_SECONDS:-300}

soak: build
	@bash tests/soak/run.sh $(BUILD) --minutes $${SOAK_MINUTES:-10}

format:
	@git ls-files '*.cc' '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-fuzz
