# satveto — the two commands a newcomer needs are `make run` and `make test`.
# Each installs what it needs: Debian packages (when missing), a .venv/ at the repository
# root holding the frontend and the engine binary, and the engine's test build.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
# Debian packages: what the engine builds against, systemd for `systemd-analyze verify` of
# the units in the tests, and clang-format for the C++ style check (see README, "Dependencies").
APT_PACKAGES := g++ cmake make pkg-config liberfa-dev libmsgpack-cxx-dev catch2 systemd clang-format
ASAN_BUILD := build/engine-asan
JOBS ?= 2

.PHONY: build run test system-packages venv engine-tests python-tests lint format bench clean soak fuzz \
  fuzz-build image image-test image-packages mutate mutate-check

build: system-packages venv
	$(VPY) -m pip install --quiet --disable-pip-version-check ".[test]"
	@test -x $(VENV)/bin/satveto-engine && test -x $(VENV)/bin/satveto

# Installs only what is missing; uses sudo when not root.
system-packages:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

venv:
	@test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	@$(VPY) -m pip install --quiet --disable-pip-version-check --upgrade pip

# The service on localhost with a self-signed certificate and the demo catalog, one sample
# visit and DIASource request printed, then serving until Ctrl-C.
run: build
	$(VENV)/bin/satveto demo

test: build lint mutate-check engine-tests python-tests

PY_SOURCES := $(wildcard frontend tests benchmarks protocol image)
# The engine's C++ in one style (.clang-format at the root); the generated detector table
# (geometry/lsstcam_detector_table.inc) is left as its generator writes it.  mypy reads its
# settings (strict, on frontend/satveto) from pyproject.toml.
CXX_SOURCES = $(shell find engine -name '*.cpp' -o -name '*.hpp')
lint: system-packages
	$(VENV)/bin/ruff check $(PY_SOURCES)
	$(VENV)/bin/ruff format --check $(PY_SOURCES)
	$(VENV)/bin/mypy
	clang-format --dry-run --Werror $(CXX_SOURCES)

# Rewrites the engine's C++ in the repository's style; `make lint` fails until it is applied.
format: system-packages
	clang-format -i $(CXX_SOURCES)

# Catch2 unit tests under AddressSanitizer + UndefinedBehaviorSanitizer.
engine-tests: build
	cmake -S engine -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DSATVETO_SANITIZE=ON \
	  -DSATVETO_BUILD_TESTS=ON > /dev/null
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	SATVETO_SGP4_DATA_DIR="$$($(VPY) -c 'import os, sgp4; print(os.path.dirname(sgp4.__file__))')" \
	  ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS)

python-tests: build
	$(VENV)/bin/pytest

# Test strength: the deliberate bugs of tests/mutation/mutations.toml, each applied to a scratch
# copy (build/mutate/src; the working tree is never written) and run against the tests named to
# kill it, C++ ones after an incremental Release build there.  Fails when one survives.  About
# 15 minutes on 2 cores once the scratch build exists (the first run also builds the engine).
mutate: build
	$(VPY) tests/mutation/mutate.py --jobs $(JOBS)

# The list against the tree, in a second (no build, no test run): every snippet and every
# named test still exists.  Also a test (tests/mutation/test_mutation_list.py).
mutate-check:
	$(PYTHON) tests/mutation/mutate.py --check

# Benchmarks (not tests): every benchmark, written to benchmarks/RESULTS.md (machine, date,
# medians and spreads, ratios). About 3 minutes on 2 cores.
BENCH_BUILD := build/bench
bench: build
	cmake -S engine -B $(BENCH_BUILD) -DCMAKE_BUILD_TYPE=Release -DSATVETO_BUILD_BENCH=ON > /dev/null
	cmake --build $(BENCH_BUILD) -j $(JOBS) --target satveto-sgp4-tool
	$(VPY) benchmarks/report.py --tool $(BENCH_BUILD)/bench/satveto-sgp4-tool

# Long reliability runs (about an hour on 2 cores): faults, a night's load, slow clients.
soak: build
	SATVETO_SOAK=1 $(VENV)/bin/pytest -s -p no:cacheprovider --timeout 3600 tests/reliability

# libFuzzer on the engine's RPC decoding and parameter validation (clang from Debian).
FUZZ_BUILD := build/fuzz
FUZZ_SECONDS ?= 600
fuzz-build: system-packages
	@dpkg-query -W -f='$${Status}' clang 2>/dev/null | grep -q "install ok installed" || \
	  { SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); $$SUDO apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq clang; }
	cmake -S engine/fuzz -B $(FUZZ_BUILD) -DCMAKE_CXX_COMPILER=clang++ > /dev/null
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target satveto-rpc-fuzz

fuzz: build fuzz-build
	$(VPY) tests/reliability/fuzz_seeds.py $(FUZZ_BUILD)/seeds
	mkdir -p $(FUZZ_BUILD)/corpus $(FUZZ_BUILD)/artifacts
	$(FUZZ_BUILD)/satveto-rpc-fuzz -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
	  -rss_limit_mb=2048 -timeout=30 -artifact_prefix=$(FUZZ_BUILD)/artifacts/ \
	  $(FUZZ_BUILD)/corpus $(FUZZ_BUILD)/seeds
	SATVETO_SOAK=1 $(VENV)/bin/pytest -s -p no:cacheprovider tests/reliability/test_rpc_fuzz.py

# The container image from the Containerfile, tagged localhost/satveto:<version> and :latest
# (image/build.sh: the base images come from the registry, or are made here with mmdebstrap
# when none answers, and are kept in podman's storage for the next build). As root.
IMAGE_APT_PACKAGES := podman mmdebstrap
VERSION = $(shell sed -n 's/^version = "\(.*\)"$$/\1/p' pyproject.toml)
image-packages:
	@$(MAKE) --no-print-directory system-packages APT_PACKAGES="$(IMAGE_APT_PACKAGES)"

image: image-packages
	image/build.sh

# Builds the image, then smoke-tests it from its own root filesystem (image/smoke.py): engine
# and frontend as their users with the Quadlet files' settings, the demo's requests, SIGTERM.
image-test: image
	$(PYTHON) image/smoke.py localhost/satveto:$(VERSION)

clean:
	rm -rf build $(VENV)
