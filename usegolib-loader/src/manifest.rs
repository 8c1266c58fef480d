//! `manifest.json` and the schema (docs/abi.md sections 5 and 8).

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use usegolib_abi::{RecordField, RecordType, WireType, ABI_VERSION};

use crate::module::GoFunction;
use crate::{Error, Result};

/// The manifest version this crate reads.
pub const MANIFEST_VERSION: u32 = 1;

/// The schema layout version this crate reads (docs/abi.md section 5).
pub const SCHEMA_VERSION: u32 = 2;

/// Parses the bytes of a `manifest.json` (found at `path`, which errors name) and checks
/// everything that can be checked without the library: manifest version, ABI version and
/// platform. The schema inside is checked when the library is loaded (see [`check_schema`]).
///
/// Any bytes give a result or an error, never a panic: JSON nesting is bounded by serde_json's
/// recursion limit (128), and every number is range-checked.
///
/// # Errors
///
/// [`Error::Manifest`], [`Error::AbiMismatch`] or [`Error::Platform`].
pub fn parse_manifest(bytes: &[u8], path: &Path) -> Result<Manifest> {
    let bad = |reason: String| Error::Manifest {
        path: path.to_path_buf(),
        reason,
    };
    let raw: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| bad(format!("not JSON: {e}")))?;
    let mv = raw.get("manifest_version").and_then(|v| v.as_u64());
    if mv != Some(MANIFEST_VERSION as u64) {
        return Err(bad(format!(
            "manifest_version is {}, this usegolib reads {MANIFEST_VERSION}: rebuild the artifact",
            mv.map(|v| v.to_string())
                .unwrap_or_else(|| "missing".into())
        )));
    }
    if let Some(abi) = raw.get("abi_version").and_then(|v| v.as_u64()) {
        if abi != ABI_VERSION as u64 {
            return Err(Error::AbiMismatch {
                path: path.to_path_buf(),
                // Never wrapped: a number beyond u32 shows as u32::MAX, still not ours.
                found: u32::try_from(abi).unwrap_or(u32::MAX),
                expected: ABI_VERSION,
            });
        }
    }
    let m: Manifest = serde_json::from_value(raw).map_err(|e| bad(e.to_string()))?;
    let (os, arch) = crate::host_platform();
    if m.goos != os || m.goarch != arch {
        return Err(Error::Platform {
            path: path.to_path_buf(),
            found: format!("{}/{}", m.goos, m.goarch),
            expected: format!("{os}/{arch}"),
        });
    }
    Ok(m)
}

/// A manifest's schema, checked and indexed for calls.
pub(crate) struct SchemaIndex {
    pub(crate) schema: Schema,
    /// Every supported function, indexed by id.
    pub(crate) functions: Vec<GoFunction>,
    /// Function ids by `"<import path>.<Name>"`.
    pub(crate) by_name: HashMap<String, u32>,
    /// The reasons of skipped functions, by qualified name.
    pub(crate) skipped: HashMap<String, String>,
    /// Record types by key.
    pub(crate) records: HashMap<String, RecordType>,
}

/// Reads the schema of `manifest` (at `path`) the way loading does: every wire type parsed,
/// function ids dense.
pub(crate) fn index_schema(manifest: &Manifest, path: &Path) -> Result<SchemaIndex> {
    let bad = |reason: String| Error::Manifest {
        path: path.to_path_buf(),
        reason,
    };
    let version = manifest
        .schema
        .get("schema_version")
        .and_then(|v| v.as_u64());
    if version != Some(u64::from(SCHEMA_VERSION)) {
        return Err(bad(format!(
            "schema_version is {}, this usegolib reads {SCHEMA_VERSION}: rebuild the artifact",
            version.map_or_else(|| "missing".into(), |v| v.to_string())
        )));
    }
    let schema = Schema::deserialize(&manifest.schema).map_err(|e| bad(format!("schema: {e}")))?;
    let mut functions = Vec::new();
    let mut skipped = HashMap::new();
    for pkg in &schema.packages {
        for f in &pkg.functions {
            let parse = |ps: &[Param]| {
                ps.iter()
                    .map(|p| p.wire_type())
                    .collect::<Result<Vec<_>, _>>()
            };
            let (params, results) = match (parse(&f.params), parse(&f.results)) {
                (Ok(p), Ok(r)) => (p, r),
                (Err(e), _) | (_, Err(e)) => {
                    return Err(bad(format!(
                        "{}.{}: {e}: upgrade usegolib",
                        pkg.path, f.name
                    )))
                }
            };
            if let Err(reason) = f.check_kind() {
                return Err(bad(format!("{}.{}: {reason}", pkg.path, f.name)));
            }
            if f.id as usize != functions.len() {
                return Err(bad(format!(
                    "function ids are not dense at {}.{}",
                    pkg.path, f.name
                )));
            }
            functions.push(GoFunction {
                qualified: format!("{}.{}", pkg.path, f.name),
                package: pkg.path.clone(),
                schema: f.clone(),
                params,
                results,
                scalar: None,
            });
        }
        for s in &pkg.skipped {
            skipped.insert(format!("{}.{}", pkg.path, s.name), s.reason.clone());
        }
    }
    // A class names a value type (docs/abi.md section 8.8).
    let classes = schema.packages.iter().flat_map(|p| {
        let params = p
            .functions
            .iter()
            .flat_map(|f| f.params.iter().chain(&f.results));
        let consts = p.consts.iter().map(|k| (&k.name, &k.class));
        params.map(|v| (&v.name, &v.class)).chain(consts)
    });
    for (name, class) in classes {
        if let Some(key) = class {
            if schema.types.get(key).is_none_or(|t| t.kind != "value") {
                return Err(bad(format!(
                    "{name}: its class {key} is not a value type of the schema"
                )));
            }
        }
    }
    for f in &functions {
        let types = f.params.iter().chain(&f.results);
        if let Err(reason) = check_named_types(&schema, types) {
            return Err(bad(format!("{}: {reason}", f.qualified)));
        }
        if let Some(key) = &f.schema.receiver {
            // "@K": a method of the record form of K, its receiver the record by value
            // (docs/abi.md section 8.3).
            let ok = match key.strip_prefix('@') {
                Some(k) => {
                    schema.types.contains_key(k)
                        && f.schema.params.first().is_some_and(|p| p.wire == *key)
                }
                None => schema
                    .types
                    .get(key)
                    .is_some_and(|t| t.kind == "handle" || t.kind == "value"),
            };
            if !ok {
                return Err(bad(format!(
                    "{}: its receiver {key} is not a handle or value type of the schema",
                    f.qualified
                )));
            }
        }
    }
    let by_name = functions
        .iter()
        .map(|f| (f.qualified.clone(), f.id()))
        .collect();
    let mut records = HashMap::new();
    for (key, t) in &schema.types {
        if let Some(c) = t.constructor {
            let ok = functions
                .get(c as usize)
                .is_some_and(|f: &GoFunction| f.schema.kind == FunctionKind::Constructor);
            if !ok {
                return Err(bad(format!(
                    "type {key}: its constructor {c} is not a constructor entry"
                )));
            }
        }
        let mut fields = Vec::new();
        for f in &t.fields {
            let ty = WireType::parse(&f.wire).map_err(|e| {
                bad(format!(
                    "type {key}, field {}: {e}: upgrade usegolib",
                    f.name
                ))
            })?;
            fields.push(RecordField {
                name: f.name.clone(),
                key: f.key.clone(),
                go: f.go.clone(),
                ty,
                required: f.required,
            });
        }
        if let Err(reason) = check_named_types(&schema, fields.iter().map(|f| &f.ty)) {
            return Err(bad(format!("type {key}: {reason}")));
        }
        if !matches!(t.kind.as_str(), "record" | "handle" | "value") {
            return Err(bad(format!(
                "type {key}: kind {:?} is not \"record\", \"handle\" or \"value\": upgrade usegolib",
                t.kind
            )));
        }
        records.insert(
            key.clone(),
            RecordType {
                name: t.name.clone(),
                fields,
            },
        );
    }
    for f in &mut functions {
        f.scalar = f
            .schema
            .scalar
            .and_then(|index| crate::ScalarLayout::derive(index, &f.params, &f.results, &records));
    }
    Ok(SchemaIndex {
        schema,
        functions,
        by_name,
        skipped,
        records,
    })
}

/// Checks that every type `@K` or `&K` inside `types` names a type of the schema, and every
/// `&K` a handle type (docs/abi.md section 8: a record `@K` may also be a handle type used by
/// value).
fn check_named_types<'a>(
    schema: &Schema,
    types: impl IntoIterator<Item = &'a WireType>,
) -> std::result::Result<(), String> {
    for ty in types {
        let Some((key, handle)) = ty.named_type() else {
            continue;
        };
        match schema.types.get(key) {
            None => return Err(format!("{ty} names no type of the schema")),
            Some(t) if handle && t.kind != "handle" => {
                return Err(format!("{ty} is a handle to the {} type {key}", t.kind))
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// Checks the schema of a manifest (at `path`) as loading the library would, without loading
/// it: the schema's shape, every wire type, each entry's kind against its fields, dense function
/// ids, and that every type a wire type or receiver names is in `types` (a handle `&K` and a
/// receiver name handle types). Returns the schema.
///
/// # Errors
///
/// [`Error::Manifest`] saying what is wrong.
pub fn check_schema(manifest: &Manifest, path: &Path) -> Result<Schema> {
    index_schema(manifest, path).map(|index| index.schema)
}

/// An artifact's `manifest.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`MANIFEST_VERSION`].
    pub manifest_version: u32,
    /// The ABI the library speaks.
    pub abi_version: u32,
    /// The Go module path.
    pub module: String,
    /// `local`, or the module version.
    pub version: String,
    /// Built from a local directory.
    pub local: bool,
    /// The Go toolchain that built it, e.g. `go1.26.8`.
    pub go_version: String,
    /// Target OS, as `GOOS`.
    pub goos: String,
    /// Target architecture, as `GOARCH`.
    pub goarch: String,
    /// The library file.
    pub library: LibraryInfo,
    /// For local modules, the fingerprint of the sources (docs/abi.md section 9).
    pub fingerprint: Option<String>,
    /// For local modules, the module's directory (symbolic links resolved).
    #[serde(default)]
    pub source_dir: Option<String>,
    /// For local modules, the directories the fingerprint covers beyond its walk (embedded
    /// files, sources the walk does not select), as the build found them with `go list`.
    #[serde(default)]
    pub input_dirs: Vec<InputDir>,
    /// The schema, as JSON: compared with the library's own copy at load time.
    pub schema: serde_json::Value,
}

/// A directory of a fingerprint root whose files the fingerprint covers whatever their names
/// (docs/abi.md section 9).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputDir {
    /// The root: `""` for the module, else a directory replacement as its go.mod writes it.
    pub root: String,
    /// Slash-separated, relative to the root; `""` is the root itself.
    pub dir: String,
    /// Also every directory below `dir` (a directory named by a `//go:embed` pattern).
    #[serde(default)]
    pub recursive: bool,
}

/// The library entry of a manifest.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LibraryInfo {
    /// File name, relative to the manifest's directory.
    pub file: String,
    /// SHA-256 of the file, lowercase hex.
    pub sha256: String,
}

/// The schema: what the library exports (docs/abi.md section 5).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Schema {
    /// Schema format version.
    pub schema_version: u32,
    /// ABI version.
    pub abi_version: u32,
    /// Go module path.
    pub module: String,
    /// Module version, or `local`.
    pub version: String,
    /// Packages, sorted by import path.
    pub packages: Vec<Package>,
    /// Packages of the module that were not bridged, with the reason.
    #[serde(default)]
    pub skipped_packages: Vec<SkippedPackage>,
    /// Record and handle types by key (`<import path>.<Name>`), docs/abi.md section 8.2.
    #[serde(default)]
    pub types: std::collections::BTreeMap<String, TypeInfo>,
}

/// A record or handle type of the schema.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TypeInfo {
    /// `record` or `handle`.
    pub kind: String,
    /// The Go type name.
    pub name: String,
    /// The package's import path.
    pub package: String,
    /// GoDoc text.
    #[serde(default)]
    pub doc: String,
    /// The Go type as written (handles).
    #[serde(default)]
    pub go: String,
    /// The fields of a record (or of a handle type that can be constructed with fields).
    #[serde(default)]
    pub fields: Vec<FieldInfo>,
    /// The function id of a handle type's constructor.
    #[serde(default)]
    pub constructor: Option<u32>,
    /// The function ids of a handle type's methods.
    #[serde(default)]
    pub methods: Vec<u32>,
    /// A func type's signature as Go calls a host callable (docs/abi.md section 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback: Option<CallbackInfo>,
    /// An interface's method set as a host object implements it (docs/abi.md section 10.7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub implement: Option<ImplementInfo>,
    /// A value type's wire type (docs/abi.md section 8.8).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub wire: Option<String>,
    /// A value type over an integer type whose package declares constants of it.
    #[serde(default, rename = "enum", skip_serializing_if = "std::ops::Not::not")]
    pub enum_: bool,
}

/// An interface's methods as a host object implements them (sorted by name, each a callback),
/// or, with `reason`, why a host object cannot.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImplementInfo {
    /// The methods, by their index in host requests.
    #[serde(default)]
    pub methods: Vec<MethodInfo>,
    /// Why a host object cannot implement the interface ("" when it can).
    #[serde(default)]
    pub reason: String,
}

/// One method of [`ImplementInfo`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MethodInfo {
    /// The Go method name.
    pub name: String,
    /// Its signature as Go calls the host.
    #[serde(flatten)]
    pub callback: CallbackInfo,
}

/// A func type as Go calls a host callable: parameters Go -> host, results host -> Go; or,
/// with `reason`, why a host callable cannot be one.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CallbackInfo {
    /// The parameters, by their wire types from Go.
    #[serde(default)]
    pub params: Vec<Param>,
    /// The results without a trailing error, by their wire types to Go.
    #[serde(default)]
    pub results: Vec<Param>,
    /// The func type returns a trailing error.
    #[serde(default)]
    pub error: bool,
    /// The last parameter is `...T`, carried as one list.
    #[serde(default)]
    pub variadic: bool,
    /// Why a host callable cannot be this func type ("" when it can).
    #[serde(default)]
    pub reason: String,
}

/// A field of a record type.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FieldInfo {
    /// The Go field name.
    pub name: String,
    /// The key on the wire.
    pub key: String,
    /// The Go type as written.
    pub go: String,
    /// The wire type.
    #[serde(rename = "type")]
    pub wire: String,
    /// Whether input must give it.
    #[serde(default)]
    pub required: bool,
    /// Whether an empty value is left out of output.
    #[serde(default)]
    pub omitempty: bool,
    /// GoDoc text of the field.
    #[serde(default)]
    pub doc: String,
}

/// A generic function's instantiation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GenericInfo {
    /// The generic function's name.
    pub name: String,
    /// The type arguments, as Go types.
    pub type_args: Vec<String>,
}

/// A package of the module that the bridge does not expose.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SkippedPackage {
    /// Import path.
    pub path: String,
    /// Why it was skipped.
    pub reason: String,
}

/// One Go package.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Package {
    /// Import path.
    pub path: String,
    /// Package name.
    pub name: String,
    /// Package documentation.
    #[serde(default)]
    pub doc: String,
    /// Supported functions, sorted by name.
    pub functions: Vec<Function>,
    /// Exported functions the bridge does not support.
    #[serde(default)]
    pub skipped: Vec<Skipped>,
    /// Exported constants, sorted by name (docs/abi.md section 8.8).
    #[serde(default)]
    pub consts: Vec<ConstInfo>,
}

/// An exported constant and its exact value (docs/abi.md section 8.8).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConstInfo {
    /// The Go name.
    pub name: String,
    /// The Go type as written (`untyped int` for an untyped constant).
    pub go: String,
    /// How `value` is written: `bool`, `int`, `float`, `complex` or `string`.
    pub kind: String,
    /// The exact value, as text.
    pub value: String,
    /// The wire type of the constant's (default) type, "" when none.
    #[serde(default, rename = "type", skip_serializing_if = "String::is_empty")]
    pub wire: String,
    /// The key of the value type the constant is an instance of.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    /// GoDoc text.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub doc: String,
}

/// A supported function.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Function {
    /// The function id used in requests.
    pub id: u32,
    /// The schema name: `AddInt`, `Counter.Add`, `Counter.__new__`, `Keys[string,int64]`.
    pub name: String,
    /// What the entry calls.
    pub kind: FunctionKind,
    /// GoDoc text.
    #[serde(default)]
    pub doc: String,
    /// The Go signature, e.g. `func AddInt(a int, b int) int`.
    pub signature: String,
    /// Parameters.
    pub params: Vec<Param>,
    /// Results other than a trailing `error`.
    pub results: Vec<Param>,
    /// Whether the last Go result is an `error`.
    pub error: bool,
    /// For a method, the key of its receiver's type (the first parameter is the receiver).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receiver: Option<String>,
    /// For a package variable's getter, the variable's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub var: Option<String>,
    /// Whether the last parameter is variadic (it carries the variadic arguments as a list).
    #[serde(default)]
    pub variadic: bool,
    /// For an instantiation of a generic function.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generic: Option<GenericInfo>,
    /// The scalar index of an entry with a scalar form (docs/abi.md section 8.11).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scalar: Option<u64>,
}

/// What a schema function entry calls (docs/abi.md section 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FunctionKind {
    /// A top-level function.
    Function,
    /// A method: `receiver` names its type and the first parameter is the receiver.
    Method,
    /// A struct handle type's constructor `X.__new__`.
    Constructor,
    /// The getter of a package variable: `var` names it.
    Var,
    /// An instantiation of a generic function: `generic` describes it.
    Generic,
}

impl FunctionKind {
    /// The name the schema gives the kind.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Function => "function",
            Self::Method => "method",
            Self::Constructor => "constructor",
            Self::Var => "var",
            Self::Generic => "generic",
        }
    }
}

impl Function {
    /// Checks that the entry's kind agrees with the fields that go with it.
    fn check_kind(&self) -> std::result::Result<(), String> {
        let kind = self.kind;
        let has = |present: bool, field: &str, want: bool| {
            if present == want {
                Ok(())
            } else if want {
                Err(format!("a {} entry needs \"{field}\"", kind.as_str()))
            } else {
                Err(format!("a {} entry cannot have \"{field}\"", kind.as_str()))
            }
        };
        has(
            self.receiver.is_some(),
            "receiver",
            kind == FunctionKind::Method,
        )?;
        has(self.var.is_some(), "var", kind == FunctionKind::Var)?;
        has(
            self.generic.is_some(),
            "generic",
            kind == FunctionKind::Generic,
        )?;
        if kind == FunctionKind::Var && !self.params.is_empty() {
            return Err("a var entry takes no parameters".into());
        }
        Ok(())
    }
}

/// A parameter or result.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Param {
    /// The Go name (`argN` when blank).
    pub name: String,
    /// The Go type as written.
    pub go: String,
    /// The wire type (see [`WireType::parse`]).
    #[serde(rename = "type")]
    pub wire: String,
    /// The key of the value type (docs/abi.md section 8.8) the value is an instance of.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    /// Go reads this parameter in place (docs/abi.md section 8.12): a host pads the packed
    /// array it sends for it so that the elements are aligned in the request.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub in_place: bool,
}

impl Param {
    /// The parsed wire type.
    ///
    /// # Errors
    ///
    /// When the schema names a wire type this crate does not know (a newer bridge).
    pub fn wire_type(&self) -> Result<WireType, usegolib_abi::TypeError> {
        WireType::parse(&self.wire)
    }
}

/// An exported function the bridge skipped.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Skipped {
    /// The Go name.
    pub name: String,
    /// The Go signature.
    #[serde(default)]
    pub signature: String,
    /// Why it is not supported.
    pub reason: String,
}
