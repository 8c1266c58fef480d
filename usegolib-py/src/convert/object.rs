//! `&K`: a Go object (a handle to a Go value, docs/abi.md section 8.3): a `GoObject` of this
//! module in, None for nil; a `GoObject` of the type's registered class out.

use std::sync::{Arc, OnceLock};

use pyo3::prelude::*;
use usegolib_abi::{write_handle, write_nil, Reader, Token};
use usegolib_loader::GoModule;

use super::{bad_reply, malformed, Callback, Implement};
use crate::args::{type_name, ArgError};
use crate::handle::PyGoObject;

/// A Go object type, prepared once per module.
pub struct ObjectInfo {
    /// `<import path>.<Name>`.
    pub key: Arc<str>,
    /// The Go type name.
    pub name: String,
    /// The package's import path.
    pub package: String,
    /// The class the Python package made for it.
    class: OnceLock<Py<PyAny>>,
    /// A func type's signature as Go calls a Python callable (docs/abi.md section 10).
    callback: OnceLock<Arc<Callback>>,
    /// An interface's methods as a Python object implements them (docs/abi.md section 10.7).
    implement: OnceLock<Implement>,
}

impl ObjectInfo {
    pub fn new(key: &str, name: &str, package: &str) -> ObjectInfo {
        ObjectInfo {
            key: key.into(),
            name: name.to_owned(),
            package: package.to_owned(),
            class: OnceLock::new(),
            callback: OnceLock::new(),
            implement: OnceLock::new(),
        }
    }

    /// Sets an interface's implementation info (once, when the module's types are prepared).
    pub fn set_implement(&self, im: Implement) {
        let _ = self.implement.set(im);
    }

    /// Sets a func type's callback signature (once, when the module's types are prepared).
    pub fn set_callback(&self, cb: Callback) {
        let _ = self.callback.set(Arc::new(cb));
    }

    /// A func type's callback signature.
    pub fn callback(&self) -> Option<&Arc<Callback>> {
        self.callback.get()
    }

    /// Registers the Python class made for this type (the first registration stays).
    pub fn set_class(&self, cls: Py<PyAny>) {
        let _ = self.class.set(cls);
    }

    /// The registered class, if any.
    pub fn class(&self) -> Option<&Py<PyAny>> {
        self.class.get()
    }

    fn short_key(&self) -> String {
        crate::handle::short_key(&self.key)
    }
}

pub(super) fn encode(
    module: &Arc<GoModule>,
    out: &mut Vec<u8>,
    info: &ObjectInfo,
    obj: &Bound<'_, PyAny>,
) -> Result<(), ArgError> {
    if obj.is_none() {
        write_nil(out);
        return Ok(());
    }
    let Ok(h) = obj.cast::<PyGoObject>() else {
        if let Some(cb) = info.callback() {
            return callable(module, out, info, cb, obj);
        }
        if let Some(im) = info.implement.get() {
            return implementation(module, out, info, im, obj);
        }
        return Err(ArgError::Type(format!(
            "expected a Go object ({}), got {}",
            info.short_key(),
            type_name(obj)
        )));
    };
    let id = h.get().id_for(module)?;
    write_handle(out, id);
    Ok(())
}

/// A Python callable for a func type: registered in the host-object table, written as ext 2.
#[inline(never)]
fn callable(
    module: &Arc<GoModule>,
    out: &mut Vec<u8>,
    info: &ObjectInfo,
    cb: &Arc<Callback>,
    obj: &Bound<'_, PyAny>,
) -> Result<(), ArgError> {
    if !obj.is_callable() {
        return Err(ArgError::Type(format!(
            "expected a callable or a Go func object ({}), got {}",
            info.short_key(),
            type_name(obj)
        )));
    }
    if let Err(reason) = &cb.sig {
        return Err(ArgError::Type(format!(
            "a Python callable cannot be a {}: {reason}",
            info.short_key()
        )));
    }
    let id = crate::host::register(obj, cb, module);
    write_host_object(out, id);
    Ok(())
}

/// A Python object for an interface: each method of the interface (by its Go name, else its
/// snake_case) a callback, all in one host object; a missing method is a TypeError naming the
/// interface and the method, before anything reaches Go.
#[inline(never)]
fn implementation(
    module: &Arc<GoModule>,
    out: &mut Vec<u8>,
    info: &ObjectInfo,
    im: &Implement,
    obj: &Bound<'_, PyAny>,
) -> Result<(), ArgError> {
    let methods = match &im.methods {
        Ok(ms) => ms,
        Err(reason) => {
            return Err(ArgError::Type(format!(
                "expected a Go object ({}), got {} (a Python object cannot implement {}: {reason})",
                info.short_key(),
                type_name(obj),
                info.short_key()
            )))
        }
    };
    let mut found = Vec::with_capacity(methods.len());
    for (go, py, cb) in methods {
        let names = [go.as_str(), py.as_str()];
        let Some(name) = names.into_iter().find(|n| obj.hasattr(*n).unwrap_or(false)) else {
            // io.StringWriter's WriteString and io.ByteWriter's WriteByte: a stream's write.
            if let Some(m) = super::stream::write_alias(obj, go, cb)? {
                found.push(m);
                continue;
            }
            return Err(ArgError::Type(format!(
                "expected a Go object or a Python object implementing {}, got {}: missing \
                 method {go} (or {py})",
                info.short_key(),
                type_name(obj)
            )));
        };
        if let Some(m) = super::stream::stream_method(obj, go, name, cb)? {
            found.push(m);
            continue;
        }
        found.push((obj.getattr(name)?.unbind(), cb.clone()));
    }
    write_host_object(out, crate::host::register_methods(found, module));
    Ok(())
}

/// Writes host object `id`: ext type 2, 8 big-endian bytes (docs/abi.md section 10), or ext
/// type 5 when `id` carries [`crate::host::AGAIN`] (an id passed again).
pub(super) fn write_host_object(out: &mut Vec<u8>, id: u64) {
    let again = id & crate::host::AGAIN != 0;
    out.extend_from_slice(&[0xd7, if again { 0x05 } else { 0x02 }]);
    out.extend_from_slice(&(id & !crate::host::AGAIN).to_be_bytes());
}

#[inline(never)]
pub(super) fn decode(
    py: Python<'_>,
    r: &mut Reader<'_>,
    info: &ObjectInfo,
    module: &Arc<GoModule>,
) -> PyResult<Py<PyAny>> {
    match r.next_token().map_err(malformed)? {
        Token::Nil => Ok(py.None()),
        Token::Ext(1, data) if data.len() == 8 => {
            let mut id = [0u8; 8];
            id.copy_from_slice(data);
            new(py, module, info, u64::from_be_bytes(id))
        }
        t => Err(bad_reply(format!("expected a handle, got {t:?}"))),
    }
}

/// The Python object of handle `id` of this type: an instance of its class.
pub(super) fn new(
    py: Python<'_>,
    module: &Arc<GoModule>,
    info: &ObjectInfo,
    id: u64,
) -> PyResult<Py<PyAny>> {
    let cls = info.class.get().map(|c| c.bind(py));
    crate::handle::new_object(py, module, &info.key, cls, id)
}

/// `obj`, when it is a closed Go object.
pub(super) fn closed<'py>(obj: &Bound<'py, PyAny>) -> Option<Bound<'py, PyGoObject>> {
    obj.cast::<PyGoObject>()
        .ok()
        .filter(|h| h.get().is_closed())
        .cloned()
}

/// The type's class, once registered (else `GoObject`).
pub(super) fn annotation<'py>(py: Python<'py>, info: &ObjectInfo) -> PyResult<Bound<'py, PyAny>> {
    match info.class.get() {
        Some(c) => Ok(c.bind(py).clone()),
        None => super::any::annotation(py),
    }
}

/// The class name within its own package, else `Any`. As an argument, a func type that a
/// Python callable can be is also `Callable[[params], result]` (docs/abi.md section 10).
pub(super) fn stub(info: &ObjectInfo, pkg: &str, arg: bool) -> String {
    let class = if info.package == pkg {
        info.name.clone()
    } else {
        super::any::STUB.into()
    };
    let Some(Ok(sig)) = info.callback().filter(|_| arg).map(|c| c.sig.as_ref()) else {
        return class;
    };
    // Go passes what a call returns; the callable returns what a call accepts.
    let params: Vec<String> = sig.params.iter().map(|c| c.stub(pkg, false)).collect();
    let results: Vec<String> = sig.results.iter().map(|c| c.stub(pkg, true)).collect();
    let result = match results.as_slice() {
        [] => "None".to_owned(),
        [one] => one.clone(),
        many => format!("tuple[{}]", many.join(", ")),
    };
    let params = if sig.variadic {
        "...".to_owned()
    } else {
        format!("[{}]", params.join(", "))
    };
    if class == super::any::STUB {
        return format!("Callable[{params}, {result}] | Any");
    }
    format!("Callable[{params}, {result}] | {class}")
}
