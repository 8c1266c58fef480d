# usegolib: one command for every check. `make test` is what CI runs (.ci/run).
SHELL := /bin/bash
.ONESHELL:
.SHELLFLAGS := -eu -o pipefail -c

# Keep builds of fixtures and tools inside the checkout, away from the user's cache.
export USEGOLIB_CACHE_DIR ?= $(CURDIR)/target/usegolib-cache
export GOFLAGS ?= -mod=mod
GO_FIXTURES := $(patsubst %/go.mod,%,$(wildcard tests/fixtures/go/*/go.mod tests/fixtures/go/*/*/go.mod))

.PHONY: help demo venv test real-modules std-build rust-fmt rust-lint rust-test go-fmt go-vet go-test py-lint py-test bench bench-build fuzz sanitize

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

PY := .venv/bin/python

demo: venv ## set up .venv and run the demo on the bundled Go module examples/gocalc
	$(PY) examples/demo.py

venv: ## create .venv with pinned tools, build and install the package into it
	scripts/setup-venv.sh

test: rust-fmt rust-lint go-fmt go-vet rust-test go-test venv py-lint py-test ## every check and test: Rust, Go, Python
	@echo "make test: all checks passed"

rust-fmt: ## cargo fmt --check
	cargo fmt --all -- --check

rust-lint: ## clippy, warnings denied
	cargo clippy --workspace --all-targets -- -D warnings

rust-test: ## Rust unit, property and integration tests (builds Go fixtures with the real toolchain)
	cargo test --workspace

go-fmt: ## gofmt must have nothing to say
	out=$$(gofmt -l go $(GO_FIXTURES)); if [ -n "$$out" ]; then echo "gofmt wants to change: $$out"; exit 1; fi

go-vet: ## go vet on the tools and the fixtures
	(cd go && go vet ./...)
	for d in $(GO_FIXTURES); do (cd $$d && go vet ./...); done

go-test: ## Go unit, golden, vector and end-to-end tests (fuzz seed corpora run as tests; builds the whole standard library)
	cd go && go test -timeout 20m ./...

real-modules: ## build every package of five large real modules (pinned; go/builder/realmod_test.go), print bridged/skipped counts and top skip reasons; make test builds only the first
	cd go && USEGOLIB_REAL_MODULES=all go test -count=1 -timeout 30m -v -run TestRealModules ./builder | grep -v '^=== RUN'

std-build: ## scan and build every importable package of the Go standard library into one artifact (go/builder/std_test.go, also in make test), print bridged/skipped counts per package, build time and the top skip reasons
	cd go && go test -count=1 -timeout 20m -v -run TestStdBuild ./builder | grep -v '^=== RUN'

py-lint: ## ruff check and ruff format --check
	.venv/bin/ruff check python tests/python benches/python examples
	.venv/bin/ruff format --check python tests/python benches/python examples

py-test: ## Python tests over real built libraries (child processes for crashes)
	$(PY) -m pytest -q -p no:cacheprovider tests/python

bench: venv ## benchmarks: Rust (envelope, calls vs the floor) and Python (vs the floor and the peer)
	cargo bench -p usegolib-benches --bench envelope --bench call
	$(PY) benches/python/bench_call.py

bench-build: venv ## cold (empty caches, fresh GOCACHE) and warm build times of the bench fixture beside the peer's, in one run (RUNS=2)
	$(PY) benches/python/bench_build.py --runs $(RUNS)

RUNS ?= 2

sanitize: venv ## valgrind memcheck over the binding's raw CPython FFI (fast.rs, the call entry): tests/valgrind/fastcall.py in a child with PYTHONMALLOC=malloc; fails on any report about the binding (scripts/sanitize.sh)
	scripts/sanitize.sh

FUZZ_TIME ?= 60

fuzz: venv ## run every fuzz target (Rust decoders, Go bridge and generated codecs, Python binding) FUZZ_TIME seconds each (default 60)
	FUZZ_TIME=$(FUZZ_TIME) scripts/fuzz.sh
