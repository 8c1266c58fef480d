#!/usr/bin/env python3
"""Writes the seed corpora of the Rust fuzz targets (fuzz/corpus/<target>/) from the frozen ABI
vectors, the generator's golden schemas and real manifests.

Usage: fuzz/seed.py [MANIFEST.json ...]   (manifests of built artifacts, e.g. from target/)

The seeds are committed; rerun this only to add seeds. Files are named after their source, so a
rerun rewrites the same files.
"""

import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
VECTORS = ROOT / "tests/fixtures/abi"
GOLDENS = sorted((ROOT / "go/gen/testdata").glob("*.golden/schema.json.golden"))
CORPUS = ROOT / "fuzz/corpus"

# Which vectors seed which target (every vector seeds `value`: a request or reply is a value too).
KIND_TARGETS = {
    "value": ["value"],
    "request": ["value", "request"],
    "reply": ["value", "reply"],
    "invalid": ["value", "request", "reply"],
}

# Wire types paired with a vector whose value fits them (and some that do not).
TYPED = [
    ("int8", "int8_min"),
    ("uint8", "int_neg1"),
    ("uint64", "uint64_max"),
    ("int64", "uint64_2p63"),
    ("float32", "f64_pi"),
    ("float64", "int_i32"),
    ("float32", "f32_nan"),
    ("string", "str_invalid_utf8"),
    ("bytes", "bin8"),
    ("bytes[3]", "bin8"),
    ("[]int64", "list_ints"),
    ("[3]int16", "list_ints"),
    ("[][]int64", "list_nested"),
    ("[]bytes", "list_bytes"),
    ("[]string", "list_strings"),
    ("map[string]int64", "l2_map_str_int"),
    ("map[string]map[string]int64", "l2_map_nested"),
    ("*string", "nil"),
    ("**int64", "int_u16"),
    ("time", "l3_time"),
    ("duration", "int_i64"),
    ("any", "list_nested"),
    ("any", "l3_handle"),
    ("&example.com/m.T", "l3_handle_max"),
    ("@example.com/m.P", "l3_record_point"),
    ("error", "nil"),
]


def write(target: str, name: str, data: bytes) -> None:
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data)


def wire_types(node, out: set) -> None:
    """Every "type" string in a schema."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "type" and isinstance(v, str):
                out.add(v)
            else:
                wire_types(v, out)
    elif isinstance(node, list):
        for v in node:
            wire_types(v, out)


def manifest_around(schema: dict) -> dict:
    return {
        "manifest_version": 1,
        "abi_version": 1,
        "module": schema.get("module", "example.com/m"),
        "version": "local",
        "local": True,
        "go_version": "go1.26.0",
        "goos": "linux",
        "goarch": "amd64",
        "library": {"file": "libusegolib.so", "sha256": "00" * 32},
        "fingerprint": None,
        "schema": schema,
    }


def main() -> None:
    for desc in sorted(VECTORS.glob("*.json")):
        meta = json.loads(desc.read_text())
        data = desc.with_suffix(".msgpack").read_bytes()
        for target in KIND_TARGETS[meta["kind"]]:
            write(target, f"vec-{desc.stem}", data)
    types: set = set()
    for golden in GOLDENS:
        schema = json.loads(golden.read_text())
        wire_types(schema, types)
        name = golden.parent.name.removesuffix(".golden")
        write("manifest", f"golden-{name}", json.dumps(manifest_around(schema), indent=1).encode())
    for path in sys.argv[1:]:
        manifest = json.loads(pathlib.Path(path).read_text())
        wire_types(manifest.get("schema"), types)
        name = manifest["module"].rsplit("/", 1)[-1]
        write("manifest", f"built-{name}", json.dumps(manifest, indent=1).encode())
    for i, t in enumerate(sorted(types)):
        write("wire_type", f"schema-{i:03}", t.encode())
    for i, (t, vec) in enumerate(TYPED):
        write("wire_type", f"typed-{i:03}", t.encode() + b"\n" + (VECTORS / f"{vec}.msgpack").read_bytes())


if __name__ == "__main__":
    main()
