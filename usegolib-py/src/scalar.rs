//! The scalar form of calls (docs/abi.md sections 8.11 and 8.13, ADRs 0032 and 0035): a Go
//! function whose parameters and results are all plain bools, ints, floats, strings and flat
//! records (a method's receiver a Go object), called with exactly its positional arguments,
//! goes to Go as 64-bit words and comes back as words (a string's bytes lent, and returned in
//! a result area), with no MessagePack on the way. Every argument the words cannot carry
//! exactly as the general form would (an int subclass, a value out of range, a wrong type, a
//! closed Go object) sends the call down the general path instead, which then gives its own
//! error: the two forms cannot be told apart from Python.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyFloat, PyInt, PyString, PyTuple};
use usegolib_abi::IntType;
use usegolib_loader::{GoModule, ScalarArgs, ScalarLayout, ScalarPart, ScalarWords};

use crate::convert::{Callback, Converter, Decoded, RecordInfo};
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

/// What one word (or, for a string, one pair of words) carries.
#[derive(Clone)]
enum Word {
    /// A method's receiver: a Go object's handle id.
    Recv,
    /// A Python callable for a func parameter: its host-object id ([`crate::host::AGAIN`] set
    /// when passed again), registered once every word is known to fit, or the word of a
    /// callable lent to the call (`LENT | n`, written by `fast::detach_for_go`, docs/abi.md
    /// section 10.9); 0 for None.
    Func(Arc<Callback>),
    Bool,
    Int(IntType),
    F32,
    F64,
    /// A string (docs/abi.md section 8.13): two words, `[address, length]` of the UTF-8 bytes
    /// CPython keeps for an exact `str` as an argument, `[offset, length]` in the result area
    /// as a result.
    Str,
}

impl Word {
    /// The word(s) of a value of `conv`'s type: a number, a bool, a string, or a func a Python
    /// callable may be (a parameter only, checked by the caller).
    fn of(conv: &Converter) -> Option<Word> {
        Some(match conv {
            Converter::Bool => Word::Bool,
            Converter::Int(t) => Word::Int(*t),
            Converter::F32 => Word::F32,
            Converter::F64 => Word::F64,
            Converter::Str => Word::Str,
            Converter::Object(info) => match info.callback() {
                Some(cb) if cb.sig.is_ok() => Word::Func(cb.clone()),
                _ => return None,
            },
            _ => return None,
        })
    }

    /// The layout part it is (the loader's, which Go derives the same way).
    fn part(&self) -> ScalarPart {
        match self {
            Word::Str => ScalarPart::Str,
            _ => ScalarPart::Word,
        }
    }

    /// Whether a record field may be of this kind: a number, a bool or a string.
    fn is_field(&self) -> bool {
        !matches!(self, Word::Recv | Word::Func(_))
    }
}

/// What one parameter or result carries.
enum Part {
    One(Word),
    /// A flat record (docs/abi.md section 8.13): its fields' words, in field order, and bit
    /// `i` set when field `i` is `omitempty` (read here, not from the field, on each result).
    Record(Arc<RecordInfo>, Vec<Word>, u64),
}

impl Part {
    fn of(conv: &Converter) -> Option<Part> {
        match conv {
            Converter::Record(rec) => {
                let words = rec
                    .fields()
                    .iter()
                    .map(|f| Word::of(&f.conv).filter(Word::is_field))
                    .collect::<Option<Vec<_>>>()?;
                let omit = mask(rec.fields().iter().map(|f| f.omitempty));
                Some(Part::Record(rec.clone(), words, omit))
            }
            c => Word::of(c).map(Part::One),
        }
    }

    fn layout(&self) -> ScalarPart {
        match self {
            Part::One(w) => w.part(),
            Part::Record(_, ws, _) => ScalarPart::Record(ws.iter().map(Word::part).collect()),
        }
    }
}

/// The field values of the record arguments of one call, read once before their words are
/// written and held until the call returns: the bytes of a string field are lent to Go, and
/// another thread may set the field meanwhile (the GIL is released during the call).
pub type Held<'py> = [Option<Bound<'py, PyAny>>; usegolib_loader::MAX_SCALAR_WORDS];

/// A function's scalar form: what each parameter and result carries, as
/// the loader's layout of it (`usegolib_loader::ScalarLayout`) has them.
pub struct ScalarSig {
    params: Vec<Part>,
    results: Vec<Part>,
    /// The first argument word of each parameter.
    at: Vec<usize>,
    /// Whether a parameter is a func (its callable is registered by [`ScalarSig::register`],
    /// or lent, [`ScalarSig::lends`]).
    funcs: bool,
    /// Bit `i`: parameter `i` is a func whose callable may be lent for the call (docs/abi.md
    /// section 10.9): Go does not keep it (`in_place`) and may call it in the scalar form.
    lend: u64,
    /// Whether a parameter is a record (its fields are read by [`ScalarSig::hold`]).
    records: bool,
}

impl ScalarSig {
    /// The scalar form of a function whose layout the loader derived (None: it has none, or
    /// the library cannot make it), when its converters agree with that layout: every
    /// parameter and result a plain scalar, a string or a flat record (a value type's class,
    /// for one, keeps the general form), the same words in the same places. Anything else is
    /// no scalar form (docs/abi.md section 8.13: a layout a host cannot derive).
    pub fn new(
        layout: Option<&ScalarLayout>,
        method: bool,
        params: &[Param],
        results: &[Param],
    ) -> Option<ScalarSig> {
        let layout = layout?;
        let mut ps = Vec::with_capacity(params.len());
        for (i, p) in params.iter().enumerate() {
            ps.push(match &p.conv {
                Converter::Object(_) if method && i == 0 => Part::One(Word::Recv),
                c => Part::of(c)?,
            });
        }
        let results = results
            .iter()
            .map(|p| Part::of(&p.conv).filter(|w| !matches!(w, Part::One(Word::Func(_)))))
            .collect::<Option<Vec<_>>>()?;
        let same = |mine: &[Part], theirs: &[ScalarPart]| {
            mine.len() == theirs.len() && mine.iter().zip(theirs).all(|(m, t)| m.layout() == *t)
        };
        if !same(&ps, &layout.params) || !same(&results, &layout.results) {
            return None;
        }
        let mut at = Vec::with_capacity(ps.len());
        let mut n = 0;
        for p in &layout.params {
            at.push(n);
            n += p.words();
        }
        let lend = mask(ps.iter().zip(params).map(|(part, p)| {
            p.in_place
                && matches!(part, Part::One(Word::Func(cb))
                    if cb.sig.as_ref().is_ok_and(|s| s.scalar))
        }));
        Some(ScalarSig {
            lend,
            funcs: ps.iter().any(|p| matches!(p, Part::One(Word::Func(_)))),
            records: ps.iter().any(|p| matches!(p, Part::Record(..))),
            params: ps,
            results,
            at,
        })
    }

    /// Whether a parameter is a func (a Python callable may be passed).
    #[inline]
    pub fn has_funcs(&self) -> bool {
        self.funcs
    }

    /// Whether a parameter is a record (its fields are read first, [`ScalarSig::hold`]).
    #[inline]
    pub fn has_records(&self) -> bool {
        self.records
    }

    /// The number of parameters (the receiver included).
    #[inline]
    pub fn nparams(&self) -> usize {
        self.params.len()
    }

    /// Reads the fields of the record arguments (argument `i` is `arg(i)`) into `held`, in
    /// field order: false when one is not exactly an instance of its record's registered
    /// class (a dict, a subclass instance: the general path takes the call).
    #[inline]
    pub fn hold<'a, 'py: 'a>(
        &self,
        held: &mut Held<'py>,
        arg: impl Fn(usize) -> Option<Borrowed<'a, 'py, PyAny>>,
    ) -> bool {
        if !self.records {
            return true;
        }
        let mut k = 0;
        for (i, p) in self.params.iter().enumerate() {
            let Part::Record(rec, ..) = p else { continue };
            let Some(obj) = arg(i) else { return false };
            let ok = rec.read_exact(&obj, |_, v| match held.get_mut(k) {
                Some(slot) => {
                    *slot = Some(v);
                    k += 1;
                    true
                }
                None => false,
            });
            if !ok {
                return false;
            }
        }
        true
    }

    /// Writes argument `i` into its words (a record's from its fields in `held`, in the order
    /// [`ScalarSig::hold`] put them, `k` the first of them, advanced past them); false when the
    /// general path must take the call.
    #[inline(always)]
    pub fn put<'a, 'py>(
        &self,
        args: &mut ScalarArgs<'a>,
        i: usize,
        obj: Borrowed<'a, 'py, PyAny>,
        held: &'a [Option<Bound<'py, PyAny>>],
        k: &mut usize,
        module: &Arc<GoModule>,
    ) -> bool {
        match &self.params[i] {
            Part::One(w) => put_word(args, w, obj, module),
            Part::Record(_, words, _) => put_fields(args, words, held, k, module),
        }
    }

    /// Registers the callables of the func parameters (host.rs) and writes their ids: after
    /// every word was put (so that a call the general path takes registers nothing here), inside
    /// the call's `CallScope` (so that a call Go refuses drops them, as the general path does).
    #[inline]
    pub fn register(
        &self,
        args: &mut ScalarArgs<'_>,
        pos: &[Option<Borrowed<'_, '_, PyAny>>],
        module: &Arc<GoModule>,
    ) {
        if !self.funcs {
            return;
        }
        for (i, p) in self.params.iter().enumerate() {
            if self.lend >> i & 1 != 0 {
                continue; // lent: `lends`
            }
            if let (Part::One(Word::Func(cb)), Some(Some(obj))) = (p, pos.get(i)) {
                if !obj.is_none() {
                    args.set(self.at[i], crate::host::register(obj, cb, module));
                }
            }
        }
    }

    /// The callables of the func parameters that may be lent (docs/abi.md section 10.9), each
    /// with its word's place and func type. None is not lent (its word is 0).
    #[inline]
    pub fn lends<'s, 'a, 'py>(
        &'s self,
        pos: &'s [Option<Borrowed<'a, 'py, PyAny>>],
    ) -> impl Iterator<Item = (usize, Borrowed<'a, 'py, PyAny>, &'s Arc<Callback>)> + Clone + 's
    {
        let lend = self.lend;
        (self.params.iter().zip(pos).enumerate()).filter_map(move |(i, (p, obj))| match (p, obj) {
            (Part::One(Word::Func(cb)), Some(obj)) if lend >> i & 1 != 0 && !obj.is_none() => {
                Some((self.at[i], *obj, cb))
            }
            _ => None,
        })
    }

    /// The Python value of the result words (strings from the result `area`): None, the one
    /// result, or a tuple of them. Records are made as the general form's decoder makes them
    /// ([`Decoded`]).
    #[inline(always)]
    pub fn results(&self, py: Python<'_>, words: &ScalarWords, area: &[u8]) -> PyResult<Py<PyAny>> {
        match self.results.len() {
            0 => Ok(py.None()),
            1 => Ok(part(py, &self.results[0], words, &mut 0, area)?.unbind()),
            _ => self.tuple(py, words, area),
        }
    }

    /// The results as a tuple (more than one).
    #[inline(never)]
    fn tuple(&self, py: Python<'_>, words: &ScalarWords, area: &[u8]) -> PyResult<Py<PyAny>> {
        let mut k = 0;
        let mut items = Vec::with_capacity(self.results.len());
        for p in &self.results {
            items.push(part(py, p, words, &mut k, area)?);
        }
        Ok(PyTuple::new(py, items)?.into_any().unbind())
    }
}

/// Writes the words of a record argument's fields, held in `held` from `*k` (advanced past
/// them); false when the general path must take the call.
#[inline(never)]
fn put_fields<'a>(
    args: &mut ScalarArgs<'a>,
    words: &[Word],
    held: &'a [Option<Bound<'_, PyAny>>],
    k: &mut usize,
    module: &Arc<GoModule>,
) -> bool {
    words.iter().all(|w| {
        let v = held.get(*k).and_then(Option::as_ref);
        *k += 1;
        v.is_some_and(|v| put_word(args, w, v.as_borrowed(), module))
    })
}

/// Writes the word(s) of `obj` for `w`; false (nothing written) when the general path must
/// take the call.
#[inline(always)]
fn put_word<'a>(
    args: &mut ScalarArgs<'a>,
    w: &Word,
    obj: Borrowed<'a, '_, PyAny>,
    module: &Arc<GoModule>,
) -> bool {
    let word = match w {
        // An exact str that encodes to UTF-8 strictly (one with lone surrogates, as
        // `surrogateescape` makes, goes the general way, which turns them back into bytes).
        Word::Str => {
            return obj.is_exact_instance_of::<PyString>()
                && crate::fast::str_utf8(obj).is_some_and(|b| args.push_str(b));
        }
        // None is nil; a callable (not a Go func object, which the general path sends as a
        // handle) gets its id in `register`.
        Word::Func(_) if obj.is_none() => Some(0),
        Word::Func(_) => (obj.cast::<PyGoObject>().is_err() && obj.is_callable()).then_some(0),
        Word::Recv => obj
            .cast::<PyGoObject>()
            .ok()
            .and_then(|h| h.get().id_for(module).ok()),
        Word::Bool => obj.cast::<PyBool>().ok().map(|b| u64::from(b.is_true())),
        Word::Int(t) => int_word(&obj, *t),
        Word::F64 => float(&obj).map(f64::to_bits),
        Word::F32 => float(&obj).and_then(|f| {
            let r = f as f32;
            // A finite value beyond float32's range: the general path's OverflowError.
            (!f.is_finite() || r.is_finite()).then(|| f64::from(r).to_bits())
        }),
    };
    word.is_some_and(|w| args.push(w))
}

/// The Python value of the result part `p` at word `*k` (advanced past it).
#[inline(always)]
fn part<'py>(
    py: Python<'py>,
    p: &Part,
    words: &ScalarWords,
    k: &mut usize,
    area: &[u8],
) -> PyResult<Bound<'py, PyAny>> {
    match p {
        Part::One(w) => word(py, w, words, k, area),
        Part::Record(rec, ws, omit) => record(py, rec, ws, *omit, words, k, area),
    }
}

/// The record of a result part: made as the general decoder makes it ([`Decoded`]).
#[inline(never)]
fn record<'py>(
    py: Python<'py>,
    rec: &RecordInfo,
    ws: &[Word],
    omit: u64,
    words: &ScalarWords,
    k: &mut usize,
    area: &[u8],
) -> PyResult<Bound<'py, PyAny>> {
    let mut out = Decoded::new(py, rec)?;
    for (i, w) in ws.iter().enumerate() {
        // Go leaves an empty omitempty field out of the general form's reply: the record is
        // made as that reply makes it.
        let empty = omit >> i & 1 != 0
            && match w {
                Word::Str => words[*k + 1] == 0,
                Word::F32 | Word::F64 => f64::from_bits(words[*k]) == 0.0,
                _ => words[*k] == 0,
            };
        if empty {
            *k += if matches!(w, Word::Str) { 2 } else { 1 };
            continue;
        }
        out.set(i, word(py, w, words, k, area)?)?;
    }
    out.finish()
}

/// The Python value of the result word(s) of `w` at word `*k` (advanced past them).
#[inline(always)]
fn word<'py>(
    py: Python<'py>,
    w: &Word,
    words: &ScalarWords,
    k: &mut usize,
    area: &[u8],
) -> PyResult<Bound<'py, PyAny>> {
    let v = words[*k];
    *k += 1;
    Ok(match w {
        Word::Bool => PyBool::new(py, v == 1).to_owned().into_any(),
        Word::Int(t) if t.signed => (v as i64).into_pyobject(py)?.into_any(),
        Word::Int(_) => v.into_pyobject(py)?.into_any(),
        Word::Str => {
            let len = words[*k];
            *k += 1;
            let Some(b) = usegolib_loader::scalar_result_str(area, v, len) else {
                return Err(crate::convert::bad_reply(format!(
                    "a string result at {v}..+{len} is outside the result area of {} bytes",
                    area.len()
                )));
            };
            crate::convert::decode_bytes(py, b)?.into_bound(py)
        }
        Word::F32 | Word::F64 => PyFloat::new(py, f64::from_bits(v)).into_any(),
        // Never a result (`ScalarSig::new` takes no such result): a reply, not a wrong value.
        Word::Recv | Word::Func(_) => {
            return Err(crate::convert::bad_reply(
                "a receiver or func word among a scalar call's results".to_owned(),
            ))
        }
    })
}

/// The word of an exact int in the range of `t`; None for anything else.
#[inline(always)]
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

/// The bits `i` for which the `i`-th item is true (none past 64).
fn mask(bits: impl Iterator<Item = bool>) -> u64 {
    bits.enumerate()
        .filter(|&(_, b)| b)
        .fold(0, |m, (i, _)| m | 1u64.checked_shl(i as u32).unwrap_or(0))
}
