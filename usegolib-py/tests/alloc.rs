//! The binding allocates nothing on the Rust side for a call with Level-1 arguments in steady
//! state (docs/adr/0027-large-bytes-and-memory.md): this test binary embeds the real CPython,
//! registers this crate's `_native` module as `usegolib._native`, imports the `usegolib` package
//! from `python/`, builds and imports the level1 fixture with the real Go toolchain, and counts
//! the Rust allocations of the calling thread (`usegolib_loader::CountingAllocator`, installed
//! here only) over many calls made from Python. Python's own allocations (the result objects)
//! go through CPython's allocators, not Rust's, and are not counted.

use std::path::{Path, PathBuf};

use pyo3::prelude::*;
use pyo3::types::PyDict;
use usegolib_loader::{thread_allocations, CountingAllocator};

#[global_allocator]
static ALLOC: CountingAllocator = CountingAllocator;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .unwrap()
}

const CODE: &std::ffi::CStr = cr#"
import usegolib

m = usegolib.import_(FIXTURE, artifact_dir=ROOT)
add, echo_s, echo_b, total, echo_f, echo_t = (
    m.AddInt, m.EchoString, m.EchoBytes, m.Sum, m.EchoFloat64, m.EchoBool)
strs, ints = m.EchoStrings, m.EchoInt64s
payload = bytes(range(256)) * 16
xs = list(range(100))
words = ["a", "bb", "ccc"]


def rounds(n):
    for _ in range(n):
        assert add(40, 2) == 42
        assert add(a=1, b=2) == 3
        assert echo_s("hello, Go") == "hello, Go"
        assert echo_b(payload) == payload
        assert total(xs) == 4950
        assert echo_f(1.5) == 1.5
        assert echo_t(True) is True
        assert strs(words) == words
        assert ints(xs) == xs
"#;

#[test]
fn level1_calls_from_python_allocate_nothing_in_rust() {
    let repo = repo();
    let cache = std::env::var_os("USEGOLIB_CACHE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo.join("target/usegolib-cache"));
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("artifacts-py-alloc");
    Python::initialize();
    Python::attach(|py| {
        let os = py.import("os").unwrap();
        let environ = os.getattr("environ").unwrap();
        environ
            .set_item("USEGOLIB_CACHE_DIR", cache.to_str().unwrap())
            .unwrap();
        environ.set_item("USEGOLIB_QUIET", "1").unwrap();
        let sys = py.import("sys").unwrap();
        sys.getattr("path")
            .unwrap()
            .call_method1("insert", (0, repo.join("python").to_str().unwrap()))
            .unwrap();
        let native = pyo3::wrap_pymodule!(_native::_native)(py);
        sys.getattr("modules")
            .unwrap()
            .set_item("usegolib._native", native)
            .unwrap();
        let g = PyDict::new(py);
        g.set_item(
            "FIXTURE",
            repo.join("tests/fixtures/go/level1").to_str().unwrap(),
        )
        .unwrap();
        g.set_item("ROOT", root.to_str().unwrap()).unwrap();
        py.run(CODE, Some(&g), None)
            .unwrap_or_else(|e| panic!("{}", e.value(py)));
        let rounds = g.get_item("rounds").unwrap().unwrap();
        rounds.call1((200,)).unwrap();
        let before = thread_allocations();
        rounds
            .call1((5_000,))
            .unwrap_or_else(|e| panic!("{}", e.value(py)));
        let made = thread_allocations() - before;
        assert_eq!(
            made, 0,
            "45,000 calls from Python made {made} Rust allocations"
        );
        // The count is real: a call that must allocate in Rust (a new Go module's namespace)
        // is seen.
        let before = thread_allocations();
        g.get_item("m")
            .unwrap()
            .unwrap()
            .getattr("__dir__")
            .unwrap()
            .call0()
            .unwrap();
        py.import("usegolib")
            .unwrap()
            .getattr("_native")
            .unwrap()
            .call_method0("loaded_modules")
            .unwrap();
        assert!(thread_allocations() > before, "nothing was counted");
    });
}
