//! The call entry of Go functions and methods: the binding's only raw CPython FFI (ADR 0025).
//!
//! pyo3 gives a `#[pyclass]` `__call__` only as `tp_call` (a tuple and a dict per call). A Go
//! function is therefore given to Python as a small object of its own type,
//! `usegolib._native.GoCallable`, made here with `PyType_FromSpec`: it is called through
//! vectorcall (PEP 590: the arguments come as a C array, no tuple, no dict), and it stands for
//! the `GoFunction` (pyclass, func.rs) it holds: every other attribute is read from and written to
//! that object, `__class__` answers `GoFunction` (so `isinstance` holds) and `repr`, `__doc__`
//! and pickling are its. As a class attribute (a method of a Go object's class) its `__get__`
//! gives the same kind of object bound to the instance (recv), called the same way; its other
//! attributes are those of the `GoMethod` it stands for.
//!
//! The limited API at 3.11 has no vectorcall for types: `Py_TPFLAGS_HAVE_VECTORCALL` joined it
//! in 3.12. CPython has honoured the flag with the `__vectorcalloffset__` member for types made
//! by `PyType_FromSpec` since 3.9, so the abi3 (3.11) library uses both, defined here; ADR 0025.
//!
//! The same mechanism calls the generated record classes (ADR 0033): their metaclass,
//! `usegolib._native.RecordMeta`, made here from `_pickle.GoType`, holds a vectorcall per class
//! (`record_vectorcall`), which makes and fills an instance without `type_call`'s tuple and dict.
//!
//! Also here, for the same reason: the C-API readers of the scalar form (`int_value`,
//! `int_as_f64`, `str_utf8`, `decode_utf8`, `generic_getattr`/`generic_setattr`), and the
//! per-thread state of Go calls that may call Python back (ADR 0032, 0036): the thread state a
//! callback re-attaches with (`detach_for_go`, `attach_callback`) and the callables lent to a
//! call (`attach_lent`).
//!
//! Everything unsafe is in this file; [`Vector`] gives func.rs the arguments through a safe API
//! whose soundness rests on the one constructor here. Tested under valgrind (`make sanitize`).
#![allow(unsafe_code)]

use std::cell::Cell;
use std::ffi::{c_int, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;
use std::sync::Arc;

use pyo3::exceptions::{PyIndexError, PyTypeError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyString, PyTuple, PyType};

use usegolib_loader::{GoModule, ScalarArgs};

use crate::convert::Callback;
use crate::func::{PyBoundMethod, PyGoFunction};

/// PEP 590's type flag (limited API from 3.12 only; honoured by CPython 3.9+).
const HAVE_VECTORCALL: u64 = 1 << 11;
/// PEP 590's flag in `nargsf`: the caller lets the callee use `args[-1]`.
const ARGUMENTS_OFFSET: usize = 1 << (usize::BITS - 1);

/// The layout of a `GoCallable` (`tp_basicsize`).
#[repr(C)]
struct GoCallable {
    ob_base: ffi::PyObject,
    /// Read by CPython through `__vectorcalloffset__`.
    vectorcall: ffi::vectorcallfunc,
    /// A strong reference to the `PyGoFunction`; never null once made.
    func: *mut ffi::PyObject,
    /// A strong reference to the receiver of a bound method, else null.
    recv: *mut ffi::PyObject,
}

/// The `GoCallable` type, made at module init.
static TYPE: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// Makes the type and adds it to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let tp = TYPE.get_or_try_init(py, || make_type(py))?;
    m.add("GoCallable", tp.clone_ref(py))
}

fn make_type(py: Python<'_>) -> PyResult<Py<PyType>> {
    // Static tables that CPython reads while making the type (and, for the members, getsets and
    // methods, keeps pointers to: they are leaked, once per process).
    let members = Box::leak(Box::new([
        ffi::PyMemberDef {
            name: c"__vectorcalloffset__".as_ptr(),
            type_code: ffi::Py_T_PYSSIZET,
            offset: std::mem::offset_of!(GoCallable, vectorcall) as ffi::Py_ssize_t,
            flags: ffi::Py_READONLY,
            doc: ptr::null(),
        },
        ffi::PyMemberDef::default(),
    ]));
    let getsets = Box::leak(Box::new([
        ffi::PyGetSetDef {
            name: c"__doc__".as_ptr(),
            get: Some(get_doc),
            set: Some(set_doc),
            doc: ptr::null(),
            closure: ptr::null_mut(),
        },
        ffi::PyGetSetDef {
            name: c"__class__".as_ptr(),
            get: Some(get_class),
            set: None,
            doc: ptr::null(),
            closure: ptr::null_mut(),
        },
        ffi::PyGetSetDef::default(),
    ]));
    let methods = Box::leak(Box::new([
        ffi::PyMethodDef {
            ml_name: c"__reduce__".as_ptr(),
            ml_meth: ffi::PyMethodDefPointer {
                PyCFunction: reduce,
            },
            ml_flags: ffi::METH_NOARGS,
            ml_doc: ptr::null(),
        },
        ffi::PyMethodDef {
            ml_name: c"__reduce_ex__".as_ptr(),
            ml_meth: ffi::PyMethodDefPointer {
                PyCFunction: reduce_ex,
            },
            ml_flags: ffi::METH_O,
            ml_doc: ptr::null(),
        },
        ffi::PyMethodDef::zeroed(),
    ]));
    let slot = |slot: c_int, pfunc: *mut c_void| ffi::PyType_Slot { slot, pfunc };
    let mut slots = [
        slot(
            ffi::Py_tp_dealloc,
            dealloc as ffi::destructor as *mut c_void,
        ),
        slot(
            ffi::Py_tp_traverse,
            traverse as ffi::traverseproc as *mut c_void,
        ),
        slot(ffi::Py_tp_clear, clear as ffi::inquiry as *mut c_void),
        slot(ffi::Py_tp_call, call as ffi::ternaryfunc as *mut c_void),
        slot(
            ffi::Py_tp_descr_get,
            descr_get as ffi::descrgetfunc as *mut c_void,
        ),
        slot(
            ffi::Py_tp_getattro,
            getattro as ffi::getattrofunc as *mut c_void,
        ),
        slot(
            ffi::Py_tp_setattro,
            setattro as ffi::setattrofunc as *mut c_void,
        ),
        slot(ffi::Py_tp_repr, repr as ffi::reprfunc as *mut c_void),
        slot(ffi::Py_tp_members, members.as_mut_ptr().cast()),
        slot(ffi::Py_tp_getset, getsets.as_mut_ptr().cast()),
        slot(ffi::Py_tp_methods, methods.as_mut_ptr().cast()),
        ffi::PyType_Slot::default(),
    ];
    let flags = ffi::Py_TPFLAGS_DEFAULT
        | ffi::Py_TPFLAGS_HAVE_GC
        | ffi::Py_TPFLAGS_IMMUTABLETYPE
        | ffi::Py_TPFLAGS_DISALLOW_INSTANTIATION
        | HAVE_VECTORCALL as std::ffi::c_ulong;
    let mut spec = ffi::PyType_Spec {
        name: c"usegolib._native.GoCallable".as_ptr(),
        basicsize: std::mem::size_of::<GoCallable>() as c_int,
        itemsize: 0,
        flags: flags as std::ffi::c_uint,
        slots: slots.as_mut_ptr(),
    };
    // SAFETY: the spec and its slots are valid for the call (CPython copies what it keeps of
    // them, and the tables it points into are leaked above); the functions have the slots'
    // signatures; the GIL is held (`py`).
    let tp = unsafe { ffi::PyType_FromSpec(&mut spec) };
    // SAFETY: a new reference or null with an exception set.
    let tp = unsafe { Bound::from_owned_ptr_or_err(py, tp) }?;
    Ok(tp.cast_into::<PyType>()?.unbind())
}

/// Gives `func` (a `PyGoFunction`) to Python as a `GoCallable`.
pub fn wrap(py: Python<'_>, func: Py<PyGoFunction>) -> PyResult<Py<PyAny>> {
    make(py, func.into_any(), None)
}

fn make(py: Python<'_>, func: Py<PyAny>, recv: Option<Py<PyAny>>) -> PyResult<Py<PyAny>> {
    let tp = TYPE
        .get(py)
        .ok_or_else(|| PyTypeError::new_err("usegolib._native is not initialised"))?;
    let tp_ptr = tp.as_ptr().cast::<ffi::PyTypeObject>();
    // SAFETY: `tp` is a ready type whose tp_alloc slot is set (inherited: PyType_GenericAlloc,
    // which zeroes the object, sets its type and refcount and starts GC tracking).
    let obj = unsafe {
        let alloc: ffi::allocfunc =
            std::mem::transmute(ffi::PyType_GetSlot(tp_ptr, ffi::Py_tp_alloc));
        alloc(tp_ptr, 0)
    };
    if obj.is_null() {
        return Err(PyErr::fetch(py));
    }
    // SAFETY: `obj` is a new, zeroed GoCallable; the fields take over the two strong
    // references. No Python code runs between the allocation and these writes, so the GC never
    // sees the object half made (traverse also accepts null fields).
    unsafe {
        let this = obj.cast::<GoCallable>();
        (*this).vectorcall = vectorcall;
        (*this).func = func.into_ptr();
        (*this).recv = recv.map_or(ptr::null_mut(), Py::into_ptr);
        Ok(Bound::from_owned_ptr(py, obj).unbind())
    }
}

/// The arguments of one call: a bound method's receiver (if any), then the positional
/// arguments, then the keyword arguments as (name, value) pairs. Borrowed for the call.
pub struct Vector<'a, 'py> {
    py: Python<'py>,
    recv: Option<Borrowed<'a, 'py, PyAny>>,
    /// The positional arguments followed by the keyword arguments' values.
    args: &'a [*mut ffi::PyObject],
    nargs: usize,
    kwnames: Option<Borrowed<'a, 'py, PyTuple>>,
}

impl<'a, 'py: 'a> Vector<'a, 'py> {
    /// # Safety
    /// Every pointer in `args` is a valid object that stays alive for `'a`, the first `nargs`
    /// positional, the rest the values of the keywords named by `kwnames` (a tuple of str of
    /// that length, or None when there are none).
    unsafe fn new(
        py: Python<'py>,
        recv: Option<Borrowed<'a, 'py, PyAny>>,
        args: &'a [*mut ffi::PyObject],
        nargs: usize,
        kwnames: Option<Borrowed<'a, 'py, PyTuple>>,
    ) -> Self {
        Vector {
            py,
            recv,
            args,
            nargs,
            kwnames,
        }
    }

    pub fn py(&self) -> Python<'py> {
        self.py
    }

    /// The receiver of a bound method.
    pub fn recv(&self) -> Option<Borrowed<'a, 'py, PyAny>> {
        self.recv
    }

    /// The number of positional arguments, the receiver included.
    pub fn npos(&self) -> usize {
        self.nargs + usize::from(self.recv.is_some())
    }

    /// Positional argument `i`, the receiver (if any) first.
    #[inline]
    pub fn pos(&self, i: usize) -> PyResult<Borrowed<'a, 'py, PyAny>> {
        let i = match self.recv {
            Some(r) if i == 0 => return Ok(r),
            Some(_) => i - 1,
            None => i,
        };
        if i >= self.nargs {
            return Err(PyIndexError::new_err("argument index out of range"));
        }
        // SAFETY: by `new`'s contract, args[i] (i < nargs) is a live object for 'a.
        Ok(unsafe { Borrowed::from_ptr(self.py, self.args[i]) })
    }

    /// The number of keyword arguments.
    pub fn nkw(&self) -> usize {
        self.args.len() - self.nargs
    }

    /// Keyword argument `j`: (name, value).
    pub fn kw(&self, j: usize) -> PyResult<(Borrowed<'a, 'py, PyAny>, Borrowed<'a, 'py, PyAny>)> {
        let (Some(names), Some(value)) = (self.kwnames, self.args.get(self.nargs + j)) else {
            return Err(PyIndexError::new_err("keyword index out of range"));
        };
        // SAFETY: by `new`'s contract, `names` is a tuple of as many names as there are
        // keyword values (j is one of them), and every pointer of args is a live object; all
        // live for 'a. PyTuple_GetItem returns a borrowed reference.
        unsafe {
            let name = ffi::PyTuple_GetItem(names.as_ptr(), j as ffi::Py_ssize_t);
            let name = Borrowed::from_ptr_or_err(self.py, name)?;
            Ok((name, Borrowed::from_ptr(self.py, *value)))
        }
    }

    /// The value of the keyword argument `name`, if given.
    pub fn kw_get(&self, name: &str) -> Option<Borrowed<'a, 'py, PyAny>> {
        (0..self.nkw()).find_map(|j| {
            let (k, v) = self.kw(j).ok()?;
            (k.extract::<&str>().ok()? == name).then_some(v)
        })
    }
}

/// Calls `func` with a tuple and a dict (`tp_call`, and the pyclasses' `__call__`).
pub fn call_with(
    py: Python<'_>,
    func: &PyGoFunction,
    recv: Option<&Bound<'_, PyAny>>,
    args: &Bound<'_, PyTuple>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<Py<PyAny>> {
    let mut flat: Vec<*mut ffi::PyObject> = args.iter_borrowed().map(|a| a.as_ptr()).collect();
    let nargs = flat.len();
    // The dict's items are held here for the call (the dict may change under a converter).
    let mut held = Vec::new();
    let mut names = Vec::new();
    if let Some(kw) = kwargs {
        for (k, v) in kw.iter() {
            flat.push(v.as_ptr());
            names.push(k);
            held.push(v);
        }
    }
    let kwnames = (!names.is_empty())
        .then(|| PyTuple::new(py, &names))
        .transpose()?;
    // SAFETY: the positional pointers are borrowed from `args` and the keyword values are held
    // in `held`, both alive for the call; `kwnames` names them in order.
    let v = unsafe {
        Vector::new(
            py,
            recv.map(Bound::as_borrowed),
            &flat,
            nargs,
            kwnames.as_ref().map(Bound::as_borrowed),
        )
    };
    func.invoke(py, &v)
}

/// The object standing for `obj` for attributes: the `GoFunction`, or for a bound method a
/// new `GoMethod`.
///
/// # Safety
/// `obj` is a live GoCallable, GIL held.
unsafe fn target<'py>(py: Python<'py>, obj: *mut ffi::PyObject) -> PyResult<Bound<'py, PyAny>> {
    // SAFETY: by the contract, `obj` is a made GoCallable: `func` is never null.
    let (func, recv) = unsafe {
        let this = &*obj.cast::<GoCallable>();
        (
            Borrowed::from_ptr(py, this.func),
            Borrowed::from_ptr_or_opt(py, this.recv),
        )
    };
    match recv {
        None => Ok(func.to_owned()),
        Some(recv) => {
            let func = func.cast::<PyGoFunction>()?.to_owned().unbind();
            PyBoundMethod::new_bound(py, func, recv.to_owned().unbind())
        }
    }
}

/// Runs `f` as the body of a slot: its error is set as the Python exception (null returned); a
/// Rust panic becomes a PanicException instead of unwinding into C.
fn slot_body(f: impl FnOnce(Python<'_>) -> PyResult<*mut ffi::PyObject>) -> *mut ffi::PyObject {
    // CPython calls the slots with the GIL held. `attach` (not `assume_attached`) tells pyo3 so:
    // with pyo3's attach count at zero, references dropped in the body would be deferred to
    // its pool instead of released (a memoryview held for an out-parameter kept its
    // bytearray exported). On a thread that holds the GIL it does not wait for it.
    Python::attach(|py| slot_result(py, catch_unwind(AssertUnwindSafe(|| f(py)))))
}

#[inline]
fn slot_result(
    py: Python<'_>,
    r: std::thread::Result<PyResult<*mut ffi::PyObject>>,
) -> *mut ffi::PyObject {
    match r {
        Ok(Ok(p)) => p,
        Ok(Err(e)) => {
            e.restore(py);
            ptr::null_mut()
        }
        Err(payload) => {
            let msg = payload
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| payload.downcast_ref::<&str>().copied())
                .unwrap_or("panic in usegolib's call entry");
            pyo3::panic::PanicException::new_err(msg.to_owned()).restore(py);
            ptr::null_mut()
        }
    }
}

/// [`slot_body`] for slots that return a status (0, or -1 with an exception set).
fn status_body(f: impl FnOnce(Python<'_>) -> PyResult<()>) -> c_int {
    let r = slot_body(|py| f(py).map(|()| ptr::NonNull::<ffi::PyObject>::dangling().as_ptr()));
    if r.is_null() {
        -1
    } else {
        0
    }
}

/// PEP 590 entry: `callable(*args[..nargs], **dict(zip(kwnames, args[nargs..])))`.
unsafe extern "C" fn vectorcall(
    callable: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargsf: usize,
    kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    if kwnames.is_null() {
        // SAFETY: as below; a call without keywords.
        if let Some(r) = unsafe { scalar_call(callable, args, nargsf & !ARGUMENTS_OFFSET) } {
            return r;
        }
    }
    slot_body(|py| {
        let nargs = nargsf & !ARGUMENTS_OFFSET;
        // SAFETY: CPython passes a live GoCallable, and (PEP 590) `args` holds nargs positional
        // arguments then one value per name of `kwnames` (a tuple of str, or null), all
        // borrowed for the call.
        unsafe {
            let kwnames =
                Borrowed::from_ptr_or_opt(py, kwnames).map(|k| k.cast_unchecked::<PyTuple>());
            let nkw = kwnames.map_or(0, |k| k.len());
            let all: &[*mut ffi::PyObject] = if nargs + nkw == 0 {
                &[]
            } else {
                std::slice::from_raw_parts(args, nargs + nkw)
            };
            let this = &*callable.cast::<GoCallable>();
            let recv = Borrowed::from_ptr_or_opt(py, this.recv);
            let v = Vector::new(py, recv, all, nargs, kwnames);
            let func = Borrowed::from_ptr(py, this.func).cast_unchecked::<PyGoFunction>();
            // `scalar_call` declined the call, or it has keywords (which the scalar form never
            // takes): not tried again.
            let r = func.get().invoke_general(py, &v);
            Ok(r?.into_ptr())
        }
    })
}

/// The scalar form of a call without keywords (docs/abi.md section 8.11), made without
/// pyo3's attach (`PyGILState_Ensure` and its release, about 7% of a small call): None when the
/// function has no scalar form or an argument is not a word (nothing was done; the general
/// entry takes the call). Only a clean success runs without pyo3's attach count; everything
/// that may drop Python references (a failure, a callback's exception or kept value) is
/// finished under `Python::attach` by `PyGoFunction::invoke_scalar` and `CallScope::finish`, so
/// that no decref waits in pyo3's pool.
///
/// # Safety
/// CPython's vectorcall contract: `callable` is a live GoCallable, `args` holds `nargs` live
/// positional arguments borrowed for the call, and the thread holds the GIL.
#[inline]
unsafe fn scalar_call(
    callable: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargs: usize,
) -> Option<*mut ffi::PyObject> {
    // SAFETY: CPython calls vectorcall with the GIL held (the contract above).
    let py = unsafe { Python::assume_attached() };
    let r = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: by the contract, a live GoCallable (`func` never null) and `nargs` live
        // positional arguments, no keywords.
        unsafe {
            let this = &*callable.cast::<GoCallable>();
            let all: &[*mut ffi::PyObject] = if nargs == 0 {
                &[]
            } else {
                std::slice::from_raw_parts(args, nargs)
            };
            let recv = Borrowed::from_ptr_or_opt(py, this.recv);
            let v = Vector::new(py, recv, all, nargs, None);
            let func = Borrowed::from_ptr(py, this.func).cast_unchecked::<PyGoFunction>();
            // The result made a pointer here (an error set as the exception, null): the
            // closure returns two words, not the whole `PyResult`.
            match func.get().invoke_scalar(py, &v)? {
                Ok(p) => Some(p.into_ptr()),
                Err(e) => {
                    e.restore(py);
                    Some(ptr::null_mut())
                }
            }
        }
    }));
    match r {
        Ok(r) => r,
        Err(payload) => Some(slot_result(py, Err(payload))),
    }
}

// The scalar form's readers of an int argument (scalar.rs) through the C API rather than
// `extract`: an int beyond i64 (a uint64 above 2**63 - 1), beyond u64 or beyond float64 makes
// no `PyErr` (an exception object, then, as `scalar_call` runs without pyo3's attach count, a
// push to pyo3's reference pool, drained when the Go call's `detach` returns): about 10% of
// such a call.

/// The value of `obj`, an int, when it fits an i64 or a u64; None otherwise.
#[inline]
pub fn int_value(obj: &Bound<'_, PyAny>) -> Option<i128> {
    let mut overflow: c_int = 0;
    // SAFETY: the GIL is held (`obj` is bound) and `obj` is an int: a value beyond i64 is
    // reported in `overflow`, with no exception set.
    let v = unsafe { ffi::PyLong_AsLongLongAndOverflow(obj.as_ptr(), &mut overflow) };
    if overflow == 0 {
        return (v != -1 || no_error()).then_some(i128::from(v));
    }
    if overflow < 0 {
        return None;
    }
    // SAFETY: as above; beyond u64 it sets an OverflowError, which `no_error` clears.
    let v = unsafe { ffi::PyLong_AsUnsignedLongLong(obj.as_ptr()) };
    (v != u64::MAX || no_error()).then_some(i128::from(v))
}

/// The value of `obj`, an int, as a float64; None beyond its range.
pub fn int_as_f64(obj: &Bound<'_, PyAny>) -> Option<f64> {
    // SAFETY: the GIL is held and `obj` is an int; beyond float64 it sets an OverflowError.
    let v = unsafe { ffi::PyLong_AsDouble(obj.as_ptr()) };
    (v != -1.0 || no_error()).then_some(v)
}

/// The UTF-8 bytes CPython keeps for `s`, a `str` (`PyUnicode_AsUTF8AndSize`, in the limited
/// API: made once and cached in the object for a non-ASCII str, the str's own data for an
/// ASCII one), valid as long as `s` lives and unchanged (a str is immutable); None when it
/// does not encode to UTF-8 strictly (lone surrogates), the exception cleared in C with no
/// `PyErr` made (the scalar form's fast entry runs without pyo3's attach count).
pub fn str_utf8<'a>(s: Borrowed<'a, '_, PyAny>) -> Option<&'a [u8]> {
    let mut len: ffi::Py_ssize_t = 0;
    // SAFETY: the GIL is held (`s` is bound) and `s` is a str (the caller checked); the result
    // is null with an exception set, or a pointer to `len` bytes owned by `s`, which `s` keeps
    // (unchanged) until it is freed: `s` is borrowed for 'a, so the slice is valid for 'a.
    unsafe {
        let p = ffi::PyUnicode_AsUTF8AndSize(s.as_ptr(), &mut len);
        if p.is_null() {
            no_error();
            return None;
        }
        Some(std::slice::from_raw_parts(p.cast::<u8>(), len as usize))
    }
}

/// Whether instances of `tp` get their attributes with `object`'s generic function (their
/// class and its bases define no `__getattribute__` or `__getattr__`): [`generic_getattr`]
/// then does exactly what `getattr` does.
pub fn generic_get(tp: &Bound<'_, PyType>) -> bool {
    // SAFETY: `tp` is a valid type, the GIL is held; `PyType_GetSlot` reads a heap type's slot,
    // and a static type's on 3.10+ (the abi3 floor is 3.11), null when not set.
    let get = unsafe { ffi::PyType_GetSlot(tp.as_type_ptr(), ffi::Py_tp_getattro) };
    get == ffi::PyObject_GenericGetAttr as *mut c_void
}

/// Whether instances of `tp` set their attributes with `object`'s generic function (no
/// `__setattr__` of their own): [`generic_setattr`] then does exactly what `setattr` does.
pub fn generic_set(tp: &Bound<'_, PyType>) -> bool {
    // SAFETY: as in `generic_get`.
    let set = unsafe { ffi::PyType_GetSlot(tp.as_type_ptr(), ffi::Py_tp_setattro) };
    set == ffi::PyObject_GenericSetAttr as *mut c_void
}

/// `getattr(obj, name)` for an object whose type has [`generic_get`], without
/// `PyObject_GetAttr`'s dispatch.
#[inline]
pub fn generic_getattr<'py>(
    obj: &Bound<'py, PyAny>,
    name: &Bound<'py, PyString>,
) -> PyResult<Bound<'py, PyAny>> {
    // SAFETY: the GIL is held, `obj` is a live object and `name` a str (an interned field name),
    // both borrowed for the call; the result is a new reference or null with an exception set.
    unsafe {
        Bound::from_owned_ptr_or_err(
            obj.py(),
            ffi::PyObject_GenericGetAttr(obj.as_ptr(), name.as_ptr()),
        )
    }
}

/// `setattr(obj, name, v)` for an object whose type has [`generic_set`], without
/// `PyObject_SetAttr`'s dispatch and its interning of `name` (an interned field name already).
#[inline]
pub fn generic_setattr(
    obj: &Bound<'_, PyAny>,
    name: &Bound<'_, PyString>,
    v: &Bound<'_, PyAny>,
) -> PyResult<()> {
    // SAFETY: the GIL is held; `obj`, the str `name` and `v` are live, borrowed for the call
    // (the attribute takes its own reference to `v`); 0, or -1 with an exception set.
    let r = unsafe { ffi::PyObject_GenericSetAttr(obj.as_ptr(), name.as_ptr(), v.as_ptr()) };
    if r == 0 {
        Ok(())
    } else {
        Err(PyErr::fetch(obj.py()))
    }
}

/// A new `bytes` object holding a copy of `b`, copied in the pieces `usegolib_abi::copy_piece`
/// says (`PyBytes::new` makes one `memcpy`, which on AMD Zen runs about 15x slower when the new
/// object's bytes lie just after `b`'s modulo 4096).
pub fn new_bytes<'py>(py: Python<'py>, b: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
    let len = ffi::Py_ssize_t::try_from(b.len())
        .map_err(|_| pyo3::exceptions::PyOverflowError::new_err("bytes too long"))?;
    // SAFETY: the GIL is held (`py`). A null source makes an uninitialised bytes object of
    // `len` bytes (a new reference, or null with an exception set), whose buffer
    // (`PyBytes_AsString`, `len` bytes plus a NUL) is written below before anyone sees it.
    unsafe {
        let obj =
            Bound::from_owned_ptr_or_err(py, ffi::PyBytes_FromStringAndSize(ptr::null(), len))?;
        let dst = ffi::PyBytes_AsString(obj.as_ptr()).cast::<u8>();
        let piece = usegolib_abi::copy_piece(dst as usize, b.as_ptr() as usize, b.len()).max(1);
        for (i, c) in b.chunks(piece).enumerate() {
            // SAFETY: `c` lies within `b`, and `dst + i * piece .. + c.len()` within the new
            // object's `len` bytes; the two do not overlap (the object is new).
            ptr::copy_nonoverlapping(c.as_ptr(), dst.add(i * piece), c.len());
        }
        Ok(obj.cast_into_unchecked::<PyBytes>())
    }
}

/// Go string bytes as a Python str: UTF-8, each byte of an invalid sequence a lone surrogate
/// (`bytes.decode("utf-8", "surrogateescape")`), in one pass (`PyUnicode_DecodeUTF8`).
pub fn decode_utf8<'py>(py: Python<'py>, b: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    // SAFETY: the GIL is held (`py`); `b` is valid for `b.len()` bytes during the call (a slice
    // is at most isize::MAX bytes long); the handler name is a static C string. The result is a
    // new reference or null with an exception set.
    unsafe {
        Bound::from_owned_ptr_or_err(
            py,
            ffi::PyUnicode_DecodeUTF8(
                b.as_ptr().cast(),
                b.len() as ffi::Py_ssize_t,
                c"surrogateescape".as_ptr(),
            ),
        )
    }
}

/// After a C API call returned its error value: true when no exception is set (the value is
/// the real one); else false, the exception cleared in C with no `PyErr` made.
fn no_error() -> bool {
    // SAFETY: only called with the GIL held (by `int_value`, `int_as_f64` and `str_utf8`).
    unsafe {
        if ffi::PyErr_Occurred().is_null() {
            return true;
        }
        ffi::PyErr_Clear();
    }
    false
}

/// `tp_call`: the same call from a tuple and a dict.
unsafe extern "C" fn call(
    obj: *mut ffi::PyObject,
    args: *mut ffi::PyObject,
    kwargs: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    slot_body(|py| {
        // SAFETY: CPython passes a live GoCallable, a tuple and a dict or null, borrowed.
        unsafe {
            let this = &*obj.cast::<GoCallable>();
            let args = Borrowed::from_ptr(py, args).cast_unchecked::<PyTuple>();
            let kwargs =
                Borrowed::from_ptr_or_opt(py, kwargs).map(|k| k.cast_unchecked::<PyDict>());
            let recv = Borrowed::from_ptr_or_opt(py, this.recv).map(|r| r.to_owned());
            let func = Borrowed::from_ptr(py, this.func).cast_unchecked::<PyGoFunction>();
            let r = call_with(
                py,
                func.get(),
                recv.as_ref(),
                &args.to_owned(),
                kwargs.map(|k| k.to_owned()).as_ref(),
            )?;
            Ok(r.into_ptr())
        }
    })
}

/// `__get__`: on an instance, the method bound to it; else the function itself.
unsafe extern "C" fn descr_get(
    obj: *mut ffi::PyObject,
    inst: *mut ffi::PyObject,
    _owner: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    slot_body(|py| {
        // SAFETY: CPython passes a live GoCallable and a borrowed instance or null.
        unsafe {
            let this = &*obj.cast::<GoCallable>();
            let inst = Borrowed::from_ptr_or_opt(py, inst).filter(|i| !i.is_none());
            match inst {
                // Already bound (or no instance): itself.
                Some(i) if this.recv.is_null() => {
                    let func = Borrowed::from_ptr(py, this.func).to_owned().unbind();
                    Ok(make(py, func, Some(i.to_owned().unbind()))?.into_ptr())
                }
                _ => Ok(Borrowed::from_ptr(py, obj).to_owned().into_ptr()),
            }
        }
    })
}

/// Attributes: the type's own, else the target's (see [`target`]).
unsafe extern "C" fn getattro(
    obj: *mut ffi::PyObject,
    name: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: CPython passes a live object and a str, GIL held.
    let own = unsafe { ffi::PyObject_GenericGetAttr(obj, name) };
    if !own.is_null() {
        return own;
    }
    slot_body(|py| {
        let err = PyErr::fetch(py);
        if !err.is_instance_of::<pyo3::exceptions::PyAttributeError>(py) {
            return Err(err);
        }
        // SAFETY: as above; `name` is borrowed for the call.
        unsafe {
            let target = target(py, obj)?;
            let name = Borrowed::from_ptr(py, name).cast::<PyString>()?;
            Ok(target.getattr(&*name)?.into_ptr())
        }
    })
}

/// Setting an attribute sets it on the target (`__doc__`, `__signature__`...).
unsafe extern "C" fn setattro(
    obj: *mut ffi::PyObject,
    name: *mut ffi::PyObject,
    value: *mut ffi::PyObject,
) -> c_int {
    status_body(|py| {
        // SAFETY: CPython passes a live object, a str and a value or null (delete), borrowed.
        unsafe {
            let target = target(py, obj)?;
            let name = Borrowed::from_ptr(py, name).cast::<PyString>()?;
            match Borrowed::from_ptr_or_opt(py, value) {
                Some(v) => target.setattr(&*name, &*v),
                None => target.delattr(&*name),
            }
        }
    })
}

unsafe extern "C" fn repr(obj: *mut ffi::PyObject) -> *mut ffi::PyObject {
    slot_body(|py| {
        // SAFETY: CPython passes a live GoCallable.
        let target = unsafe { target(py, obj) }?;
        Ok(target.repr()?.into_any().into_ptr())
    })
}

unsafe extern "C" fn get_doc(obj: *mut ffi::PyObject, _closure: *mut c_void) -> *mut ffi::PyObject {
    slot_body(|py| {
        // SAFETY: CPython passes a live GoCallable.
        let target = unsafe { target(py, obj) }?;
        Ok(target.getattr("__doc__")?.into_ptr())
    })
}

unsafe extern "C" fn set_doc(
    obj: *mut ffi::PyObject,
    value: *mut ffi::PyObject,
    _closure: *mut c_void,
) -> c_int {
    status_body(|py| {
        // SAFETY: CPython passes a live GoCallable and a borrowed value or null (delete).
        unsafe {
            let target = target(py, obj)?;
            match Borrowed::from_ptr_or_opt(py, value) {
                Some(v) => target.setattr("__doc__", &*v),
                None => target.delattr("__doc__"),
            }
        }
    })
}

/// `__class__`: the target's class (GoFunction or GoMethod), so that `isinstance` holds.
unsafe extern "C" fn get_class(
    obj: *mut ffi::PyObject,
    _closure: *mut c_void,
) -> *mut ffi::PyObject {
    slot_body(|py| {
        // SAFETY: CPython passes a live GoCallable.
        let this = unsafe { &*obj.cast::<GoCallable>() };
        Ok(if this.recv.is_null() {
            py.get_type::<PyGoFunction>().into_any().into_ptr()
        } else {
            py.get_type::<PyBoundMethod>().into_any().into_ptr()
        })
    })
}

/// `__reduce__`: the target's.
unsafe extern "C" fn reduce(
    obj: *mut ffi::PyObject,
    _unused: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    slot_body(|py| {
        // SAFETY: CPython passes a live GoCallable.
        let target = unsafe { target(py, obj) }?;
        Ok(target.call_method0("__reduce__")?.into_ptr())
    })
}

/// `__reduce_ex__(protocol)`: the target's (so that a pickling hook of `GoFunction`, either
/// method, is the one pickle uses).
unsafe extern "C" fn reduce_ex(
    obj: *mut ffi::PyObject,
    protocol: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    slot_body(|py| {
        // SAFETY: CPython passes a live GoCallable and the borrowed protocol argument.
        unsafe {
            let target = target(py, obj)?;
            let protocol = Borrowed::from_ptr(py, protocol);
            Ok(target
                .call_method1("__reduce_ex__", (protocol,))?
                .into_ptr())
        }
    })
}

unsafe extern "C" fn traverse(
    obj: *mut ffi::PyObject,
    visit: ffi::visitproc,
    arg: *mut c_void,
) -> c_int {
    // SAFETY: the GC passes a live GoCallable; null fields are skipped (Py_VISIT's rule). Its
    // (heap) type is visited too: an instance holds a reference to it (dealloc drops it), which
    // CPython requires tp_traverse to report (3.9+).
    unsafe {
        let this = &*obj.cast::<GoCallable>();
        for p in [ffi::Py_TYPE(obj).cast(), this.func, this.recv] {
            if !p.is_null() {
                let r = visit(p, arg);
                if r != 0 {
                    return r;
                }
            }
        }
    }
    0
}

/// Drops the references (the GC breaking a cycle, and dealloc).
unsafe extern "C" fn clear(obj: *mut ffi::PyObject) -> c_int {
    // SAFETY: a live GoCallable; each field is nulled before its reference is dropped (Py_CLEAR),
    // so a re-entrant traverse or clear never sees a dropped object.
    unsafe {
        let this = obj.cast::<GoCallable>();
        for field in [
            ptr::addr_of_mut!((*this).func),
            ptr::addr_of_mut!((*this).recv),
        ] {
            let p = *field;
            *field = ptr::null_mut();
            if !p.is_null() {
                ffi::Py_DECREF(p);
            }
        }
    }
    0
}

unsafe extern "C" fn dealloc(obj: *mut ffi::PyObject) {
    // SAFETY: the last reference is gone: untrack, drop the fields, free with the type's
    // tp_free, then drop the instance's reference to its (heap) type.
    unsafe {
        ffi::PyObject_GC_UnTrack(obj.cast());
        clear(obj);
        let tp = ffi::Py_TYPE(obj);
        let free: ffi::freefunc = std::mem::transmute(ffi::PyType_GetSlot(tp, ffi::Py_tp_free));
        free(obj.cast());
        ffi::Py_DECREF(tp.cast());
    }
}

// --- The base type of record classes (ADR 0033). ------------------------------------------

/// `usegolib._native.RecordBase`, made at module init.
static RECORD_BASE: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// Makes the base type of the record classes and adds it to the module: a type with no state
/// of its own. Its `tp_new` only makes the instance of a record class (a Python subclass, with
/// an instance dict); its `tp_init` fills it from keyword arguments
/// (`convert::record::construct`), as a dataclass `__init__` would, without a Python frame: the
/// class call is `type_call` -> `tp_new` -> `tp_init`, all C. A subclass that defines
/// `__init__` (a dataclass adding fields, or one calling `super().__init__(**kw)`) is
/// constructed by its own `__init__`, as it was when record classes were plain dataclasses.
pub fn register_record_base(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let tp = RECORD_BASE.get_or_try_init(py, || {
        let slot = |slot: c_int, pfunc: *mut c_void| ffi::PyType_Slot { slot, pfunc };
        let mut slots = [
            slot(ffi::Py_tp_new, record_new as ffi::newfunc as *mut c_void),
            slot(ffi::Py_tp_init, record_init as ffi::initproc as *mut c_void),
            slot(
                ffi::Py_tp_doc,
                c"The base of the classes of Go structs (records).".as_ptr() as *mut c_void,
            ),
            ffi::PyType_Slot::default(),
        ];
        let flags = ffi::Py_TPFLAGS_DEFAULT | ffi::Py_TPFLAGS_BASETYPE;
        let mut spec = ffi::PyType_Spec {
            name: c"usegolib._native.RecordBase".as_ptr(),
            basicsize: std::mem::size_of::<ffi::PyObject>() as c_int,
            itemsize: 0,
            flags: flags as std::ffi::c_uint,
            slots: slots.as_mut_ptr(),
        };
        // SAFETY: as in `make_type`: the spec and slots are valid for the call, `record_new` and
        // `record_init` have the `newfunc` and `initproc` signatures, the doc is a static C
        // string, the GIL is held.
        let tp = unsafe { ffi::PyType_FromSpec(&mut spec) };
        // SAFETY: a new reference or null with an exception set.
        let tp = unsafe { Bound::from_owned_ptr_or_err(py, tp) }?;
        let tp = tp.cast_into::<PyType>()?;
        RECORD_BASE_TYPE.store(tp.as_type_ptr(), std::sync::atomic::Ordering::Relaxed);
        PyResult::Ok(tp.unbind())
    })?;
    m.add("RecordBase", tp.clone_ref(py))
}

/// A new, empty instance of `cls`, a registered record class (what decoding a reply fills).
/// When `cls` makes its instances with `RecordBase`'s `tp_new` (every class `_record_class`
/// makes, and their subclasses that define no `__new__` and add no built-in base), that is
/// `object`'s own `tp_new` called directly, as `object.__new__(cls)` does without the Python
/// call; any other class is asked for one as `cls.__new__(cls)`, whose checks (CPython refuses
/// `object.__new__` for a class whose layout is not `object`'s) then apply.
pub fn new_instance<'py>(cls: &Bound<'py, PyType>) -> PyResult<Bound<'py, PyAny>> {
    // SAFETY: `cls` is a valid type object; `PyType_GetSlot` reads a heap type's slot, and a
    // static type's on 3.10+ (the abi3 floor is 3.11); it returns null for a slot not set.
    let new = unsafe { ffi::PyType_GetSlot(cls.as_type_ptr(), ffi::Py_tp_new) };
    if new != record_new as ffi::newfunc as *mut c_void {
        return cls
            .getattr(pyo3::intern!(cls.py(), "__new__"))?
            .call1((cls,));
    }
    object_new(cls)
}

/// `object`'s `tp_new` called on `cls`, which must be a type whose instances it may make: a
/// subclass of `RecordBase` whose `tp_new` is `record_new` (its layout is `object`'s plus what
/// Python subclasses add, which `tp_alloc` and `object_new` handle).
fn object_new<'py>(cls: &Bound<'py, PyType>) -> PyResult<Bound<'py, PyAny>> {
    // SAFETY: `cls` is a valid type of the kind required above; the GIL is held. The result is
    // a new reference or null with an exception set.
    unsafe { Bound::from_owned_ptr_or_err(cls.py(), object_new_raw(cls.as_type_ptr())) }
}

/// `object_new(tp, (), NULL)`: `object`'s `tp_new` read with `PyType_GetSlot` from the static
/// `object` type and called with the empty tuple, as `object.__new__(tp)` does without the
/// Python call (no argument tuple of its own, no method lookup).
///
/// # Safety
/// The GIL is held and `tp` is a valid type whose layout is `object`'s (see [`object_new`]).
/// Returns a new reference, or null with an exception set.
unsafe fn object_new_raw(tp: *mut ffi::PyTypeObject) -> *mut ffi::PyObject {
    // `object`'s `tp_new`, read once (a static type's slot never changes).
    static OBJECT_NEW: std::sync::atomic::AtomicPtr<c_void> =
        std::sync::atomic::AtomicPtr::new(ptr::null_mut());
    let mut slot = OBJECT_NEW.load(std::sync::atomic::Ordering::Relaxed);
    if slot.is_null() {
        // SAFETY: `PyBaseObject_Type` is a static type, whose slots `PyType_GetSlot` reads on
        // 3.10+ (the abi3 floor is 3.11); its `tp_new` is `object_new`, never null.
        slot = unsafe {
            ffi::PyType_GetSlot(
                std::ptr::addr_of_mut!(ffi::PyBaseObject_Type),
                ffi::Py_tp_new,
            )
        };
        OBJECT_NEW.store(slot, std::sync::atomic::Ordering::Relaxed);
    }
    // SAFETY: `slot` is object's `tp_new` (above), a `newfunc`, never null.
    let new: ffi::newfunc = unsafe { std::mem::transmute::<*mut c_void, ffi::newfunc>(slot) };
    // SAFETY: the GIL is held; `PyTuple_New(0)` gives the empty tuple (a new reference) or null
    // with an exception set. `object_new(type, args, kwds)` with the caller's valid type, an
    // empty tuple and no keywords (which it accepts for any type) allocates with the type's
    // `tp_alloc` and prepares the instance dict; it does not keep `args`.
    unsafe {
        let args = ffi::PyTuple_New(0);
        if args.is_null() {
            return ptr::null_mut();
        }
        let obj = new(tp, args, ptr::null_mut());
        ffi::Py_DECREF(args);
        obj
    }
}

/// `RecordBase` itself, as a pointer `record_new` compares with (set once, at module init).
static RECORD_BASE_TYPE: std::sync::atomic::AtomicPtr<ffi::PyTypeObject> =
    std::sync::atomic::AtomicPtr::new(ptr::null_mut());

/// `RecordBase`'s `tp_new`: a new instance of the record class called, its fields not yet set
/// (`record_init` sets them; pickling's `cls.__new__(cls)` restores its state instead). The
/// arguments are `tp_init`'s. CPython calls it only for a type whose `tp_new` it is, directly
/// or through `RecordBase.__new__(cls)` (whose wrapper refuses a class with another built-in
/// `tp_new` in its bases), so `object`'s `tp_new` may make the instance. Plain FFI, no pyo3
/// (nothing here can panic): the class call pays for pyo3's attach once, in `record_init`.
unsafe extern "C" fn record_new(
    subtype: *mut ffi::PyTypeObject,
    _args: *mut ffi::PyObject,
    _kwds: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    if subtype == RECORD_BASE_TYPE.load(std::sync::atomic::Ordering::Relaxed) {
        // SAFETY: CPython calls slots with the GIL held; both arguments are valid (a static C
        // string and CPython's exception type).
        unsafe {
            ffi::PyErr_SetString(
                ffi::PyExc_TypeError,
                c"RecordBase is not a record class: it is the base of the classes of Go structs"
                    .as_ptr(),
            );
        }
        return ptr::null_mut();
    }
    // SAFETY: the GIL is held and `subtype` is a type whose `tp_new` is this one (above).
    unsafe { object_new_raw(subtype) }
}

/// `RecordBase`'s `tp_init` (`Point(x=1)` after `record_new`, `p.__init__(x=1)`, a subclass's
/// `super().__init__(**kw)`): sets every field, from the keywords or its Go zero value.
unsafe extern "C" fn record_init(
    obj: *mut ffi::PyObject,
    args: *mut ffi::PyObject,
    kwds: *mut ffi::PyObject,
) -> c_int {
    let r = slot_body(|py| {
        // SAFETY: CPython passes the instance, the positional arguments as a tuple and the
        // keywords as a dict or null, borrowed and valid for this call.
        let (obj, args, kwds) = unsafe {
            (
                Borrowed::from_ptr(py, obj),
                Borrowed::from_ptr(py, args).cast_unchecked::<PyTuple>(),
                Borrowed::from_ptr_or_opt(py, kwds).map(|k| k.cast_unchecked::<PyDict>()),
            )
        };
        crate::convert::construct_record(&obj.get_type(), &obj, &args, kwds.as_deref())?;
        // A borrowed pointer that is not null: `slot_body`'s success, never handed out.
        Ok(obj.as_ptr())
    });
    if r.is_null() {
        -1
    } else {
        0
    }
}

// PEP 590's caller side. `PyObject_Vectorcall` is exported by CPython 3.11 (declared with
// `PyAPI_FUNC` in `Include/cpython/abstract.h`) and is in the limited API from 3.12 with the
// same signature; pyo3 declares it for abi3 only from 3.12, so the 3.11 library declares it here.
extern "C" {
    fn PyObject_Vectorcall(
        callable: *mut ffi::PyObject,
        args: *const *mut ffi::PyObject,
        nargsf: usize,
        kwnames: *mut ffi::PyObject,
    ) -> *mut ffi::PyObject;
}

/// Calls `f` with the positional arguments `args` through vectorcall: no argument tuple (pyo3's
/// `call1` builds one on the 3.11 limited API), which a host callable's call (host.rs) pays
/// on every callback. More than 8 arguments go through a tuple.
pub fn call_vector<'py>(
    f: &Bound<'py, PyAny>,
    args: &[Bound<'py, PyAny>],
) -> PyResult<Bound<'py, PyAny>> {
    let py = f.py();
    if args.len() > 8 {
        return f.call1(PyTuple::new(py, args)?);
    }
    // One slot before the arguments, which the callee may use (ARGUMENTS_OFFSET).
    let mut slots = [ptr::null_mut::<ffi::PyObject>(); 9];
    for (s, a) in slots[1..].iter_mut().zip(args) {
        *s = a.as_ptr();
    }
    // SAFETY: the GIL is held (`py`); `f` and every argument are live for the call (borrowed
    // from `args`); `slots[1..=n]` holds them, and `slots[0]` is ours to lend (PEP 590's
    // PY_VECTORCALL_ARGUMENTS_OFFSET); no keywords. The result is a new reference or null with
    // an exception set.
    unsafe {
        let r = PyObject_Vectorcall(
            f.as_ptr(),
            slots.as_mut_ptr().add(1),
            args.len() | ARGUMENTS_OFFSET,
            ptr::null_mut(),
        );
        Bound::from_owned_ptr_or_err(py, r)
    }
}

// --- Re-attaching a callback on the thread of the Go call it belongs to (ADR 0032), and the
// callables lent to a Go call (docs/abi.md section 10.9, ADR 0036). -------------------------

/// A Python callable lent to a Go call for a func parameter the function does not keep: its
/// object, func type and module, borrowed from the call that lent it ([`detach_for_go`]).
#[derive(Clone, Copy)]
struct Lent {
    obj: *mut ffi::PyObject,
    cb: *const Callback,
    module: *const Arc<GoModule>,
}

const NO_LENT: Lent = Lent {
    obj: ptr::null_mut(),
    cb: ptr::null(),
    module: ptr::null(),
};

/// This thread's Go calls as their callbacks see them.
struct GoCalls {
    /// This thread's state while a Go call made through [`detach_for_go`] has released the
    /// GIL on it; null otherwise, and while a callback of that call re-attached through
    /// [`attach_callback`] or [`attach_lent`] holds the GIL. (A registered callable's callback
    /// in the general form takes the GIL with `PyGILState_Ensure`, host.rs, and leaves it set:
    /// the same state, which a nested Go call records again and puts back.)
    detached: Cell<*mut ffi::PyThreadState>,
    /// The callables this thread's running calls lent, the innermost call's last: lent word
    /// `LENT | n` is `lent[n]`, for n below `nlent`. Each is valid while the [`detach_for_go`]
    /// that lent it runs, which takes it back (`nlent`) when it returns (by a panic too).
    lent: [Cell<Lent>; MAX_LENT],
    nlent: Cell<usize>,
}

thread_local! {
    static GO_CALLS: GoCalls = const {
        GoCalls {
            detached: Cell::new(ptr::null_mut()),
            lent: [const { Cell::new(NO_LENT) }; MAX_LENT],
            nlent: Cell::new(0),
        }
    };
}

/// The bit of a lent callable's word (docs/abi.md section 10.9); the rest is its place in the
/// thread's stack of lent callables. Host-object ids count from 1 and never reach it.
pub const LENT: u64 = 1 << 62;
/// The most callables a thread lends at once (Go's `MaxLent`); past it they are registered.
pub const MAX_LENT: usize = 64;

/// Makes a Go call that may call Python back: `call` runs with the GIL released, as
/// `py.detach` runs it, and this thread's state is recorded meanwhile, so that a host callback
/// Go makes on this thread re-takes the GIL with it ([`attach_callback`]) instead of looking it
/// up through `PyGILState_Ensure`. The callables of `lend` (each its argument word's place, the
/// callable and its func type) are lent to the call first (docs/abi.md section 10.9): their
/// words, `LENT | n`, are written into `args`, and Go finds each callable on this thread while
/// the call runs. Past [`MAX_LENT`] on this thread they are registered instead (host.rs: ids Go
/// holds and releases), their ids written instead.
#[inline]
pub fn detach_for_go<'a, 'py: 'a, 's, T: Send>(
    py: Python<'py>,
    lend: impl Iterator<Item = (usize, Borrowed<'a, 'py, PyAny>, &'a Arc<Callback>)> + Clone,
    module: &'a Arc<GoModule>,
    args: &mut ScalarArgs<'s>,
    call: impl FnOnce(&mut ScalarArgs<'s>) -> T + Send,
) -> T {
    // This thread's record, reached once (each thread-local access of a shared library is a
    // call to `__tls_get_addr`).
    let calls = GO_CALLS.with(|t| t as *const GoCalls);
    // SAFETY: a thread-local's address is fixed while its thread lives, and this function, the
    // only user of the reference, runs on that thread (the detached closure below too).
    let t = unsafe { &*calls };
    /// Takes this call's lent callables back when it ends, by a panic too: no callback can
    /// reach them after that (a later lent word with their place finds another call's, or
    /// none). Made before the first is lent.
    struct Unlend<'t>(&'t GoCalls, usize);
    impl Drop for Unlend<'_> {
        fn drop(&mut self) {
            self.0.nlent.set(self.1);
        }
    }
    let base = t.nlent.get();
    let _unlend = Unlend(t, base);
    // The callables are borrowed from the call's arguments, which the caller keeps alive until
    // the call returns (vectorcall's contract; a string argument's bytes are lent on the same
    // terms, docs/abi.md 8.13).
    let (mut n, mut all) = (base, true);
    for (at, obj, cb) in lend.clone() {
        let Some(slot) = t.lent.get(n) else {
            all = false;
            break;
        };
        args.set(at, LENT | n as u64);
        slot.set(Lent {
            obj: obj.as_ptr(),
            cb: Arc::as_ptr(cb),
            module: module as *const Arc<GoModule>,
        });
        n += 1;
    }
    if !all {
        // Past MAX_LENT on this thread: all of this call's are registered instead.
        n = base;
        for (at, obj, cb) in lend {
            args.set(at, crate::host::register(&obj, cb, module));
        }
    }
    t.nlent.set(n);
    // SAFETY: the GIL is held (`py`), so the thread has a current state; the call only reads it.
    // Carried as addresses: the closure must be `Send` (it runs on this same thread).
    let (ts, calls) = (unsafe { ffi::PyThreadState_Get() } as usize, calls as usize);
    py.detach(move || {
        // SAFETY: as `t` above: this thread's record, used on this thread while it lives.
        let t = unsafe { &*(calls as *const GoCalls) };
        /// Puts back the outer state when the call ends, by a panic too: a state left behind
        /// would be restored by a later callback while this thread holds the GIL. Recorded and
        /// put back with the GIL released, so `detached` is null whenever this thread holds it.
        struct Restore<'t>(&'t GoCalls, *mut ffi::PyThreadState);
        impl Drop for Restore<'_> {
            fn drop(&mut self) {
                self.0.detached.set(self.1);
            }
        }
        let _outer = Restore(t, t.detached.replace(ts as *mut ffi::PyThreadState));
        call(args)
    })
}

/// Runs `f` with the GIL, for a host callback: on a thread whose Go call released the GIL
/// through [`detach_for_go`], with that thread state (`PyEval_RestoreThread`, and
/// `PyEval_SaveThread` after `f`); anywhere else through `Python::try_attach`. None when the
/// interpreter cannot be attached to (it is shutting down).
///
/// With the saved state, pyo3's attach count stays as the Go call's `detach` left it (zero):
/// a `Py` dropped in `f` is released at the end of that call (pyo3's pool), a `Bound` at once,
/// and a `Python::attach` inside `f` finds this thread's state current and does not wait.
pub fn attach_callback<R>(f: impl FnOnce(Python<'_>) -> R) -> Option<R> {
    GO_CALLS.with(|t| attach_with(t, t.detached.replace(ptr::null_mut()), f))
}

/// A lent callable's callback (docs/abi.md section 10.9): runs `f` with the GIL, as
/// [`attach_callback`] does, on the callable this thread lent at place `n`, its func type and
/// module. Outer None when this thread has lent none there (a host object unknown here); inner
/// None when the interpreter cannot be attached to.
pub fn attach_lent<R>(
    n: u64,
    f: impl FnOnce(Python<'_>, &Bound<'_, PyAny>, &Callback, &Arc<GoModule>) -> R,
) -> Option<Option<R>> {
    GO_CALLS.with(|t| {
        let lent = usize::try_from(n)
            .ok()
            .filter(|&n| n < t.nlent.get())
            .and_then(|n| t.lent.get(n))?
            .get();
        Some(attach_with(t, t.detached.replace(ptr::null_mut()), |py| {
            // SAFETY: `lent` is on this thread's stack of lent callables, so the
            // `detach_for_go` that pushed it is running on this thread, below this callback:
            // the callable (borrowed from that call's arguments, which its caller keeps alive),
            // the func type and the module it borrowed outlive this callback, which uses them
            // only while it runs. The GIL is held (`attach_with`).
            let (obj, cb, module) =
                unsafe { (Borrowed::from_ptr(py, lent.obj), &*lent.cb, &*lent.module) };
            f(py, &obj, cb, module)
        }))
    })
}

/// [`attach_callback`] with the state `ts` taken out of this thread's record `t` (null: none),
/// put back after `f`.
fn attach_with<R>(
    t: &GoCalls,
    ts: *mut ffi::PyThreadState,
    f: impl FnOnce(Python<'_>) -> R,
) -> Option<R> {
    if ts.is_null() {
        return Python::try_attach(f);
    }
    // SAFETY: `ts` is this thread's state, recorded by `detach_for_go` before this thread
    // released the GIL with it (pyo3's detach: `PyEval_SaveThread`) and taken out by the
    // caller, so the GIL is released on this thread and no one else restores `ts`; the
    // interpreter lives (this thread is inside a call Python made, and the host refuses
    // callbacks once it closes).
    unsafe { ffi::PyEval_RestoreThread(ts) };
    // SAFETY: the GIL is held with this thread's state (above) until `PyEval_SaveThread` below.
    let py = unsafe { Python::assume_attached() };
    let r = catch_unwind(AssertUnwindSafe(|| f(py)));
    // SAFETY: the GIL is held by this thread (restored above; `f` released and re-took it in
    // balanced pairs if at all); releasing it gives back the same state.
    let ts = unsafe { ffi::PyEval_SaveThread() };
    t.detached.set(ts);
    match r {
        Ok(r) => Some(r),
        Err(payload) => std::panic::resume_unwind(payload),
    }
}

// --- The metaclass of record classes: their class call through vectorcall (ADR 0033). ------

/// `usegolib._native.RecordMeta`, made once (by `_pickle`, from its `GoType`).
static RECORD_META: PyOnceLock<Py<PyType>> = PyOnceLock::new();
/// The byte offset, in a class of `RecordMeta`, of its vectorcall function (`RecordMeta`'s
/// `__vectorcalloffset__`: the base metaclass's `__basicsize__`).
static RECORD_META_OFFSET: std::sync::atomic::AtomicIsize = std::sync::atomic::AtomicIsize::new(0);
/// The base metaclass's `tp_call` (`type_call`): the class call a record class falls back to.
static RECORD_META_CALL: std::sync::atomic::AtomicPtr<c_void> =
    std::sync::atomic::AtomicPtr::new(ptr::null_mut());

/// The metaclass of the generated record classes, made from `base` (`_pickle.GoType`, a
/// Python subclass of `type`) on the first call and added to the module as `RecordMeta`: a
/// subclass of `base` whose instances (the classes) have one more pointer, their vectorcall
/// function (PEP 590, read by CPython at `__vectorcalloffset__`). A class `_record_class` makes
/// and registers holds [`record_vectorcall`] there; any other class of the metaclass (a user's
/// subclass of a record class) holds null, and CPython calls it with `tp_call`, `type_call`.
#[pyfunction]
#[pyo3(pass_module)]
pub fn record_meta<'py>(
    m: &Bound<'py, PyModule>,
    base: &Bound<'py, PyType>,
) -> PyResult<Bound<'py, PyType>> {
    let py = m.py();
    let tp = RECORD_META
        .get_or_try_init(py, || make_record_meta(base))?
        .bind(py)
        .clone();
    m.add("RecordMeta", &tp)?;
    Ok(tp)
}

fn make_record_meta(base: &Bound<'_, PyType>) -> PyResult<Py<PyType>> {
    let py = base.py();
    if !base.is_subclass_of::<PyType>()? {
        return Err(PyTypeError::new_err(
            "RecordMeta's base must be a metaclass",
        ));
    }
    let offset: ffi::Py_ssize_t = base
        .getattr(pyo3::intern!(py, "__basicsize__"))?
        .extract()?;
    let align = std::mem::align_of::<ffi::vectorcallfunc>() as ffi::Py_ssize_t;
    let slot_of = |s: c_int| {
        // SAFETY: `base` is a valid type; `PyType_GetSlot` reads a heap type's slot (a static
        // type's on 3.10+), null when not set.
        unsafe { ffi::PyType_GetSlot(base.as_type_ptr(), s) }
    };
    let [call, traverse, clear] =
        [ffi::Py_tp_call, ffi::Py_tp_traverse, ffi::Py_tp_clear].map(slot_of);
    if offset <= 0 || offset % align != 0 || call.is_null() || traverse.is_null() {
        return Err(PyTypeError::new_err(
            "RecordMeta's base has no aligned size, no tp_call or no tp_traverse",
        ));
    }
    // CPython copies the members into the type; the table is leaked once per process anyway
    // (as `GoCallable`'s).
    let members = Box::leak(Box::new([
        ffi::PyMemberDef {
            name: c"__vectorcalloffset__".as_ptr(),
            type_code: ffi::Py_T_PYSSIZET,
            offset,
            flags: ffi::Py_READONLY,
            doc: ptr::null(),
        },
        ffi::PyMemberDef::default(),
    ]));
    let slot = |slot: c_int, pfunc: *mut c_void| ffi::PyType_Slot { slot, pfunc };
    let mut slots = [
        // PEP 590: a type with HAVE_VECTORCALL has a tp_call, checked before inheritance.
        slot(ffi::Py_tp_call, call),
        // The base's GC functions (a class's references are the base's: the vectorcall
        // pointer is no object), given as CPython requires them with HAVE_GC.
        slot(ffi::Py_tp_traverse, traverse),
        slot(ffi::Py_tp_clear, clear),
        slot(ffi::Py_tp_members, members.as_mut_ptr().cast()),
        slot(
            ffi::Py_tp_doc,
            c"The metaclass of the classes of Go structs: GoType, their class call in C.".as_ptr()
                as *mut c_void,
        ),
        ffi::PyType_Slot::default(),
    ];
    let flags = ffi::Py_TPFLAGS_DEFAULT
        | ffi::Py_TPFLAGS_HAVE_GC
        | ffi::Py_TPFLAGS_BASETYPE
        | HAVE_VECTORCALL as std::ffi::c_ulong;
    let size = offset + std::mem::size_of::<ffi::vectorcallfunc>() as ffi::Py_ssize_t;
    let mut spec = ffi::PyType_Spec {
        name: c"usegolib._native.RecordMeta".as_ptr(),
        basicsize: c_int::try_from(size)?,
        itemsize: 0,
        flags: flags as std::ffi::c_uint,
        slots: slots.as_mut_ptr(),
    };
    let bases = PyTuple::new(py, [base])?;
    // SAFETY: the spec and slots are valid for the call (the member table is leaked, the doc a
    // static C string, `call` the base's `ternaryfunc`); `bases` is a tuple of one metaclass,
    // whose instances' layout (`__basicsize__`) this type extends by one pointer (a type
    // object's member table sits past its metaclass's basicsize, so the pointer does not
    // overlap it); the GIL is held. `__vectorcalloffset__` sets `tp_vectorcall_offset` (3.9+).
    let tp = unsafe { ffi::PyType_FromSpecWithBases(&mut spec, bases.as_ptr()) };
    // SAFETY: a new reference or null with an exception set.
    let tp = unsafe { Bound::from_owned_ptr_or_err(py, tp) }?.cast_into::<PyType>()?;
    // SAFETY: as above, on the new heap type. The base's traverse must be the type's own (no
    // wrapper around it visiting the type a second time).
    if unsafe { ffi::PyType_GetSlot(tp.as_type_ptr(), ffi::Py_tp_traverse) } != traverse {
        return Err(PyTypeError::new_err(
            "RecordMeta's tp_traverse is not its base's",
        ));
    }
    // The member would read a class's function pointer as an int: the offset stays set.
    tp.delattr(pyo3::intern!(py, "__vectorcalloffset__"))?;
    RECORD_META_OFFSET.store(offset, std::sync::atomic::Ordering::Relaxed);
    RECORD_META_CALL.store(call, std::sync::atomic::Ordering::Relaxed);
    Ok(tp.unbind())
}

/// The vectorcall slot of `cls` when its type is exactly `RecordMeta`.
fn record_vectorcall_slot(cls: &Bound<'_, PyAny>) -> Option<*mut Option<ffi::vectorcallfunc>> {
    let meta = RECORD_META.get(cls.py())?;
    if !cls.get_type().is(meta.bind(cls.py())) {
        return None;
    }
    let offset = RECORD_META_OFFSET.load(std::sync::atomic::Ordering::Relaxed);
    // SAFETY: `cls` is an instance of `RecordMeta`, whose basicsize holds a pointer at
    // `offset` (inside the object's allocation: `offset` is below the basicsize).
    Some(unsafe { cls.as_ptr().cast::<u8>().offset(offset) }.cast())
}

/// Gives `cls`, a registered record class, the vectorcall [`record_vectorcall`] when its
/// metaclass is `RecordMeta` (every class `_record_class` makes); anything else is left alone.
pub fn enable_record_vectorcall(cls: &Bound<'_, PyAny>) {
    if let Some(slot) = record_vectorcall_slot(cls) {
        // SAFETY: the slot of a live class of `RecordMeta`, pointer-aligned (the offset is),
        // zeroed by `type_new` and read by CPython only under the GIL, which is held.
        unsafe { *slot = Some(record_vectorcall) };
    }
}

/// Whether the class call of `cls` goes through the record classes' vectorcall (tests).
#[pyfunction]
pub fn _record_vectorcall(cls: &Bound<'_, PyAny>) -> bool {
    record_vectorcall_slot(cls).is_some_and(|slot| {
        // SAFETY: as in `enable_record_vectorcall`: a valid, aligned slot, read under the GIL.
        let f = unsafe { *slot };
        f.is_some_and(|f| f as usize == record_vectorcall as ffi::vectorcallfunc as usize)
    })
}

/// A record class's class call, `Point(X=1.5, Tag="p")`, without the argument tuple and the
/// keyword dict of `type_call`: when the class still makes and fills its instances with
/// `RecordBase`'s `record_new` and `record_init` (read each call: `Point.__init__` may be
/// assigned later), no positional argument is given, and every keyword name is one of the
/// fields' interned names (the compiler interns the names written in a call), the instance is
/// made as `record_new` does and filled by the code `record_init` runs
/// (`convert::record::Construction::fill`). Anything else takes the class call CPython would
/// make without this function (`type_call`), with the same results and errors.
unsafe extern "C" fn record_vectorcall(
    callable: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargsf: usize,
    kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    let nargs = nargsf & !ARGUMENTS_OFFSET;
    let tp = callable.cast::<ffi::PyTypeObject>();
    // SAFETY: CPython calls a vectorcall with the GIL held and `callable` the class called (a
    // heap type, whose slots `PyType_GetSlot` reads).
    let plain = nargs == 0
        && unsafe {
            ffi::PyType_GetSlot(tp, ffi::Py_tp_new) == record_new as ffi::newfunc as *mut c_void
                && ffi::PyType_GetSlot(tp, ffi::Py_tp_init)
                    == record_init as ffi::initproc as *mut c_void
        };
    if plain {
        // SAFETY: PEP 590's arguments, as received.
        if let Some(r) = unsafe { record_vector_construct(tp, args, kwnames) } {
            return r;
        }
    }
    // SAFETY: PEP 590's arguments, as received.
    unsafe { record_call_fallback(callable, args, nargs, kwnames) }
}

/// How many instances the vector path has made (tests: which calls take it). Updated with a
/// plain load and store: only a thread holding the GIL runs it.
static RECORD_VECTOR_MADE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// How many record instances the class call's vector path has made in this process (tests).
#[pyfunction]
pub fn _record_vector_made() -> u64 {
    RECORD_VECTOR_MADE.load(std::sync::atomic::Ordering::Relaxed)
}

/// At most this many keywords take the vector path (more: `type_call`, same result).
const RECORD_VECTOR_KEYWORDS: usize = 32;

/// The vector path of [`record_vectorcall`]: None (nothing done, no exception) when a keyword
/// name is not a field's interned name or the class has no registered record type; else the
/// instance, or null with an exception set.
///
/// # Safety
/// The GIL is held; `tp` is a class whose `tp_new` and `tp_init` are `record_new` and
/// `record_init`; `args` holds the values of the keywords named in `kwnames` (a tuple of str,
/// or null for none), no positional argument.
unsafe fn record_vector_construct(
    tp: *mut ffi::PyTypeObject,
    args: *const *mut ffi::PyObject,
    kwnames: *mut ffi::PyObject,
) -> Option<*mut ffi::PyObject> {
    // Without pyo3's attach (a `PyGILState_Ensure`/`Release` and the pool's check per call,
    // ~15 ns of ~170): on success the body drops no `Py` (which pyo3 would defer to its pool
    // with its attach count at zero), only `Bound`s; an error, a panic, or the `PyErr` of a
    // class that falls back are handled under `attach`, so their references go at once.
    // SAFETY: CPython calls a vectorcall with the GIL held (the caller's contract).
    let py = unsafe { Python::assume_attached() };
    let r = catch_unwind(AssertUnwindSafe(
        || -> PyResult<Option<*mut ffi::PyObject>> {
            // SAFETY: `tp` is a live type (the class called), borrowed for the call.
            let cls = unsafe {
                Borrowed::from_ptr(py, tp.cast::<ffi::PyObject>()).cast_unchecked::<PyType>()
            };
            let target = match crate::convert::Construction::of(&cls) {
                Ok(t) if t.registered() => t,
                Ok(_) => return Ok(None),
                Err(e) => {
                    Python::attach(move |_| drop(e));
                    return Ok(None);
                }
            };
            let names = target.names();
            let nk = if kwnames.is_null() {
                0
            } else {
                // SAFETY: `kwnames` is a tuple (PEP 590).
                unsafe { ffi::PyTuple_Size(kwnames) }.max(0) as usize
            };
            if nk > RECORD_VECTOR_KEYWORDS {
                return Ok(None);
            }
            let mut keys = [ptr::null_mut::<ffi::PyObject>(); RECORD_VECTOR_KEYWORDS];
            for (j, key) in keys[..nk].iter_mut().enumerate() {
                // SAFETY: `j` is within the tuple; a borrowed reference.
                *key = unsafe { ffi::PyTuple_GetItem(kwnames, j as ffi::Py_ssize_t) };
                if !names.iter().any(|n| n.as_ptr() == *key) {
                    return Ok(None);
                }
            }
            // As `record_new` does for such a class.
            let obj = object_new(&cls)?;
            target.fill(&cls, &obj, |name| {
                let j = keys[..nk].iter().position(|&k| k == name.as_ptr());
                // SAFETY: keyword `j`'s value is `args[j]` (no positional argument), live for
                // the call; a new reference is taken.
                Ok(j.map(|j| unsafe { Borrowed::from_ptr(py, *args.add(j)) }.to_owned()))
            })?;
            let made = &RECORD_VECTOR_MADE;
            made.store(
                made.load(std::sync::atomic::Ordering::Relaxed) + 1,
                std::sync::atomic::Ordering::Relaxed,
            );
            Ok(Some(obj.into_ptr()))
        },
    ));
    match r {
        Ok(Ok(r)) => r,
        r => Some(Python::attach(|py| {
            slot_result(py, r.map(|r| r.map(|p| p.unwrap_or(ptr::null_mut()))))
        })),
    }
}

/// The class call as CPython makes it for a class without a vectorcall
/// (`_PyObject_MakeTpCall`): the positional arguments as a tuple, the keywords as a dict (none
/// when there are none), then the base metaclass's `tp_call` (`type_call`).
///
/// # Safety
/// The GIL is held; `callable` is a class of `RecordMeta`; `args` holds `nargs` positional
/// arguments followed by the values of the keywords named in `kwnames` (a tuple, or null).
unsafe fn record_call_fallback(
    callable: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargs: usize,
    kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    let call = RECORD_META_CALL.load(std::sync::atomic::Ordering::Relaxed);
    // SAFETY: set with the metaclass (before any class of it exists): its base's `tp_call`,
    // a `ternaryfunc`, never null.
    let call: ffi::ternaryfunc = unsafe { std::mem::transmute(call) };
    // SAFETY: the caller's guarantees; each reference taken is dropped below (`PyTuple_SetItem`
    // steals the one taken for it, the dict takes its own).
    unsafe {
        let tuple = ffi::PyTuple_New(nargs as ffi::Py_ssize_t);
        if tuple.is_null() {
            return ptr::null_mut();
        }
        for i in 0..nargs {
            let a = *args.add(i);
            ffi::Py_INCREF(a);
            ffi::PyTuple_SetItem(tuple, i as ffi::Py_ssize_t, a);
        }
        let nk = if kwnames.is_null() {
            0
        } else {
            ffi::PyTuple_Size(kwnames)
        };
        let mut kwds = ptr::null_mut();
        if nk > 0 {
            kwds = ffi::PyDict_New();
            if kwds.is_null() {
                ffi::Py_DECREF(tuple);
                return ptr::null_mut();
            }
            for j in 0..nk {
                let key = ffi::PyTuple_GetItem(kwnames, j);
                if ffi::PyDict_SetItem(kwds, key, *args.add(nargs + j as usize)) < 0 {
                    ffi::Py_DECREF(tuple);
                    ffi::Py_DECREF(kwds);
                    return ptr::null_mut();
                }
            }
        }
        // The recursion check `_PyObject_MakeTpCall` makes: a class whose `__init__` or
        // `__new__` calls the class again (`Point.__init__ = Point`) is a RecursionError, not a
        // C stack overflow.
        let r = if ffi::Py_EnterRecursiveCall(c" while calling a Python object".as_ptr()) != 0 {
            ptr::null_mut()
        } else {
            let r = call(callable, tuple, kwds);
            ffi::Py_LeaveRecursiveCall();
            r
        };
        ffi::Py_DECREF(tuple);
        if !kwds.is_null() {
            ffi::Py_DECREF(kwds);
        }
        r
    }
}
