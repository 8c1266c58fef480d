#!/usr/bin/env bash
# `make sanitize`: the binding's raw CPython FFI (usegolib-py/src/fast.rs: the vectorcall entry
# of Go functions and methods) under valgrind's memcheck. Runs tests/valgrind/fastcall.py (every
# slot of GoCallable, good and bad arguments, thousands of calls, a GC cycle) in a CPython child
# with PYTHONMALLOC=malloc (so that memcheck sees every Python object allocation) and
# GODEBUG=asyncpreemptoff=1 (Go's preemption signals confuse valgrind), over the bench
# fixture's artifact. Fails when memcheck reports any invalid read, write or free, any error
# whose stack shows the binding (_native.abi3.so), or a definite leak allocated by it (other than
# the tables of its types, made once per process).
# Errors of Go's runtime and one of CPython 3.11 are suppressed (tests/valgrind/go-runtime.supp,
# which says why); other reports outside the binding are counted and left in the log.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
command -v valgrind >/dev/null || { echo "sanitize: valgrind not found (apt-get install valgrind)" >&2; exit 1; }
export USEGOLIB_CACHE_DIR=${USEGOLIB_CACHE_DIR:-$PWD/target/usegolib-cache}
art=$("$PY" -c 'import os, usegolib; print(usegolib.import_(os.path.abspath("tests/fixtures/go/bench"), quiet=True)._go_module.artifact_dir)')
log=target/sanitize-valgrind.log
mkdir -p target
set +e
PYTHONMALLOC=malloc GODEBUG=asyncpreemptoff=1 valgrind --tool=memcheck --num-callers=40 \
  --suppressions=tests/valgrind/go-runtime.supp --leak-check=full --show-leak-kinds=definite \
  --errors-for-leak-kinds=none --log-file="$log" "$PY" tests/valgrind/fastcall.py "$art"
rc=$?
set -e
"$PY" - "$log" "$rc" <<'PYEOF'
import re, sys
log, rc = open(sys.argv[1]).read(), int(sys.argv[2])
blocks = re.split(r"\n==\d+== \n", log)
errors = [b for b in blocks if re.search(r"==\d+== (Invalid |Conditional jump|Use of uninit|Syscall param|Mismatched free|Source and destination|\d[\d,]* bytes in [\d,]+ blocks are definitely lost)", b)]
# The tables a type is made from are leaked on purpose, once per process (CPython keeps
# pointers into them or copies them): pyo3's create_type_object, fast.rs's make_type and
# make_record_meta.
once = ("create_type_object", "fast::make_type", "fast::make_record_meta")
ours = [
    b
    for b in errors
    if ("_native" in b or re.search(r"Invalid (read|write|free)", b))
    and not ("definitely lost" in b and any(o in b for o in once))
]
print(f"sanitize: {len(errors)} memcheck reports, {len(ours)} in or about the binding; log: {sys.argv[1]}")
for b in ours:
    print(b)
if rc != 0 or ours:
    sys.exit(f"sanitize: FAILED (python exit {rc}, {len(ours)} reports about the binding)")
print("sanitize: ok")
PYEOF
