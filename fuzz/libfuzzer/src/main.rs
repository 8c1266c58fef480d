//! One libFuzzer binary for every Rust fuzz target: `USEGOLIB_FUZZ_TARGET` names the target
//! (see `usegolib_fuzz::TARGETS`). Run it through scripts/fuzz.sh.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use usegolib_fuzz::{Target, TARGETS};

fn target() -> &'static Target {
    static TARGET: OnceLock<&'static Target> = OnceLock::new();
    TARGET.get_or_init(|| {
        let name = std::env::var("USEGOLIB_FUZZ_TARGET").unwrap_or_default();
        TARGETS.iter().find(|t| t.name == name).unwrap_or_else(|| {
            let names: Vec<&str> = TARGETS.iter().map(|t| t.name).collect();
            eprintln!(
                "set USEGOLIB_FUZZ_TARGET to one of: {} (got {name:?})",
                names.join(", ")
            );
            std::process::exit(2)
        })
    })
}

fuzz_target!(|data: &[u8]| (target().check)(data));
