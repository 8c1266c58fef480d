//! The scalar form of calls (docs/abi.md section 8.11, ADR 0032): a Go function whose
//! parameters and results are all plain bools, ints and floats (a method's receiver a Go
//! object), called with exactly its positional arguments, goes to Go as 64-bit words and comes
//! back as words, with no MessagePack on the way. Every argument the words cannot carry
//! exactly as the general form would (an int subclass, a value out of range, a wrong type, a
//! closed Go object) sends the call down the general path instead, which then gives its own
//! error: the two forms cannot be told apart from Python.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyFloat, PyInt, PyTuple};
use usegolib_abi::IntType;
use usegolib_loader::{GoModule, ScalarWords};

use crate::convert::{Callback, Converter};
use crate::handle::PyGoObject;
use crate::signature::Param;

/// Whether calls may take the scalar form: off with `USEGOLIB_NO_SCALAR_CALLS=1` in the
/// environment at import, or through `_native._scalar_calls(False)` (for tests that compare
/// the two forms).
static ENABLED: AtomicBool = AtomicBool::new(true);

/// Reads the environment switch (module init).
pub fn init() {
    let off = std::env::var_os("USEGOLIB_NO_SCALAR_CALLS").is_some_and(|v| v == "1");
    ENABLED.store(!off, Ordering::Relaxed);
}

#[inline]
pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// `_native._scalar_calls(enabled=None)`: turns the scalar form of calls on or off for the
/// process (None: leaves it), and returns whether it was on.
#[pyfunction]
#[pyo3(signature = (enabled=None))]
pub fn _scalar_calls(enabled: Option<bool>) -> bool {
    match enabled {
        Some(on) => ENABLED.swap(on, Ordering::Relaxed),
        None => ENABLED.load(Ordering::Relaxed),
    }
}

/// What one word carries.
#[derive(Clone)]
enum Word {
    /// A method's receiver: a Go object's handle id.
    Recv,
    /// A Python callable for a func parameter: its host-object id ([`crate::host::AGAIN`] set
    /// when passed again), 0 for None; registered once every word is known to fit.
    Func(Arc<Callback>),
    Bool,
    Int(IntType),
    F32,
    F64,
}

impl Word {
    fn of(conv: &Converter) -> Option<Word> {
        Some(match conv {
            Converter::Bool => Word::Bool,
            Converter::Int(t) => Word::Int(*t),
            Converter::F32 => Word::F32,
            Converter::F64 => Word::F64,
            Converter::Object(info) => match info.callback() {
                Some(cb) if cb.sig.is_ok() => Word::Func(cb.clone()),
                _ => return None,
            },
            _ => return None,
        })
    }
}

/// A function's scalar form: its scalar index and what each word carries.
pub struct ScalarSig {
    index: u64,
    params: Vec<Word>,
    results: Vec<Word>,
    /// Whether a parameter is a func (its callable is registered by [`ScalarSig::register`]).
    funcs: bool,
}

impl ScalarSig {
    /// The scalar form of a function with scalar index `index` (None: it has none, or the
    /// library cannot make it), when its converters agree that every parameter and result is a
    /// plain scalar (a value type's class, for one, keeps the general form).
    pub fn new(
        index: Option<u64>,
        method: bool,
        params: &[Param],
        results: &[Param],
    ) -> Option<ScalarSig> {
        let index = index?;
        let max = usegolib_loader::MAX_SCALAR_WORDS;
        if params.len() > max || results.len() > max {
            return None;
        }
        let mut words = Vec::with_capacity(params.len());
        for (i, p) in params.iter().enumerate() {
            words.push(match &p.conv {
                Converter::Object(_) if method && i == 0 => Word::Recv,
                c => Word::of(c)?,
            });
        }
        let results = results
            .iter()
            .map(|p| Word::of(&p.conv).filter(|w| !matches!(w, Word::Func(_))))
            .collect::<Option<Vec<_>>>()?;
        Some(ScalarSig {
            index,
            funcs: words.iter().any(|w| matches!(w, Word::Func(_))),
            params: words,
            results,
        })
    }

    /// Registers the callables of the func parameters (host.rs) and writes their ids: after
    /// every word was put (so that a call the general path takes registers nothing here), inside
    /// the call's `CallScope` (so that a call Go refuses drops them, as the general path does).
    #[inline]
    pub fn register(
        &self,
        words: &mut ScalarWords,
        args: &[Option<Borrowed<'_, '_, PyAny>>],
        module: &Arc<GoModule>,
    ) {
        if !self.funcs {
            return;
        }
        for (i, w) in self.params.iter().enumerate() {
            if let (Word::Func(cb), Some(Some(obj))) = (w, args.get(i)) {
                if !obj.is_none() {
                    words[i] = crate::host::register(obj, cb, module);
                }
            }
        }
    }

    /// Whether a parameter is a func (a Python callable may be passed).
    #[inline]
    pub fn has_funcs(&self) -> bool {
        self.funcs
    }

    /// The scalar index.
    #[inline]
    pub fn index(&self) -> u64 {
        self.index
    }

    /// The number of argument words (the receiver included).
    #[inline]
    pub fn nargs(&self) -> usize {
        self.params.len()
    }

    /// Writes argument `i` into its word; false when the general path must take the call.
    #[inline]
    pub fn put(
        &self,
        words: &mut ScalarWords,
        i: usize,
        obj: &Bound<'_, PyAny>,
        module: &Arc<GoModule>,
    ) -> bool {
        let w = match &self.params[i] {
            // None is nil; a callable (not a Go func object, which the general path sends as a
            // handle) gets its id in `register`.
            Word::Func(_) if obj.is_none() => Some(0),
            Word::Func(_) => (obj.cast::<PyGoObject>().is_err() && obj.is_callable()).then_some(0),
            Word::Recv => obj
                .cast::<PyGoObject>()
                .ok()
                .and_then(|h| h.get().id_for(module).ok()),
            Word::Bool => obj.cast::<PyBool>().ok().map(|b| u64::from(b.is_true())),
            Word::Int(t) => int_word(obj, *t),
            Word::F64 => float(obj).map(f64::to_bits),
            Word::F32 => float(obj).and_then(|f| {
                let r = f as f32;
                // A finite value beyond float32's range: the general path's OverflowError.
                (!f.is_finite() || r.is_finite()).then(|| f64::from(r).to_bits())
            }),
        };
        match w {
            Some(w) => {
                words[i] = w;
                true
            }
            None => false,
        }
    }

    /// The Python value of the result words: None, the one result, or a tuple of them.
    pub fn results(&self, py: Python<'_>, words: &ScalarWords) -> PyResult<Py<PyAny>> {
        let one = |i: usize| -> PyResult<Py<PyAny>> {
            let w = words[i];
            Ok(match self.results[i] {
                Word::Bool => PyBool::new(py, w == 1).to_owned().into_any().unbind(),
                Word::Int(t) if t.signed => (w as i64).into_pyobject(py)?.into_any().unbind(),
                Word::Int(_) => w.into_pyobject(py)?.into_any().unbind(),
                Word::F32 | Word::F64 | Word::Recv | Word::Func(_) => {
                    PyFloat::new(py, f64::from_bits(w)).into_any().unbind()
                }
            })
        };
        match self.results.len() {
            0 => Ok(py.None()),
            1 => one(0),
            n => {
                let items = (0..n).map(one).collect::<PyResult<Vec<_>>>()?;
                Ok(PyTuple::new(py, items)?.into_any().unbind())
            }
        }
    }
}

/// The word of an exact int in the range of `t`; None for anything else.
#[inline]
fn int_word(obj: &Bound<'_, PyAny>, t: IntType) -> Option<u64> {
    if !obj.is_exact_instance_of::<PyInt>() {
        return None; // a bool, an int subclass (its own __index__), or not an int
    }
    let n = crate::fast::int_value(obj)?;
    (n >= t.min() && n <= t.max()).then_some(n as u64)
}

/// The value of an exact float, or of an exact int that converts; None for anything else.
#[inline]
fn float(obj: &Bound<'_, PyAny>) -> Option<f64> {
    if let Ok(f) = obj.cast_exact::<PyFloat>() {
        return Some(f.value());
    }
    if obj.is_exact_instance_of::<PyInt>() {
        return crate::fast::int_as_f64(obj);
    }
    None
}
