//! `GoFunction`: one callable Go function (or method), and `GoMethod`: one bound to a Go
//! object.

use std::cell::Cell;
use std::sync::Arc;
use std::time::Instant;

use pyo3::exceptions::{PyTimeoutError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyTuple};

use crate::fast::Vector;
use usegolib_abi::{write_array_len, write_bin};
use usegolib_loader::GoFunction;

use crate::args::ARGS_DEPTH;
use crate::convert::{apply_outs, decode_result, variadic_byte, Converter, Encoder};
use crate::ctx::ModuleCtx;
use crate::errors::{to_py, ObjectClosedError};
use crate::handle::PyGoObject;
use crate::module::PyGoModule;
use crate::signature::Signature;
use crate::views::GoParam;
use crate::watch::{timeout_ns, Made};

/// This thread's reusable request buffer, and whether it is still needed at its size
/// (`usegolib_loader::buffers`): one thread-local, so that a call reaches both with one lookup
/// (in a shared library each thread-local access is a call to `__tls_get_addr`).
struct Request {
    buf: Cell<Vec<u8>>,
    keeper: usegolib_loader::buffers::Keeper,
}

thread_local! {
    static REQUEST: Request = const {
        Request {
            buf: Cell::new(Vec::new()),
            keeper: usegolib_loader::buffers::Keeper::new(),
        }
    };
}

/// The capacity of the calling thread's request buffer (memory.rs).
pub(crate) fn request_buffer_capacity() -> usize {
    REQUEST.with(|r| {
        let buf = r.buf.take();
        let n = buf.capacity();
        r.buf.set(buf);
        n
    })
}

/// A Go function. Calling it converts the arguments in Rust straight to the wire, releases the
/// GIL for the Go call, and converts the reply straight back. As a class attribute of a Go
/// object's class it is a method: the object is its receiver.
#[pyclass(module = "usegolib._native", name = "GoFunction", frozen, dict)]
pub struct PyGoFunction {
    ctx: Arc<ModuleCtx>,
    /// Its converters and request header, made once per function of the module.
    sig: Arc<Signature>,
}

impl PyGoFunction {
    /// The function with this id (a valid one).
    pub fn new(ctx: Arc<ModuleCtx>, id: usize) -> Self {
        let sig = ctx.functions[id].clone();
        PyGoFunction { ctx, sig }
    }

    fn f(&self) -> &GoFunction {
        &self.ctx.module.functions()[self.sig.id]
    }

    /// This function with its results that are slices of fixed-width numbers made `form`
    /// objects (docs/abi.md section 8.10): "array" (`array.array`), "memoryview", or "list"
    /// (the function as it is).
    fn with_form(&self, form: &str) -> PyResult<PyGoFunction> {
        let ctx = self.ctx.clone();
        let Some(form) = crate::convert::numbuf::Form::parse(form)? else {
            let sig = ctx.functions[self.sig.id].clone();
            return Ok(PyGoFunction { ctx, sig });
        };
        let mut sig = Signature::new(&ctx.types, self.f());
        if !sig.pack_results(form) {
            return Err(PyTypeError::new_err(format!(
                "{}() has no result that is a slice of fixed-width numbers: with_result(\"{}\") \
                 changes nothing",
                self.short_name(),
                form.name()
            )));
        }
        Ok(PyGoFunction {
            ctx,
            sig: Arc::new(sig),
        })
    }

    fn short_name(&self) -> String {
        let f = self.f();
        let pkg = f.package.rsplit('/').next().unwrap_or(&f.package);
        format!("{pkg}.{}", f.schema.name)
    }

    fn arity_error(&self, got: usize) -> PyErr {
        let skip = usize::from(self.sig.has_receiver());
        let params: Vec<String> = self
            .sig
            .user_params()
            .iter()
            .map(|p| format!("{} {}", p.py_name, p.go_type))
            .collect();
        let n = params.len();
        let takes = if self.sig.variadic {
            format!(
                "at least {} argument{}",
                n - 1,
                if n == 2 { "" } else { "s" }
            )
        } else {
            format!("{n} argument{}", if n == 1 { "" } else { "s" })
        };
        let ctx = match self.sig.contexts.as_slice() {
            [] => String::new(),
            [i] => format!("; {} may be left out", self.sig.params[*i].py_name),
            _ => "; its contexts may be left out".into(),
        };
        PyTypeError::new_err(format!(
            "{}() takes {takes} ({}{ctx}), got {}",
            self.short_name(),
            params.join(", "),
            got.saturating_sub(skip)
        ))
    }

    /// Encodes the request from the call's arguments (a bound method's receiver first).
    /// Returns the contexts the bridge makes for the call, with its timeout (none for a
    /// function without a `context.Context` parameter).
    fn encode(&self, buf: &mut Vec<u8>, v: &Vector<'_, '_>) -> PyResult<Made> {
        let sig = &*self.sig;
        if !sig.contexts.is_empty() {
            return self.encode_with_context(buf, v);
        }
        let mut enc = Encoder::new(&self.ctx.module, &self.ctx.types);
        let n = sig.params.len();
        buf.clear();
        buf.extend_from_slice(&sig.header);
        let nkw = v.nkw();
        let npos = v.npos();
        let get = |i: usize| v.pos(i);
        if sig.variadic {
            // Fixed parameters, then every remaining positional argument into the last one.
            if nkw > 0 {
                return Err(PyTypeError::new_err(format!(
                    "{}() takes no keyword arguments (it is variadic)",
                    self.short_name()
                )));
            }
            if npos < n - 1 {
                return Err(self.arity_error(npos));
            }
            for i in 0..n - 1 {
                self.put(&mut enc, buf, i, &*get(i)?)?;
            }
            self.put_variadic(&mut enc, buf, (n - 1..npos).map(get))?;
            return Ok(Made::from_outs(enc.outs));
        }
        if npos + nkw != n || npos > n {
            return Err(self.arity_error(npos + nkw));
        }
        for i in 0..npos {
            self.put(&mut enc, buf, i, &*get(i)?)?;
        }
        if nkw > 0 {
            // One pass over the keywords, each borrowed as str and put in its parameter's slot
            // (no String, no second lookup by name).
            // Up to 8 keyword slots live on the stack: a keyword call allocates nothing.
            let mut inline = [None; 8];
            let mut heap = Vec::new();
            let slots: &mut [Option<_>] = if n - npos <= inline.len() {
                &mut inline[..n - npos]
            } else {
                heap.resize(n - npos, None);
                &mut heap
            };
            for j in 0..nkw {
                let (k, val) = v.kw(j)?;
                let k = k.cast::<PyString>()?;
                let k = k.to_str()?;
                match sig.params.iter().position(|p| p.py_name == k) {
                    Some(p) if p >= npos && slots[p - npos].is_none() => {
                        slots[p - npos] = Some(val)
                    }
                    Some(_) => return Err(self.multiple_values(k)),
                    None => return Err(self.unexpected_keyword(k)),
                }
            }
            for (i, slot) in (npos..n).zip(slots.iter()) {
                let Some(arg) = slot else {
                    return Err(self.missing(i));
                };
                self.put(&mut enc, buf, i, arg)?;
            }
        }
        Ok(Made::from_outs(enc.outs))
    }

    /// Writes the argument of parameter `i`.
    fn put(
        &self,
        enc: &mut Encoder<'_>,
        buf: &mut Vec<u8>,
        i: usize,
        arg: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let p = &self.sig.params[i];
        enc.align = p.in_place;
        let done = enc.arg(buf, ARGS_DEPTH, &p.conv, arg);
        enc.align = false;
        done.map_err(|e| {
            let at = format!(
                "{}() argument '{}' (Go {})",
                self.short_name(),
                p.py_name,
                p.go_type
            );
            e.into_pyerr(&at, &p.py_name)
        })
    }

    /// Writes the arguments of the variadic (last) parameter.
    fn put_variadic<'a, 'py: 'a>(
        &self,
        enc: &mut Encoder<'_>,
        buf: &mut Vec<u8>,
        items: impl ExactSizeIterator<Item = PyResult<Borrowed<'a, 'py, PyAny>>>,
    ) -> PyResult<()> {
        let sig = &*self.sig;
        let last = &sig.params[sig.params.len() - 1];
        let err_at = |j: usize| {
            format!(
                "{}() variadic argument {j} (Go {})",
                self.short_name(),
                last.go_type
            )
        };
        let name = &last.py_name;
        if let Converter::Bytes = &last.conv {
            // `...byte`: each argument one byte, all of them one bytes value.
            let mut bytes = Vec::with_capacity(items.len());
            for (j, item) in items.enumerate() {
                let b = variadic_byte(&*item?)
                    .map_err(|e| e.into_pyerr(&err_at(j), &format!("{name}[{j}]")))?;
                bytes.push(b);
            }
            write_bin(buf, &bytes);
            return Ok(());
        }
        let Converter::List(elem) = &last.conv else {
            return Err(PyTypeError::new_err(
                "a variadic parameter that is not a list",
            ));
        };
        write_array_len(buf, items.len());
        for (j, item) in items.enumerate() {
            // The elements are inside the variadic list, one level below the arguments.
            enc.arg(buf, ARGS_DEPTH + 1, elem, &*item?)
                .map_err(|e| e.into_pyerr(&err_at(j), &format!("{name}[{j}]")))?;
        }
        Ok(())
    }

    /// [`Self::encode`] for a function with `context.Context` parameters (docs/abi.md section
    /// 8.7). Each may be left out: positional arguments go to the parameters not given by
    /// keyword, in order, skipping the contexts when they are fewer than those parameters; in
    /// a variadic function a context is never positional (it is given by keyword or left
    /// out). A context left out
    /// or None is one the bridge makes; the keyword `sig.timeout_kw` gives it a deadline.
    fn encode_with_context<'a, 'py: 'a>(
        &self,
        buf: &mut Vec<u8>,
        v: &Vector<'a, 'py>,
    ) -> PyResult<Made> {
        let sig = &*self.sig;
        let n = sig.params.len();
        let fixed = n - usize::from(sig.variadic);
        let first = usize::from(sig.has_receiver());
        let npos = v.npos();
        let mut slots: Vec<Option<Borrowed<'a, 'py, PyAny>>> = vec![None; n];
        let mut timeout = None;
        let mut nkw = 0;
        for j in 0..v.nkw() {
            let (k, val) = v.kw(j)?;
            let k = k.cast::<PyString>()?;
            let k = k.to_str()?;
            if k == sig.timeout_kw {
                timeout = Some(val);
                continue;
            }
            let p = sig.params[..fixed]
                .iter()
                .position(|p| p.py_name == k)
                .filter(|&p| p >= first && (!sig.variadic || sig.is_context(p)));
            let Some(p) = p else {
                return Err(self.unexpected_keyword(k));
            };
            if slots[p].is_some() {
                return Err(self.multiple_values(k));
            }
            slots[p] = Some(val);
            nkw += 1;
        }
        // Positional arguments go, in order, to the parameters not given by keyword, skipping
        // the contexts when fewer are given than those parameters (always, for a variadic
        // function).
        let free = (0..fixed).filter(|&i| slots[i].is_none()).count();
        let skip = sig.variadic || npos < free;
        let order: Vec<usize> = (0..fixed)
            .filter(|&i| slots[i].is_none() && !(skip && sig.is_context(i)))
            .collect();
        if !sig.variadic && npos > order.len() {
            return Err(self.arity_error(npos + nkw));
        }
        for (i, &p) in order.iter().enumerate().take(npos) {
            slots[p] = Some(v.pos(i)?);
        }
        let mut enc = Encoder::new(&self.ctx.module, &self.ctx.types);
        if let Some(t) = timeout {
            enc.timeout_ns = timeout_ns(sig.timeout_kw, &t)?;
        }
        buf.clear();
        buf.extend_from_slice(&sig.header);
        let none = v.py().None().into_bound(v.py());
        for (i, slot) in slots.iter().enumerate().take(fixed) {
            match slot {
                Some(arg) => self.put(&mut enc, buf, i, arg)?,
                None if sig.is_context(i) => self.put(&mut enc, buf, i, &none)?,
                None => return Err(self.missing(i)),
            }
        }
        if sig.variadic {
            let rest = order.len().min(npos)..npos;
            self.put_variadic(&mut enc, buf, rest.map(|i| v.pos(i)))?;
        }
        if enc.timeout_ns != 0 && enc.contexts.is_empty() {
            return Err(PyTypeError::new_err(format!(
                "{}() got {}= with a Go object for its context: the timeout applies to a \
                 context the bridge makes (leave the context out or pass None)",
                self.short_name(),
                sig.timeout_kw
            )));
        }
        Ok(Made {
            timeout: (enc.timeout_ns != 0).then(|| std::time::Duration::from_nanos(enc.timeout_ns)),
            contexts: enc.contexts,
            outs: enc.outs,
        })
    }

    fn multiple_values(&self, k: &str) -> PyErr {
        PyTypeError::new_err(format!(
            "{}() got multiple values for argument '{k}'",
            self.short_name()
        ))
    }

    fn unexpected_keyword(&self, k: &str) -> PyErr {
        if self.sig.variadic {
            return PyTypeError::new_err(format!(
                "{}() got an unexpected keyword argument '{k}' (it is variadic: only its \
                 context and {} are keywords)",
                self.short_name(),
                self.sig.timeout_kw
            ));
        }
        PyTypeError::new_err(format!(
            "{}() got an unexpected keyword argument '{k}'",
            self.short_name()
        ))
    }

    fn missing(&self, i: usize) -> PyErr {
        let p = &self.sig.params[i];
        PyTypeError::new_err(format!(
            "{}() missing argument '{}' (Go {})",
            self.short_name(),
            p.py_name,
            p.go_type
        ))
    }

    /// A closed Go object in the argument(s) of parameter `index` (as encoded from `recv`,
    /// `args` and `kwargs`): every element, for the variadic parameter.
    fn closed_argument<'py>(
        &self,
        index: usize,
        v: &Vector<'_, 'py>,
    ) -> Option<Bound<'py, PyGoObject>> {
        let sig = &*self.sig;
        let p = sig.params.get(index)?;
        let npos = v.npos();
        if sig.variadic && index + 1 == sig.params.len() {
            let Converter::List(elem) = &p.conv else {
                return None;
            };
            return (index..npos)
                .find_map(|i| elem.closed_object(&*v.pos(i).ok()?, ARGS_DEPTH + 1));
        }
        let arg = if index < npos {
            v.pos(index).ok()?
        } else {
            v.kw_get(&p.py_name)?
        };
        p.conv.closed_object(&arg, ARGS_DEPTH)
    }

    /// The error of a failed call. A bad handle argument whose Go object was closed while the
    /// call was on its way (by another thread, or by Python code the conversion ran) is an
    /// ObjectClosedError, as it is when the object was closed before the call. The arguments
    /// are looked at again only then, so that a call pays nothing for this.
    fn call_error<'py>(
        &self,
        py: Python<'py>,
        e: usegolib_loader::Error,
        v: &Vector<'_, 'py>,
    ) -> PyErr {
        if let usegolib_loader::Error::BadArgument { index, .. } = &e {
            if let Some(h) = self.closed_argument(*index, v) {
                return ObjectClosedError::new_err(format!(
                    "{} was closed during the call to {}(): it cannot be used any more",
                    h.get().describe(),
                    self.short_name()
                ));
            }
        }
        crate::error_values::to_py_err(py, &self.ctx.module, e)
    }

    /// Calls the Go function in its scalar form (docs/abi.md section 8.11), when it has one,
    /// the call has exactly its positional arguments and each of them is a word the general
    /// form would send as that value; None otherwise (the general path then takes the call,
    /// and gives any error).
    #[inline]
    pub fn invoke_scalar<'py>(
        &self,
        py: Python<'py>,
        v: &Vector<'_, 'py>,
    ) -> Option<PyResult<Py<PyAny>>> {
        let sc = self.sig.scalar.as_ref()?;
        let n = sc.nparams();
        if v.nkw() != 0 || v.npos() != n || !crate::scalar::enabled() {
            return None;
        }
        if !sc.has_records() {
            return self.call_scalar_form(py, v, sc, &[]);
        }
        // The record arguments' field values, held until the call returns.
        let mut held: crate::scalar::Held<'py> = Default::default();
        if !sc.hold(&mut held, |i| v.pos(i).ok()) {
            return None;
        }
        self.call_scalar_form(py, v, sc, &held)
    }

    /// The exception of a scalar call that failed (Go's failure reply, or the loader's error),
    /// made under pyo3's attach (the fast entry of fast.rs runs without it), so that every
    /// reference dropped on the way is released now; `ran` false when Go refused the arguments.
    #[inline(never)]
    fn scalar_failure<'py>(
        &self,
        failed: Result<usegolib_loader::RawReply, usegolib_loader::Error>,
        v: &Vector<'_, 'py>,
        ran: &mut bool,
    ) -> PyResult<Py<PyAny>> {
        let module = &*self.ctx.module;
        let f = self.f();
        Python::attach(|py| {
            let reply = failed.map_err(|e| to_py(py, e))?;
            match module.reply_parts(f, &reply) {
                Ok((_, mut r, _)) => {
                    let e = module.error_from_reader(f, &mut r);
                    if refused(&e) {
                        *ran = false;
                    }
                    Err(self.call_error(py, e, v))
                }
                Err(e) => Err(to_py(py, e)),
            }
        })
    }

    /// [`PyGoFunction::invoke_scalar`] once the record arguments' fields are in `held`.
    #[inline(always)]
    fn call_scalar_form<'py>(
        &self,
        py: Python<'py>,
        v: &Vector<'_, 'py>,
        sc: &crate::scalar::ScalarSig,
        held: &[Option<Bound<'py, PyAny>>],
    ) -> Option<PyResult<Py<PyAny>>> {
        let n = sc.nparams();
        let module_arc = &self.ctx.module;
        let mut args = usegolib_loader::ScalarArgs::new();
        let mut pos = [None; usegolib_loader::MAX_SCALAR_WORDS];
        let mut k = 0;
        for (i, slot) in pos.iter_mut().enumerate().take(n) {
            let arg = v.pos(i).ok()?;
            if !sc.put(&mut args, i, arg, held, &mut k, module_arc) {
                return None;
            }
            *slot = Some(arg);
        }
        // Python callables Go calls during the call (passed in it, or stored ones), and their
        // exceptions.
        let scope = crate::host::CallScope::enter();
        sc.register(&mut args, &pos[..n], module_arc);
        let module = &**module_arc;
        let f = self.f();
        // A call passing a callable records this thread's state for its callbacks, and lends
        // it a callable it does not keep (fast.rs; docs/abi.md section 10.9).
        let sent = if sc.has_funcs() {
            crate::fast::detach_for_go(py, sc.lends(&pos[..n]), module_arc, &mut args, |args| {
                module.call_scalar(f, args)
            })
        } else {
            py.detach(|| module.call_scalar(f, &mut args))
        };
        let mut ran = true;
        let value = match sent {
            Ok(usegolib_loader::ScalarReply::Done(area)) => {
                sc.results(py, args.words(), area.bytes())
            }
            Ok(usegolib_loader::ScalarReply::Failed(reply)) => {
                self.scalar_failure(Ok(reply), v, &mut ran)
            }
            Err(e) => self.scalar_failure(Err(e), v, &mut ran),
        };
        // A Ctrl-C that arrived during the call takes effect now, as in the general form. The
        // result it replaces is dropped under pyo3's attach: the fast entry (fast.rs) runs
        // without its count, where a dropped `Py` would wait in pyo3's pool.
        let value = match py.check_signals() {
            Ok(()) => value,
            Err(e) => {
                if let Ok(v) = value {
                    Python::attach(|_| drop(v));
                }
                Err(e)
            }
        };
        Some(scope.finish(py, value, ran, true))
    }

    /// Calls the Go function with the arguments of `v`.
    pub fn invoke<'py>(&self, py: Python<'py>, v: &Vector<'_, 'py>) -> PyResult<Py<PyAny>> {
        if let Some(r) = self.invoke_scalar(py, v) {
            return r;
        }
        self.invoke_general(py, v)
    }

    /// [`PyGoFunction::invoke`] in the general form only: for a caller that already tried the
    /// scalar form (fast.rs), or whose call cannot take it (keywords): the scalar form is not
    /// tried a second time (a record argument's fields would be read once more).
    pub fn invoke_general<'py>(&self, py: Python<'py>, v: &Vector<'_, 'py>) -> PyResult<Py<PyAny>> {
        // Python callables passed in this call, and their exceptions (host.rs).
        let scope = crate::host::CallScope::enter();
        let mut buf = REQUEST.with(|r| r.buf.take());
        let encoded = self.encode(&mut buf, v);
        let sent = encoded.is_ok();
        let mut ran = sent;
        let result = encoded.and_then(|made| {
            let module_arc = &self.ctx.module;
            let module = &**module_arc;
            let f = self.f();
            // The clock is read only for a call with a timeout: a plain call pays nothing.
            let timed = made.timeout.map(|t| (Instant::now(), t));
            let (reply, raised) = if made.contexts.is_empty() {
                let req = &mut buf;
                (py.detach(|| module.send(f, req)), None)
            } else {
                crate::watch::send(py, module_arc, self.sig.id, &mut buf, &made.contexts)
            };
            let reply = reply.map_err(|e| to_py(py, e))?;
            let (ok, mut r, has_outs) = module.reply_parts(f, &reply).map_err(|e| to_py(py, e))?;
            let mut value = if ok {
                // The reply was validated within the limits of docs/abi.md section 6 (depth 64
                // among them), which bounds the recursion of the typed decoding.
                decode_result(py, &mut r, &self.sig.results, module_arc)
            } else {
                let e = module.error_from_reader(f, &mut r);
                if refused(&e) {
                    ran = false; // Go refused the arguments: it holds none of their callables
                }
                Err(self.call_error(py, e, v))
            };
            // Out-parameters (docs/abi.md section 8.6) follow the result or the Go error:
            // what Go left in them is seen in both cases, as in Go (also
            // when Ctrl-C or the timeout ends the call).
            if has_outs && (value.is_ok() || !ok) {
                if let Err(e) = apply_outs(py, &mut r, &made.outs, module_arc, &buf) {
                    value = Err(e);
                }
            }
            if let Some(signal) = raised {
                // Ctrl-C cancelled the call: its exception, caused by Go's error if any.
                if let Err(go) = value {
                    signal.set_cause(py, Some(go));
                }
                return Err(signal);
            }
            if let (Err(go), Some((start, t))) = (&value, timed) {
                if start.elapsed() >= t {
                    let e = PyTimeoutError::new_err(format!(
                        "{}() did not finish within its timeout of {} s: {}",
                        self.short_name(),
                        t.as_secs_f64(),
                        go.value(py)
                    ));
                    e.set_cause(py, Some(go.clone_ref(py)));
                    return Err(e);
                }
            }
            // A Ctrl-C that arrived during the call takes effect now that it returned: after
            // the reply is decoded, so that Go objects it returned are released when the
            // decoded value is dropped, not left in Go's handle table.
            py.check_signals()?;
            value
        });
        // Keep this thread's request buffer for the next call, unless it grew huge or has not
        // been needed at its size for a while (usegolib_loader::buffers).
        REQUEST.with(|r| {
            if r.keeper.keep(buf.capacity(), buf.len()) {
                r.buf.set(buf);
            }
        });
        scope.finish(py, result, ran, sent)
    }
}

#[pymethods]
impl PyGoFunction {
    #[pyo3(signature = (*args, **kwargs))]
    fn __call__(
        &self,
        py: Python<'_>,
        args: &Bound<'_, PyTuple>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Py<PyAny>> {
        crate::fast::call_with(py, self, None, args, kwargs)
    }

    /// The same Go function whose results that are slices of fixed-width numbers come back as
    /// `array.array` (`form="array"`) or a read-only `memoryview` (`form="memoryview"`), made
    /// from Go's packed bytes with no Python object per element (`np.frombuffer` takes either
    /// without a copy); `form="list"` is the function as it is. Keep the returned callable for
    /// every call that wants that form.
    #[pyo3(signature = (form))]
    fn with_result(&self, form: &str) -> PyResult<PyGoFunction> {
        self.with_form(form)
    }

    /// The form of its results that are slices of fixed-width numbers, as `with_result` takes
    /// it: "array", "memoryview" or "list" (by which it pickles and copies).
    #[getter]
    fn result_form(&self) -> &'static str {
        self.sig.result_form().map_or("list", |f| f.name())
    }

    /// As a class attribute: a method bound to the instance.
    fn __get__(
        slf: Py<Self>,
        py: Python<'_>,
        obj: Option<Py<PyAny>>,
        _owner: Option<Py<PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        Ok(match obj {
            Some(o) if !o.is_none(py) => {
                Py::new(py, PyBoundMethod { func: slf, recv: o })?.into_any()
            }
            _ => slf.into_any(),
        })
    }

    fn __repr__(&self) -> String {
        let f = self.f();
        let sig = f
            .schema
            .signature
            .strip_prefix("func ")
            .unwrap_or(&f.schema.signature);
        let pkg = f.package.rsplit('/').next().unwrap_or(&f.package);
        format!("<go func {pkg}.{sig}>")
    }

    /// The Go name.
    #[getter]
    fn __name__(&self) -> String {
        let f = self.f();
        f.schema
            .name
            .rsplit('.')
            .next()
            .unwrap_or(&f.schema.name)
            .to_owned()
    }

    /// `package.Name`.
    #[getter]
    fn __qualname__(&self) -> String {
        self.short_name()
    }

    /// The Go module (runtime) the function belongs to: with the package and the name, its
    /// identity, by which it pickles (python/usegolib/_pickle.py).
    #[getter]
    fn go_module(&self) -> PyGoModule {
        PyGoModule {
            ctx: self.ctx.clone(),
        }
    }

    /// Its scalar index when calls of it may take the scalar form (docs/abi.md section 8.11),
    /// else None: for tests and diagnostics.
    #[getter]
    fn _scalar_index(&self) -> Option<u64> {
        self.sig
            .scalar
            .as_ref()
            .and(self.ctx.module.scalar_index(self.f()))
    }

    /// The package import path.
    #[getter]
    fn go_package(&self) -> String {
        self.f().package.clone()
    }

    /// The schema name (`Name`, `Type.Method`, `Name[T1,T2]`).
    #[getter]
    fn go_name(&self) -> String {
        self.f().schema.name.clone()
    }

    /// The Go signature, e.g. `func AddInt(a int, b int) int`.
    #[getter]
    fn go_signature(&self) -> String {
        self.f().schema.signature.clone()
    }

    /// The GoDoc text.
    #[getter]
    fn go_doc(&self) -> String {
        self.f().schema.doc.clone()
    }

    /// What the entry calls: "function", "method", "constructor", "var" or "generic".
    #[getter]
    fn kind(&self) -> &'static str {
        self.sig.kind.as_str()
    }

    /// The name the package shows it under: the Python name ([`crate::naming`]) of the
    /// function, the method, the variable or the generic function.
    #[getter]
    fn py_name(&self) -> &str {
        &self.sig.py_name
    }

    /// The parameters (`GoParam`); for a method, without the receiver.
    #[getter]
    fn params(&self) -> Vec<GoParam> {
        let skip = usize::from(self.sig.has_receiver());
        let n = self.sig.params.len();
        (skip..n)
            .map(|i| GoParam::param(&self.sig, i, self.sig.variadic && i + 1 == n))
            .collect()
    }

    /// The results (`GoParam`), without a trailing error.
    #[getter]
    fn results(&self) -> Vec<GoParam> {
        (0..self.sig.results.len())
            .map(|i| GoParam::result(&self.sig, i))
            .collect()
    }

    /// The return annotation: None, the one result's annotation, or a tuple of them.
    #[getter]
    fn return_annotation<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let anns = self
            .sig
            .results
            .iter()
            .map(|p| p.conv.annotation(py))
            .collect::<PyResult<Vec<_>>>()?;
        match anns.as_slice() {
            [] => Ok(py.None().into_bound(py)),
            [one] => Ok(one.clone()),
            many => py.get_type::<PyTuple>().get_item(PyTuple::new(py, many)?),
        }
    }

    /// The return annotation as .pyi text.
    #[getter]
    fn return_stub(&self) -> String {
        let sig = &self.sig;
        let stubs: Vec<String> = sig
            .results
            .iter()
            .map(|p| p.conv.stub(&sig.package, false))
            .collect();
        match stubs.as_slice() {
            [] => "None".into(),
            [one] => one.clone(),
            many => format!("tuple[{}]", many.join(", ")),
        }
    }

    /// Whether the Go function returns a trailing error.
    #[getter]
    fn returns_error(&self) -> bool {
        self.f().schema.error
    }

    /// Whether the last parameter is variadic.
    #[getter]
    fn variadic(&self) -> bool {
        self.sig.variadic
    }

    /// The keyword of the call's timeout (`timeout`, or `call_timeout` when a Go parameter is
    /// named timeout), for a function with a `context.Context` parameter; else None.
    #[getter]
    fn timeout_keyword(&self) -> Option<&'static str> {
        (!self.sig.contexts.is_empty()).then_some(self.sig.timeout_kw)
    }

    /// The receiver type key, for a method.
    #[getter]
    fn receiver(&self) -> Option<String> {
        self.f().schema.receiver.clone()
    }

    /// The Go variable name, for a package variable's getter.
    #[getter]
    fn var(&self) -> Option<String> {
        self.f().schema.var.clone()
    }

    /// (name, type args), for an instantiation of a generic function.
    #[getter]
    fn generic(&self) -> Option<(String, Vec<String>)> {
        self.f()
            .schema
            .generic
            .as_ref()
            .map(|g| (g.name.clone(), g.type_args.clone()))
    }
}

// A Go method bound to a Go object. (No doc comment: its `__doc__` is the method's own.)
#[pyclass(module = "usegolib._native", name = "GoMethod", frozen)]
pub struct PyBoundMethod {
    func: Py<PyGoFunction>,
    recv: Py<PyAny>,
}

impl PyBoundMethod {
    /// `func` bound to `recv`, as a Python object.
    pub fn new_bound(
        py: Python<'_>,
        func: Py<PyGoFunction>,
        recv: Py<PyAny>,
    ) -> PyResult<Bound<'_, PyAny>> {
        Ok(Bound::new(py, PyBoundMethod { func, recv })?.into_any())
    }
}

#[pymethods]
impl PyBoundMethod {
    #[pyo3(signature = (*args, **kwargs))]
    fn __call__(
        &self,
        py: Python<'_>,
        args: &Bound<'_, PyTuple>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Py<PyAny>> {
        crate::fast::call_with(py, self.func.get(), Some(self.recv.bind(py)), args, kwargs)
    }

    /// [`PyGoFunction::with_result`], bound to the same receiver.
    #[pyo3(signature = (form))]
    fn with_result(&self, py: Python<'_>, form: &str) -> PyResult<PyBoundMethod> {
        let func = Py::new(py, self.func.get().with_form(form)?)?;
        Ok(PyBoundMethod {
            func,
            recv: self.recv.clone_ref(py),
        })
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let f = self.func.get();
        let r = self
            .recv
            .bind(py)
            .repr()
            .map(|r| r.to_string())
            .unwrap_or_default();
        format!("<go method {} of {r}>", f.f().schema.name)
    }

    #[getter]
    fn __doc__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.func.bind(py).getattr("__doc__").map(Bound::unbind)
    }

    #[getter]
    fn __func__(&self, py: Python<'_>) -> Py<PyGoFunction> {
        self.func.clone_ref(py)
    }

    /// The method's signature without `self` (`inspect.signature`, IDE and Jupyter pop-ups),
    /// made by the Python layer that makes the method's own (`usegolib._stubs`).
    #[getter]
    fn __signature__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        py.import("usegolib._stubs")?
            .getattr("bound_signature")?
            .call1((self.func.clone_ref(py),))
            .map(Bound::unbind)
    }

    #[getter]
    fn __self__(&self, py: Python<'_>) -> Py<PyAny> {
        self.recv.clone_ref(py)
    }
}

/// Whether Go refused a call's arguments (it ran nothing, and holds none of their callables).
fn refused(e: &usegolib_loader::Error) -> bool {
    matches!(
        e,
        usegolib_loader::Error::BadArgument { .. } | usegolib_loader::Error::Arity { .. }
    )
}
