# usegolib: one command for every check. `make test` is what CI runs (.ci/run).
SHELL := /bin/bash
.ONESHELL:
.SHELLFLAGS := -eu -o pipefail -c

# Keep builds of fixtures and tools inside the checkout, away from the user's cache.
export USEGOLIB_CACHE_DIR ?= $(CURDIR)/target/usegolib-cache
export GOFLAGS ?= -mod=mod
GO_FIXTURES := $(wildcard tests/fixtures/go/*)

.PHONY: help test rust-fmt rust-lint rust-test go-fmt go-vet go-test bench fuzz vectors

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

test: rust-fmt rust-lint go-fmt go-vet rust-test go-test ## every check and test: Rust, Go
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

go-test: ## Go unit, golden, vector and end-to-end tests (fuzz seed corpora run as tests)
	cd go && go test ./...

bench: ## benchmarks: envelope, and Rust -> Go calls beside the floor
	cargo bench -p usegolib-benches

fuzz: ## run the bridge fuzz targets for a minute each
	cd go && go test -run=NONE -fuzz=FuzzHandle -fuzztime=60s ./bridge/
	cd go && go test -run=NONE -fuzz=FuzzDecodeValue -fuzztime=60s ./bridge/
