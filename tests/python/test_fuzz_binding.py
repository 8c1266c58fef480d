"""The binding fuzz (tests/python/fuzz_binding.py) as a test: the regression inputs and a fixed,
derandomized set of examples, in a child process, so that a crash is a failed test. The long
run is `FUZZ_SECONDS=600 .venv/bin/python tests/python/fuzz_binding.py`."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from conftest import GENERICS

EXAMPLES = 300
FUZZ = Path(__file__).resolve().parent / "fuzz_binding.py"


def test_fuzz_the_binding_with_a_fixed_set_of_examples(artifact_root):
    cmd = [
        sys.executable,
        str(FUZZ),
        "--examples",
        str(EXAMPLES),
        "--artifacts",
        str(artifact_root),
    ]
    cmd += [a for g in GENERICS for a in ("--generic", g)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    out = r.stdout + r.stderr
    assert r.returncode == 0, f"the fuzz failed (rc {r.returncode}):\n{out[-6000:]}"
    m = re.search(r"fuzz_binding: (\d+) examples \((\d+) valid, (\d+) invalid\)", r.stdout)
    assert m, out[-3000:]
    total, valid, invalid = map(int, m.groups())
    assert total >= EXAMPLES and valid > 0 and invalid > 0, r.stdout
