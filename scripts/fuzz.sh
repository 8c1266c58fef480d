#!/usr/bin/env bash
# Runs every fuzz target of the project for FUZZ_TIME seconds each (default 60), one after the
# other, and prints per target: executions, time, crashes.
#
#   scripts/fuzz.sh                      every target
#   scripts/fuzz.sh rust:value go:FuzzHandle   some of them
#   FUZZ_TIME=600 scripts/fuzz.sh        ten minutes each
#   scripts/fuzz.sh --list               the target names
#
# Other settings: FUZZ_NICE (default 10), FUZZ_GO_WORKERS (go test -parallel, default 1).
#
# Rust targets (fuzz/src/lib.rs) run under libFuzzer, built on stable Rust with the
# coverage-instrumentation flags below (no cargo-fuzz, no nightly). They read the committed
# seeds in fuzz/corpus/<target>/ and keep what they discover in target/fuzz/corpus/<target>/;
# a crashing input lands in target/fuzz/artifacts/<target>/. Keep every crashing input as a
# regression test: fix the bug, then copy the file to fuzz/regressions/<target>/ (cargo test
# replays both folders, fuzz/tests/corpus.rs).
#
# Go targets (go/bridge/fuzz_test.go) run under `go test -fuzz`; a crashing input is written to
# go/bridge/testdata/fuzz/<Target>/, where `go test` replays it from then on. The generated-codec
# target and the Python Hypothesis target are described where they are listed below.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
FUZZ_TIME=${FUZZ_TIME:-60}
FUZZ_NICE=${FUZZ_NICE:-10}
FUZZ_GO_WORKERS=${FUZZ_GO_WORKERS:-1}
OUT=$ROOT/target/fuzz

# Each kind of target has a run_<kind> function below and a case in `run`; add new kinds there.
RUST_TARGETS=(value request reply wire_type manifest)
GO_TARGETS=(FuzzHandle FuzzDecodeValue)
EXTRA_TARGETS=(
    # The generated codecs of Levels 2 and 3, through the bridge of tests/fixtures/go/level3
    # (go/builder/fuzzgen_test.go); a failing input lands in go/builder/testdata/fuzz/.
    go-codec:FuzzGeneratedBridge
    # The Python binding, Hypothesis over every echo function (tests/python/fuzz_binding.py);
    # a failing example is printed, to be added to its REGRESSIONS.
    py:fuzz_binding
)

all_targets() {
    local t
    for t in "${RUST_TARGETS[@]}"; do echo "rust:$t"; done
    for t in "${GO_TARGETS[@]}"; do echo "go:$t"; done
    for t in "${EXTRA_TARGETS[@]+"${EXTRA_TARGETS[@]}"}"; do echo "$t"; done
}

# The longest input worth generating, per Rust target.
max_len() {
    case $1 in
        manifest) echo 131072 ;;
        *) echo 4096 ;;
    esac
}

RUST_BIN=
build_rust() {
    [ -n "$RUST_BIN" ] && return
    local host
    host=$(rustc -vV | sed -n 's/^host: //p')
    # The instrumentation cargo-fuzz uses, minus the sanitizer (which needs nightly). --target
    # keeps the flags away from build scripts and proc macros.
    RUSTFLAGS="-Cpasses=sancov-module \
        -Cllvm-args=-sanitizer-coverage-level=4 \
        -Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
        -Cllvm-args=-sanitizer-coverage-pc-table \
        -Cllvm-args=-sanitizer-coverage-trace-compares \
        --cfg fuzzing" \
        nice -n "$FUZZ_NICE" cargo build --release --locked \
        --manifest-path fuzz/libfuzzer/Cargo.toml \
        --target "$host" --target-dir "$OUT/build" >&2
    RUST_BIN=$OUT/build/$host/release/usegolib-fuzz
}

# Prints "executions seconds crashes detail" for one run.
run_rust() {
    local t=$1 log corpus artifacts rc=0 start
    build_rust
    corpus=$OUT/corpus/$t
    artifacts=$OUT/artifacts/$t
    log=$OUT/logs/rust-$t.log
    mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
    local before
    before=$(find "$artifacts" -type f | wc -l)
    start=$(date +%s)
    USEGOLIB_FUZZ_TARGET=$t nice -n "$FUZZ_NICE" "$RUST_BIN" \
        -max_total_time="$FUZZ_TIME" -max_len="$(max_len "$t")" -timeout=20 \
        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts/" \
        "$corpus" "fuzz/corpus/$t" >"$log" 2>&1 || rc=$?
    local execs crashes
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    crashes=$(($(find "$artifacts" -type f | wc -l) - before))
    if [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ]; then crashes=1; fi
    echo "${execs:-?} $(($(date +%s) - start)) $crashes $log"
}

run_go() {
    local t=$1 log rc=0 start
    log=$OUT/logs/go-$t.log
    mkdir -p "$(dirname "$log")"
    start=$(date +%s)
    (cd go && nice -n "$FUZZ_NICE" go test -run=NONE -fuzz="^$t\$" -fuzztime="${FUZZ_TIME}s" \
        -fuzzminimizetime=0 -parallel="$FUZZ_GO_WORKERS" ./bridge/) >"$log" 2>&1 || rc=$?
    local execs crashes=0
    execs=$(grep -o 'execs: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    if [ "$rc" -ne 0 ]; then crashes=1; fi
    echo "${execs:-?} $(($(date +%s) - start)) $crashes $log"
}

run_go_codec() {
    local log rc=0 start
    log=$OUT/logs/go-codec.log
    mkdir -p "$(dirname "$log")"
    start=$(date +%s)
    (cd go && USEGOLIB_FUZZTIME="${FUZZ_TIME}s" USEGOLIB_FUZZ_PARALLEL="$FUZZ_GO_WORKERS" \
        nice -n "$FUZZ_NICE" go test -count=1 -timeout=0 -v -run='^TestGeneratedCodecsFuzz$' \
        ./builder/) >"$log" 2>&1 || rc=$?
    local execs crashes=0
    execs=$(grep -o 'execs: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    if [ "$rc" -ne 0 ]; then crashes=1; fi
    echo "${execs:-?} $(($(date +%s) - start)) $crashes $log"
}

run_py() {
    local t=$1 log rc=0 start
    log=$OUT/logs/py-$t.log
    mkdir -p "$(dirname "$log")"
    if [ ! -x .venv/bin/python ]; then
        echo "py:$t needs .venv: run make venv first" >&2
        echo "? 0 1 $log"
        return
    fi
    start=$(date +%s)
    FUZZ_SECONDS=$FUZZ_TIME nice -n "$FUZZ_NICE" .venv/bin/python "tests/python/$t.py" \
        >"$log" 2>&1 || rc=$?
    local execs crashes=0
    execs=$(sed -n "s/^$t: \([0-9]*\) examples.*/\1/p" "$log" | tail -1)
    if [ "$rc" -ne 0 ]; then crashes=1; fi
    echo "${execs:-?} $(($(date +%s) - start)) $crashes $log"
}

run() {
    case $1 in
        rust:*) run_rust "${1#rust:}" ;;
        go:*) run_go "${1#go:}" ;;
        go-codec:FuzzGeneratedBridge) run_go_codec ;;
        py:*) run_py "${1#py:}" ;;
        *)
            echo "unknown fuzz target $1 (scripts/fuzz.sh --list)" >&2
            return 2
            ;;
    esac
}

if [ "${1:-}" = "--list" ]; then
    all_targets
    exit 0
fi
if [ $# -gt 0 ]; then targets=("$@"); else mapfile -t targets < <(all_targets); fi
for t in "${targets[@]}"; do
    if ! all_targets | grep -qx -- "$t"; then
        echo "unknown fuzz target $t; the targets are:" >&2
        all_targets >&2
        exit 2
    fi
done

failed=0
summary=()
for t in "${targets[@]}"; do
    echo "fuzzing $t for ${FUZZ_TIME}s ..." >&2
    read -r execs secs crashes log < <(run "$t")
    summary+=("$(printf '%-24s %14s %8ss %8s   %s' "$t" "$execs" "$secs" "$crashes" "$log")")
    if [ "$crashes" != 0 ]; then failed=1; fi
done
printf '%-24s %14s %9s %8s   %s\n' target executions time crashes log
printf '%s\n' "${summary[@]}"
if [ "$failed" -ne 0 ]; then
    echo "crashes found: see the logs; keep each input as a regression test (header of $0)" >&2
    exit 1
fi
