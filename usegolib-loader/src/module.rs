//! A loaded Go module: its schema, its functions, and calls.

use std::cell::Cell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use usegolib_abi::{
    encode_typed_in, read_error_body, reply_body, write_request_header, ErrorKind, ErrorReply,
    Limits, RecordType, Target, Value, WireType,
};

#[cfg(feature = "bench")]
use crate::ffi::FloorI64;
use crate::ffi::{GoLibrary, OpenError, RawReply};
use crate::manifest::{Function, Manifest, Package, Schema};
use crate::{artifact, Error, Result};

thread_local! {
    /// This thread's reusable request buffer for [`GoModule::call_function`].
    static REQUEST: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
    /// Whether that buffer is still needed at its size (`crate::buffers`).
    static REQUEST_KEEPER: crate::buffers::Keeper = const { crate::buffers::Keeper::new() };
}

/// A supported function, ready to call.
#[derive(Debug, Clone)]
pub struct GoFunction {
    /// `"<import path>.<Name>"`.
    pub qualified: String,
    /// The package's import path.
    pub package: String,
    /// The schema entry.
    pub schema: Function,
    /// Parsed parameter wire types.
    pub params: Vec<WireType>,
    /// Parsed result wire types (without a trailing `error`).
    pub results: Vec<WireType>,
    /// The word layout of its scalar form (docs/abi.md sections 8.11 and 8.13), when the
    /// schema gives it one and the layout can be derived from its types.
    pub scalar: Option<crate::ScalarLayout>,
}

impl GoFunction {
    /// The function id used in requests.
    pub fn id(&self) -> u32 {
        self.schema.id
    }
}

/// A Go module loaded into this process: one Go runtime. Obtained from [`crate::load_artifact`]
/// or [`crate::load`]; lives until the process exits.
pub struct GoModule {
    manifest: Manifest,
    schema: Schema,
    dir: PathBuf,
    lib: GoLibrary,
    functions: Vec<GoFunction>,
    by_name: HashMap<String, u32>,
    skipped: HashMap<String, String>,
    records: HashMap<String, RecordType>,
    limits: Limits,
}

impl std::fmt::Debug for GoModule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "GoModule({} {}, {}/{}, {})",
            self.manifest.module,
            self.manifest.version,
            self.manifest.goos,
            self.manifest.goarch,
            self.manifest.go_version
        )
    }
}

impl GoModule {
    /// Opens the artifact in `dir`: every check of docs/abi.md section 9 before `dlopen`, the ABI
    /// version of the library before anything else, then the schema exchange.
    pub(crate) fn open(dir: &Path) -> Result<GoModule> {
        let manifest = artifact::read_manifest(dir)?;
        let lib_path = dir.join(&manifest.library.file);
        let lib = GoLibrary::open(
            &lib_path,
            &manifest.library.sha256,
            usegolib_abi::ABI_VERSION,
            &manifest.module,
        )
        .map_err(|e| match e {
            OpenError::Io(source) if source.kind() == std::io::ErrorKind::NotFound => {
                Error::LibraryMissing {
                    path: lib_path.clone(),
                }
            }
            OpenError::Io(source) => Error::Io {
                path: lib_path.clone(),
                source,
            },
            OpenError::Tampered { actual } => Error::Tampered {
                path: lib_path.clone(),
                expected: manifest.library.sha256.clone(),
                actual,
            },
            OpenError::Dlopen { reason } => Error::Load {
                path: lib_path.clone(),
                reason,
            },
            OpenError::MissingSymbol { symbol, .. } => Error::MissingSymbol {
                path: lib_path.clone(),
                symbol,
            },
            OpenError::Abi { found } => Error::AbiMismatch {
                path: lib_path.clone(),
                found,
                expected: usegolib_abi::ABI_VERSION,
            },
        })?;
        let embedded: serde_json::Value =
            serde_json::from_slice(lib.schema()).map_err(|_| Error::SchemaMismatch {
                path: lib_path.clone(),
            })?;
        if embedded != manifest.schema {
            return Err(Error::SchemaMismatch { path: lib_path });
        }
        let index = crate::manifest::index_schema(&manifest, &dir.join("manifest.json"))?;
        Ok(GoModule {
            manifest,
            schema: index.schema,
            dir: dir.to_path_buf(),
            lib,
            functions: index.functions,
            by_name: index.by_name,
            skipped: index.skipped,
            records: index.records,
            limits: Limits::ABI,
        })
    }

    /// The Go module path.
    pub fn module(&self) -> &str {
        &self.manifest.module
    }

    /// The module version (`local` for a local directory).
    pub fn version(&self) -> &str {
        &self.manifest.version
    }

    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The artifact directory it was loaded from.
    pub fn artifact_dir(&self) -> &Path {
        &self.dir
    }

    /// The packages, with their functions and skipped symbols.
    pub fn packages(&self) -> &[Package] {
        &self.schema.packages
    }

    /// The schema.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// Every supported function, indexed by id.
    pub fn functions(&self) -> &[GoFunction] {
        &self.functions
    }

    /// The package with this import path.
    pub fn package(&self, path: &str) -> Option<&Package> {
        self.schema.packages.iter().find(|p| p.path == path)
    }

    /// Looks a function up by package path and name.
    ///
    /// # Errors
    ///
    /// [`Error::Skipped`] with the recorded reason for an unsupported function, or
    /// [`Error::UnknownSymbol`] with close names.
    pub fn function(&self, package: &str, name: &str) -> Result<&GoFunction> {
        let qualified = format!("{package}.{name}");
        if let Some(id) = self.by_name.get(&qualified) {
            return Ok(&self.functions[*id as usize]);
        }
        if let Some(reason) = self.skipped.get(&qualified) {
            return Err(Error::Skipped {
                function: qualified,
                reason: reason.clone(),
            });
        }
        let Some(pkg) = self.package(package) else {
            let names = self.schema.packages.iter().map(|p| p.path.as_str());
            return Err(Error::UnknownSymbol {
                what: format!("module {} has no package {package}", self.module()),
                suggestions: crate::suggest(package, names),
            });
        };
        let names = pkg.functions.iter().map(|f| f.name.as_str());
        Err(Error::UnknownSymbol {
            what: format!("package {package} has no function {name}"),
            suggestions: crate::suggest(
                name,
                names.chain(pkg.skipped.iter().map(|s| s.name.as_str())),
            ),
        })
    }

    /// Calls `package.name` with `args`.
    ///
    /// # Errors
    ///
    /// See [`GoModule::call_function`] and [`GoModule::function`].
    pub fn call(&self, package: &str, name: &str, args: &[Value]) -> Result<Value> {
        let f = self.function(package, name)?;
        self.call_function(f, args)
    }

    /// Calls a function. Each argument is checked against its Go parameter type before anything
    /// is sent; the result is nil (no results), the value (one), or a list (several).
    ///
    /// # Errors
    ///
    /// [`Error::Arity`] and [`Error::BadArgument`] before the call; [`Error::Go`] for a returned
    /// Go error; [`Error::Panic`] for a Go panic; [`Error::Bridge`], [`Error::Reply`] or
    /// [`Error::NoReply`] for protocol failures.
    pub fn call_function(&self, f: &GoFunction, args: &[Value]) -> Result<Value> {
        if args.len() != f.params.len() {
            return Err(Error::Arity {
                function: f.qualified.clone(),
                expected: f.params.len(),
                got: args.len(),
            });
        }
        // This thread's request buffer, reused (docs/adr/0027): taken out for the call, so that
        // a nested call (from a host callable) gets its own.
        let mut req = REQUEST.with(Cell::take);
        req.clear();
        let sent = self.encode_and_call(f, args, &mut req);
        if REQUEST_KEEPER.with(|k| k.keep(req.capacity(), req.len())) {
            REQUEST.with(|c| c.set(req));
        }
        sent
    }

    fn encode_and_call(&self, f: &GoFunction, args: &[Value], req: &mut Vec<u8>) -> Result<Value> {
        write_request_header(req, &Target::Id(f.id()), args.len());
        for (i, (ty, v)) in f.params.iter().zip(args).enumerate() {
            encode_typed_in(req, ty, v, &self.records).map_err(|e| {
                let p = &f.schema.params[i];
                Error::BadArgument {
                    function: f.qualified.clone(),
                    index: i,
                    param: p.name.clone(),
                    go_type: p.go.clone(),
                    reason: e.to_string(),
                }
            })?;
        }
        self.call_raw(f, req, |ok, reader| {
            if ok {
                reader.read_value().map_err(|source| Error::Reply {
                    function: f.qualified.clone(),
                    source,
                })
            } else {
                let mut e = self.error_from_reader(f, reader);
                if let Error::Go { chain, .. } = &mut e {
                    // Nothing here holds the chain's Go values: release them now.
                    for n in chain.drain(..) {
                        let _ = self.release(n.handle);
                    }
                }
                Err(e)
            }
        })?
    }

    /// Turns error values on (op 5 with target 0, docs/abi.md section 4.1): from now on the
    /// library's go_error replies and error values carry their chains, with a handle per
    /// error that the caller must release. Idempotent.
    ///
    /// # Errors
    ///
    /// A protocol error, or [`Error::Forked`].
    pub fn enable_error_values(&self) -> Result<()> {
        let what = || "op 5 (error values on)".to_owned();
        match self.op(usegolib_abi::OP_ERROR_VALUE, 0, &[], what)? {
            Ok(_) => Ok(()),
            Err(e) => Err(e.into_bridge()),
        }
    }

    /// `errors.Is(err, target)` in Go (op 4), both errors named by their handles.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownHandle`] for a released handle; a protocol error otherwise (a handle
    /// that is not an error is a `bad_argument`).
    pub fn error_is(&self, err: u64, target: u64) -> Result<bool> {
        let what = || format!("errors.Is of handles {err} and {target}");
        match self.op(usegolib_abi::OP_ERROR_IS, err, &[target], what)? {
            Ok(Value::Bool(b)) => Ok(b),
            Ok(v) => Err(Error::Bridge {
                function: what(),
                kind: ErrorKind::Malformed,
                message: format!("op 4 answered {v:?}, not a bool"),
            }),
            Err(e) => Err(e.into_handle_error()),
        }
    }

    /// The chain of the error `err` (op 4 with no argument): the error itself (with `err` as
    /// its handle), then the errors its `Unwrap` methods reach, depth first as `errors.Is`
    /// walks them, each but the first with a new handle the caller must release.
    ///
    /// # Errors
    ///
    /// As [`GoModule::error_is`].
    pub fn error_chain(&self, err: u64) -> Result<Vec<crate::error::ErrorNode>> {
        let what = || format!("the chain of error handle {err}");
        match self.op(usegolib_abi::OP_ERROR_IS, err, &[], what)? {
            Ok(v) => match crate::error::ErrorNode::parse_chain(&v) {
                Some(chain) if chain.first().map(|n| n.handle) == Some(err) => Ok(chain),
                _ => Err(Error::Bridge {
                    function: what(),
                    kind: ErrorKind::Malformed,
                    message: format!("op 4 answered {v:?}, not the error's chain"),
                }),
            },
            Err(e) => Err(e.into_handle_error()),
        }
    }

    /// The concrete value of the error `err` (op 5) as a new handle: the value itself when it
    /// is a pointer, else a pointer to a copy, as its type's methods take it.
    ///
    /// # Errors
    ///
    /// As [`GoModule::error_is`].
    pub fn error_value(&self, err: u64) -> Result<u64> {
        let what = || format!("the value of error handle {err}");
        match self.op(usegolib_abi::OP_ERROR_VALUE, err, &[], what)? {
            Ok(Value::Handle(id)) => Ok(id),
            Ok(v) => Err(Error::Bridge {
                function: what(),
                kind: ErrorKind::Malformed,
                message: format!("op 5 answered {v:?}, not a handle"),
            }),
            Err(e) => Err(e.into_handle_error()),
        }
    }

    /// Sends an already encoded request for `f` and hands the validated reply to `convert`:
    /// `true` and a reader at the result for a success, `false` and a reader at the error map
    /// otherwise (turn it into an [`Error`] with [`GoModule::error_from_reader`]).
    ///
    /// # Errors
    ///
    /// [`Error::Reply`] when the reply is not well formed, [`Error::NoReply`] when there is none.
    pub fn call_raw<R>(
        &self,
        f: &GoFunction,
        req: &mut [u8],
        convert: impl FnOnce(bool, &mut usegolib_abi::Reader<'_>) -> R,
    ) -> Result<R> {
        let reply = self.send(f, req)?;
        let (ok, mut reader) = self.reply_body(f, &reply)?;
        Ok(convert(ok, &mut reader))
    }

    /// Sends an already encoded request for `f` and returns the raw reply. This is the path for
    /// bindings: send without holding their own locks (e.g. with Python's GIL released), then
    /// read the reply with [`GoModule::reply_body`] straight into their own objects.
    ///
    /// # Errors
    ///
    /// [`Error::NoReply`] when the bridge could not produce a reply.
    #[inline]
    pub fn send(&self, f: &GoFunction, req: &mut [u8]) -> Result<RawReply> {
        if self.lib.forked_since_load() {
            return Err(Error::Forked {
                module: self.module().to_owned(),
            });
        }
        self.lib.call(req).ok_or_else(|| Error::NoReply {
            function: f.qualified.clone(),
        })
    }

    /// The scalar index of `f` when it has a scalar form (docs/abi.md section 8.11) and the
    /// library exports `usegolib_call_scalar`; `None` sends it in the general form only.
    #[inline]
    pub fn scalar_index(&self, f: &GoFunction) -> Option<u64> {
        self.scalar_layout(f).map(|l| l.index)
    }

    /// The word layout of `f`'s scalar form (docs/abi.md sections 8.11 and 8.13) when it has
    /// one and the library exports `usegolib_call_scalar`; `None` sends it in the general form
    /// only.
    #[inline]
    pub fn scalar_layout<'a>(&self, f: &'a GoFunction) -> Option<&'a crate::ScalarLayout> {
        f.scalar.as_ref().filter(|_| self.lib.has_scalar())
    }

    /// Calls `f` in its scalar form (docs/abi.md sections 8.11 and 8.13) with the argument
    /// words of `args`, laid out as [`GoModule::scalar_layout`] says: a signed int as its `i64`
    /// bits, an unsigned one as `u64`, a float as `f64` bits, a bool 0 or 1, a method's
    /// receiver handle id first, a func parameter as a host-object id (section 8.11.1: a host
    /// that has no host objects sends such a function in the general form) or, for one the
    /// schema marks `in_place`, a lent callable's word (section 10.9), a string with
    /// [`crate::ScalarArgs::push_str`], a record as its fields in schema order.
    /// [`crate::ScalarReply::Done`]: the results are written over the words, in order, and the
    /// reply is the result area holding the string results' bytes
    /// ([`crate::scalar_result_str`]; empty for a function without one).
    /// [`crate::ScalarReply::Failed`]: the reply is the failure reply the general form gives for
    /// the same call, read with [`GoModule::reply_parts`] and [`GoModule::error_from_reader`].
    /// The words are not checked here against the Go types: the bridge refuses one that does
    /// not fit, with the general form's error.
    ///
    /// # Errors
    ///
    /// [`Error::NoReply`] when the bridge produced no reply or `f` has no scalar form here,
    /// [`Error::Forked`] in a forked child, a [`ErrorKind::Malformed`] [`Error::Bridge`] when
    /// `args` has string pairs where the layout has none, or none where it has one.
    #[inline]
    pub fn call_scalar(
        &self,
        f: &GoFunction,
        args: &mut crate::ScalarArgs<'_>,
    ) -> Result<crate::ScalarReply> {
        if self.lib.forked_since_load() {
            return Err(Error::Forked {
                module: self.module().to_owned(),
            });
        }
        let no_reply = || Error::NoReply {
            function: f.qualified.clone(),
        };
        let layout = self.scalar_layout(f).ok_or_else(no_reply)?;
        if !layout.fits(args) {
            return Err(Error::Bridge {
                function: f.qualified.clone(),
                kind: ErrorKind::Malformed,
                message: layout.misfit(args),
            });
        }
        match self.lib.call_scalar(layout, args) {
            Some(Ok(area)) => Ok(crate::ScalarReply::Done(area)),
            Some(Err(reply)) => Ok(crate::ScalarReply::Failed(reply)),
            None => Err(no_reply()),
        }
    }

    /// Validates a reply and returns whether it is a success, with a reader at its body.
    ///
    /// # Errors
    ///
    /// [`Error::Reply`] when the reply is not well formed.
    #[inline]
    pub fn reply_body<'a>(
        &self,
        f: &GoFunction,
        reply: &'a RawReply,
    ) -> Result<(bool, usegolib_abi::Reader<'a>)> {
        reply_body(reply.bytes(), &self.limits).map_err(|source| Error::Reply {
            function: f.qualified.clone(),
            source,
        })
    }

    /// [`GoModule::reply_body`] for a call that may have out-parameters (docs/abi.md section
    /// 8.6): the third result says whether an outs array follows the body.
    ///
    /// # Errors
    ///
    /// [`Error::Reply`] when the bytes are not a reply within the limits.
    pub fn reply_parts<'a>(
        &self,
        f: &GoFunction,
        reply: &'a RawReply,
    ) -> Result<(bool, usegolib_abi::Reader<'a>, bool)> {
        usegolib_abi::reply_parts(reply.bytes(), &self.limits).map_err(|source| Error::Reply {
            function: f.qualified.clone(),
            source,
        })
    }

    /// Reads the error map of a failed reply and maps it to an [`Error`].
    pub fn error_from_reader(
        &self,
        f: &GoFunction,
        reader: &mut usegolib_abi::Reader<'_>,
    ) -> Error {
        match read_error_body(reader) {
            Ok(e) => error_from_reply(f, e),
            Err(source) => Error::Reply {
                function: f.qualified.clone(),
                source,
            },
        }
    }

    /// Record types by key, for [`usegolib_abi::encode_typed_in`].
    pub fn records(&self) -> &HashMap<String, RecordType> {
        &self.records
    }

    /// Releases a handle (docs/abi.md section 8.3): the Go value becomes collectable. Releasing
    /// an unknown or released id is an error, never a crash.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownHandle`], or a protocol error.
    pub fn release(&self, id: u64) -> Result<()> {
        match self.op(usegolib_abi::OP_RELEASE, id, &[], || {
            format!("release of handle {id}")
        })? {
            Err(e) if e.kind == ErrorKind::UnknownHandle => Err(Error::UnknownHandle {
                id,
                message: e.message,
            }),
            Err(e) => Err(e.into_bridge()),
            Ok(_) => Ok(()),
        }
    }

    /// Cancels the context the bridge made for a running call (op 3, docs/abi.md section 8.7),
    /// named by the token the request gave it. Returns whether a call was running with it
    /// (false once the call returned, or before it has read its arguments). Safe from any
    /// thread while the call runs.
    ///
    /// # Errors
    ///
    /// A protocol error, or [`Error::Forked`].
    pub fn cancel(&self, token: u64) -> Result<bool> {
        let what = || format!("cancel of context {token}");
        match self.op(usegolib_abi::OP_CANCEL, token, &[], what)? {
            Ok(Value::Bool(b)) => Ok(b),
            Ok(v) => Err(Error::Bridge {
                function: what(),
                kind: ErrorKind::Malformed,
                message: format!("op 3 answered {v:?}, not a bool"),
            }),
            Err(e) => Err(e.into_bridge()),
        }
    }

    /// Sends op `op` (not a call) with this target and these handles as arguments: the value
    /// of a success reply, or the error reply with `what` names the request, for the caller to
    /// map.
    fn op(
        &self,
        op: u32,
        target: u64,
        handles: &[u64],
        what: impl Fn() -> String,
    ) -> Result<std::result::Result<Value, OpError>> {
        if self.lib.forked_since_load() {
            return Err(Error::Forked {
                module: self.module().to_owned(),
            });
        }
        let mut req = Vec::with_capacity(16);
        req.push(0x94);
        usegolib_abi::write_uint(&mut req, usegolib_abi::ABI_VERSION as u64);
        usegolib_abi::write_uint(&mut req, op as u64);
        usegolib_abi::write_uint(&mut req, target);
        usegolib_abi::write_array_len(&mut req, handles.len());
        for &h in handles {
            usegolib_abi::write_handle(&mut req, h);
        }
        let reply = self
            .lib
            .call(&mut req)
            .ok_or_else(|| Error::NoReply { function: what() })?;
        match usegolib_abi::decode_reply(reply.bytes(), &self.limits) {
            Ok(usegolib_abi::Reply::Ok(v)) => Ok(Ok(v)),
            Ok(usegolib_abi::Reply::Err(e)) => Ok(Err(OpError {
                function: what(),
                id: e.detail_u64("id"),
                kind: e.kind,
                message: e.message,
            })),
            Err(source) => Err(Error::Reply {
                function: what(),
                source,
            }),
        }
    }

    /// The benchmark floor: a direct `usegolib_floor_*` export of the library, if it has one
    /// (feature `bench`).
    #[cfg(feature = "bench")]
    pub fn floor_i64_binop(&self, symbol: &str) -> Option<FloorI64> {
        self.lib.floor_i64_binop(symbol)
    }
}

/// The error reply to an op other than a call ([`GoModule::op`]).
struct OpError {
    function: String,
    kind: ErrorKind,
    /// The detail `id` of an `unknown_handle` reply (0 for other kinds).
    id: u64,
    message: String,
}

impl OpError {
    /// An `unknown_handle` reply as [`Error::UnknownHandle`], anything else as
    /// [`Error::Bridge`].
    fn into_handle_error(self) -> Error {
        if self.kind == ErrorKind::UnknownHandle {
            return Error::UnknownHandle {
                id: self.id,
                message: self.message,
            };
        }
        self.into_bridge()
    }

    fn into_bridge(self) -> Error {
        Error::Bridge {
            function: self.function,
            kind: self.kind,
            message: self.message,
        }
    }
}

/// Maps an error reply to an [`Error`].
pub fn error_from_reply(f: &GoFunction, e: ErrorReply) -> Error {
    let function = f.qualified.clone();
    match e.kind {
        ErrorKind::GoError => {
            let go_type = e.detail_str("type");
            // Error values on: the error's own handle and type key; the rest of its chain
            // waits for GoModule::error_chain (docs/abi.md section 4.1).
            let chain = match e.detail("handle") {
                Some(Value::Handle(handle)) => vec![crate::error::ErrorNode {
                    message: e.message.clone(),
                    go_type: go_type.clone(),
                    key: e.detail_str("key"),
                    handle: *handle,
                    parent: None,
                }],
                _ => Vec::new(),
            };
            Error::Go {
                function,
                go_type,
                chain,
                message: e.message,
            }
        }
        ErrorKind::GoPanic => Error::Panic {
            function,
            value: e.detail_str("value"),
            go_type: e.detail_str("type"),
            stack: e.detail_str("stack"),
        },
        ErrorKind::BadArgument => Error::BadArgument {
            function,
            index: e.detail_u64("index") as usize,
            param: e.detail_str("param"),
            go_type: e.detail_str("go_type"),
            reason: e.detail_str("reason"),
        },
        ErrorKind::Arity => Error::Arity {
            function,
            expected: e.detail_u64("expected") as usize,
            got: e.detail_u64("got") as usize,
        },
        ErrorKind::SkippedSymbol => Error::Skipped {
            function,
            reason: e.detail_str("reason"),
        },
        ErrorKind::BadResult => Error::BadResult {
            function,
            index: e.detail_u64("index") as usize,
            reason: e.detail_str("reason"),
            message: e.message,
        },
        ErrorKind::UnknownHandle => Error::UnknownHandle {
            id: e.detail_u64("id"),
            message: e.message,
        },
        kind @ (ErrorKind::UnknownSymbol
        | ErrorKind::AbiVersion
        | ErrorKind::UnsupportedOp
        | ErrorKind::Malformed
        | ErrorKind::LimitExceeded
        // Host replies (docs/abi.md section 10): a bridge never sends them.
        | ErrorKind::PythonException
        | ErrorKind::UnknownHostObject
        | ErrorKind::HostUnavailable
        | ErrorKind::Other(_)) => Error::Bridge {
            function,
            kind,
            message: e.message,
        },
    }
}
