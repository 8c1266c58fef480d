//! `@K`: a Go struct as a record: an instance of its generated class or a dict in, an instance
//! (or, before the class is registered, a dict) out. Record validation (required fields,
//! unknown fields, field names, dict or class) lives here and nowhere else.

use std::sync::{Arc, OnceLock};

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyTuple, PyType};
use usegolib_abi::{write_map_len, write_str, Reader, RecordField, Token};
use usegolib_loader::GoModule;

use super::{bad_reply, malformed, Converter, Encoder};
use crate::args::{changed, for_each_item, not_str_key, type_name, ArgError, Step};
use crate::handle::PyGoObject;

/// A record type, prepared once per module.
pub struct RecordInfo {
    /// `<import path>.<Name>`.
    pub key: String,
    /// The Go type name.
    pub name: String,
    /// The package's import path.
    pub package: String,
    /// The fields, set once every record of the module has its info (fields may refer to
    /// records, their own among them); never set for a key the schema does not describe.
    fields: OnceLock<Vec<Field>>,
    /// The class the Python package made for it.
    class: OnceLock<RecordClass>,
}

/// A field of a record, with its converter.
pub struct Field {
    /// The Python attribute name ([`crate::naming::field_name`]).
    pub py_name: String,
    /// The key on the wire.
    pub key: String,
    /// The Go field name.
    pub go_name: String,
    /// The Go type as written.
    pub go_type: String,
    /// The wire type as the schema spells it.
    pub wire: String,
    /// Whether input must give it.
    pub required: bool,
    /// Whether Go leaves its empty value out of a reply (`omitempty`, docs/abi.md section 8.2).
    pub omitempty: bool,
    /// GoDoc text.
    pub doc: String,
    /// Whether the field takes None (Go nil): [`WireType::nilable`](usegolib_abi::WireType::nilable).
    pub nilable: bool,
    pub conv: Converter,
    /// The key as it is written: a MessagePack str, header included.
    wire_key: Vec<u8>,
}

impl Field {
    pub fn new(f: &RecordField, doc: String, conv: Converter) -> Field {
        let mut wire_key = Vec::with_capacity(f.key.len() + 5);
        write_str(&mut wire_key, f.key.as_bytes());
        Field {
            wire_key,
            py_name: crate::naming::field_name(&f.key, &f.name),
            key: f.key.clone(),
            go_name: f.name.clone(),
            go_type: f.go.clone(),
            wire: f.ty.to_string(),
            required: f.required,
            omitempty: false,
            doc,
            nilable: f.ty.nilable(),
            conv,
        }
    }
}

/// What a record class holds as `__usegolib_record__`: its record type.
#[pyclass(frozen, module = "usegolib._native")]
pub struct RecordRef(Arc<RecordInfo>);

/// A registered record class, with the attribute name of each field as a Python string.
struct RecordClass {
    cls: Py<PyType>,
    names: Vec<Py<PyString>>,
}

impl RecordInfo {
    pub fn new(key: &str, name: &str, package: String) -> RecordInfo {
        RecordInfo {
            key: key.to_owned(),
            name: name.to_owned(),
            package,
            fields: OnceLock::new(),
            class: OnceLock::new(),
        }
    }

    pub(super) fn set_fields(&self, fields: Vec<Field>) {
        let _ = self.fields.set(fields);
    }

    /// The fields (none for a key the schema does not describe).
    pub fn fields(&self) -> &[Field] {
        self.fields.get().map_or(&[], Vec::as_slice)
    }

    /// Registers the Python class made for this record (the first registration stays), and
    /// gives the class its `__usegolib_record__` attribute, by which constructing it finds its
    /// fields ([`construct`]). A TypeError for an object that is not a class.
    pub fn set_class(self: &Arc<Self>, py: Python<'_>, cls: Py<PyAny>) -> PyResult<()> {
        let bound = cls.bind(py).cast::<PyType>().cloned().map_err(|_| {
            PyTypeError::new_err(format!(
                "the class registered for record type {} must be a class, not {}",
                self.key,
                cls.bind(py)
                    .get_type()
                    .name()
                    .map_or_else(|_| "?".into(), |n| n.to_string())
            ))
        })?;
        let names = self
            .fields()
            .iter()
            .map(|f| PyString::intern(py, &f.py_name).unbind())
            .collect();
        let first = self
            .class
            .set(RecordClass {
                cls: bound.clone().unbind(),
                names,
            })
            .is_ok();
        bound.setattr(
            pyo3::intern!(py, "__usegolib_record__"),
            RecordRef(self.clone()),
        )?;
        if first {
            // A class of `RecordMeta` (every class `_record_class` makes) is then called
            // through its vectorcall (fast.rs, ADR 0033).
            crate::fast::enable_record_vectorcall(&bound);
        }
        Ok(())
    }

    /// The registered class, if any.
    pub fn class(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.class.get().map(|c| c.cls.clone_ref(py).into_any())
    }

    /// Whether `v` is this record's registered class or an instance of it.
    pub(super) fn is_class_or_instance(&self, v: &Bound<'_, PyAny>) -> bool {
        self.class.get().is_some_and(|c| {
            let cls = c.cls.bind(v.py());
            v.is(cls) || v.is_instance(cls).unwrap_or(false)
        })
    }

    /// Reads the fields of `obj` when it is exactly this record's registered class (not a
    /// subclass, not a dict) and that class has the generic attribute lookup, in field order,
    /// each as `getattr` reads it (an interned name): `each(i, value)` returns false to stop.
    /// False when `obj` is not such an instance, its class has its own attribute hook, an
    /// attribute is missing, or `each` stopped.
    #[inline]
    pub fn read_exact<'py>(
        &self,
        obj: &Bound<'py, PyAny>,
        mut each: impl FnMut(usize, Bound<'py, PyAny>) -> bool,
    ) -> bool {
        let Some(class) = self.class.get() else {
            return false;
        };
        let py = obj.py();
        let ty = class.cls.bind(py);
        if !obj.is_exact_instance(ty) {
            return false;
        }
        // A class with its own `__getattribute__`/`__getattr__` goes the general way: a read
        // here that the general form then repeats (a field the words cannot carry) would run
        // its hook twice, and the two forms could be told apart.
        if !crate::fast::generic_get(ty) {
            return false;
        }
        class.names.iter().enumerate().all(|(i, name)| {
            crate::fast::generic_getattr(obj, name.bind(py)).is_ok_and(|v| each(i, v))
        })
    }

    /// The field that a dict key names: its wire key, Go name or Python name.
    fn field_index(&self, k: &str) -> Option<usize> {
        self.fields()
            .iter()
            .position(|f| f.key == k || f.go_name == k || f.py_name == k)
    }
}

/// Writes a record from a dict (keys: wire keys, Go or Python field names) or an instance of its
/// class.
#[inline(never)]
pub(super) fn encode<'py>(
    enc: &mut Encoder<'_>,
    out: &mut Vec<u8>,
    rec: &RecordInfo,
    obj: &Bound<'py, PyAny>,
) -> Result<(), ArgError> {
    let Some(fields) = rec.fields.get() else {
        return Err(ArgError::Type(format!("unknown record type {}", rec.key)));
    };
    if let Ok(d) = obj.cast::<PyDict>() {
        return encode_dict(enc, out, rec, fields, d);
    }
    let py = obj.py();
    let Some(class) = rec
        .class
        .get()
        .filter(|c| obj.is_instance(c.cls.bind(py)).unwrap_or(false))
    else {
        return Err(ArgError::Type(format!(
            "expected {} or dict, got {}",
            rec.name,
            type_name(obj)
        )));
    };
    if fields.len() > 15 {
        let mut given: Vec<(usize, Bound<'py, PyAny>, Option<String>)> =
            Vec::with_capacity(fields.len());
        for (i, (f, name)) in fields.iter().zip(&class.names).enumerate() {
            if let Some(v) = attribute(rec, f, obj, name.bind(py))? {
                given.push((i, v, None));
            }
        }
        return write_fields(enc, out, rec, fields, given, obj);
    }
    // Up to 15 fields the map's header is one byte: written first, its count set once the
    // fields are written (no list of the values in between).
    enc.open(obj)?;
    let at = out.len();
    out.push(0x80);
    let mut n = 0;
    for (f, name) in fields.iter().zip(&class.names) {
        if let Some(v) = attribute(rec, f, obj, name.bind(py))? {
            n += 1;
            write_field(enc, out, rec, f, &v, None, obj)?;
        }
    }
    out[at] = 0x80 | n;
    enc.close();
    Ok(())
}

/// The value of a record's field read from an instance of its class: None (left out) for None
/// in a field that cannot be nil, unless it is required (an error).
#[inline]
fn attribute<'py>(
    rec: &RecordInfo,
    f: &Field,
    obj: &Bound<'py, PyAny>,
    name: &Bound<'py, PyString>,
) -> Result<Option<Bound<'py, PyAny>>, ArgError> {
    let v = obj.getattr(name)?;
    if v.is_none() && !f.nilable {
        if f.required {
            return Err(ArgError::Type(format!(
                "struct {}: field {} ({} {}) is None",
                rec.name, f.py_name, f.go_name, f.go_type
            )));
        }
        return Ok(None);
    }
    Ok(Some(v))
}

fn encode_dict<'py>(
    enc: &mut Encoder<'_>,
    out: &mut Vec<u8>,
    rec: &RecordInfo,
    fields: &[Field],
    d: &Bound<'py, PyDict>,
) -> Result<(), ArgError> {
    let mut given: Vec<(usize, Bound<'py, PyAny>, Option<String>)> = Vec::with_capacity(d.len());
    for_each_item(
        d,
        || changed("dict"),
        |k, v| {
            let Ok(k) = k.extract::<String>() else {
                return Err(not_str_key(&format!("struct {}:", rec.name), &k));
            };
            let Some(i) = rec.field_index(&k) else {
                let known: Vec<&str> = fields.iter().map(|f| f.key.as_str()).collect();
                return Err(ArgError::Type(format!(
                    "struct {}: unknown field {k:?} (fields: {})",
                    rec.name,
                    known.join(", ")
                )));
            };
            if given.iter().any(|(j, _, _)| *j == i) {
                return Err(ArgError::Type(format!(
                    "struct {}: field {k:?} given twice",
                    rec.name
                )));
            }
            given.push((i, v, Some(k)));
            Ok(())
        },
    )?;
    for (i, f) in fields.iter().enumerate() {
        if f.required && !given.iter().any(|(j, _, _)| *j == i) {
            return Err(ArgError::Type(format!(
                "struct {}: missing required field {} ({} {})",
                rec.name, f.key, f.go_name, f.go_type
            )));
        }
    }
    given.sort_by_key(|(i, _, _)| *i);
    write_fields(enc, out, rec, fields, given, d.as_any())
}

/// Writes the given fields of a record, read from `obj`: each with its index, value and, from a
/// dict, the key it was given under.
fn write_fields<'py>(
    enc: &mut Encoder<'_>,
    out: &mut Vec<u8>,
    rec: &RecordInfo,
    fields: &[Field],
    given: Vec<(usize, Bound<'py, PyAny>, Option<String>)>,
    obj: &Bound<'py, PyAny>,
) -> Result<(), ArgError> {
    enc.open(obj)?;
    write_map_len(out, given.len());
    for (i, v, key) in given {
        write_field(enc, out, rec, &fields[i], &v, key, obj)?;
    }
    enc.close();
    Ok(())
}

/// Writes one field of a record, its key then its value `v` read from `obj` (from a dict, under
/// `key`).
#[inline]
fn write_field(
    enc: &mut Encoder<'_>,
    out: &mut Vec<u8>,
    rec: &RecordInfo,
    f: &Field,
    v: &Bound<'_, PyAny>,
    key: Option<String>,
    obj: &Bound<'_, PyAny>,
) -> Result<(), ArgError> {
    out.extend_from_slice(&f.wire_key);
    enc.value(out, &f.conv, v).map_err(|e| {
        let step = match key {
            Some(k) => Step::Key(k),
            None => Step::Attr(f.py_name.clone()),
        };
        let what = || {
            format!(
                "struct {}: field {} ({} {})",
                rec.name, f.py_name, f.go_name, f.go_type
            )
        };
        e.located(what, step, obj)
    })
}

/// Fills `obj`, an instance of the record class `cls` (or of a subclass), from the `__init__`
/// call's arguments, as the dataclass `__init__` of a `kw_only` dataclass would (same errors,
/// named after the record class, which defines that `__init__`): each field given as a keyword,
/// else its Go zero value (a new list, dict or record for a slice, map or struct); every field
/// is set, so `p.__init__(x=1)` resets the others as a dataclass's did. The `tp_init` of the
/// classes' base type (`RecordBase`, fast.rs), one C call.
pub fn construct(
    cls: &Bound<'_, PyType>,
    obj: &Bound<'_, PyAny>,
    args: &Bound<'_, PyTuple>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<()> {
    let py = cls.py();
    let target = Construction::of(cls)?;
    let (_, class) = target.parts()?;
    let owner = class.cls.bind(py);
    if !args.is_empty() {
        return Err(PyTypeError::new_err(format!(
            "{}.__init__() takes 1 positional argument but {} were given",
            owner.qualname()?,
            args.len() + 1
        )));
    }
    let used = target.fill(cls, obj, |name| {
        kwargs
            .map(|k| k.get_item(name))
            .transpose()
            .map(Option::flatten)
    })?;
    if let Some(k) = kwargs.filter(|k| k.len() > used) {
        for key in k.keys() {
            if !class
                .names
                .iter()
                .any(|n| PyAnyMethods::eq(n.bind(py).as_any(), &key).unwrap_or(false))
            {
                return Err(PyTypeError::new_err(format!(
                    "{}.__init__() got an unexpected keyword argument {}",
                    owner.qualname()?,
                    key.repr()?
                )));
            }
        }
    }
    Ok(())
}

/// The record type of a record class being constructed (its `__usegolib_record__`): what
/// [`construct`] (the keywords as a dict) and the class's vectorcall (fast.rs, the keywords as
/// a vector) both fill an instance with, by [`Construction::fill`].
pub struct Construction<'py> {
    info: Bound<'py, RecordRef>,
}

impl<'py> Construction<'py> {
    /// The record type of `cls` (an error naming it when it has none).
    pub fn of(cls: &Bound<'py, PyType>) -> PyResult<Self> {
        let py = cls.py();
        let Ok(info) = cls.getattr(pyo3::intern!(py, "__usegolib_record__")) else {
            return Err(PyTypeError::new_err(format!(
                "{} is not a record class: RecordBase is the base of the classes of Go structs",
                cls.qualname()?
            )));
        };
        Ok(Construction {
            info: info.cast_into::<RecordRef>()?,
        })
    }

    /// The record type's registered class, if any.
    fn class(&self) -> Option<&RecordClass> {
        self.info.get().0.class.get()
    }

    fn parts(&self) -> PyResult<(&RecordInfo, &RecordClass)> {
        let rec = &self.info.get().0;
        match self.class() {
            Some(class) => Ok((rec, class)),
            None => Err(PyTypeError::new_err(format!(
                "record type {} has no class",
                rec.key
            ))),
        }
    }

    /// Whether the record type has a registered class.
    pub fn registered(&self) -> bool {
        self.class().is_some()
    }

    /// The fields' attribute names, interned (none before a class is registered).
    pub fn names(&self) -> &[Py<PyString>] {
        self.class().map_or(&[], |c| c.names.as_slice())
    }

    /// Sets every field of `obj` (an instance of `cls`), in field order: the value `given`
    /// returns for its name, else its Go zero value (an error when it is required). Returns how
    /// many fields were given.
    pub fn fill(
        &self,
        cls: &Bound<'py, PyType>,
        obj: &Bound<'py, PyAny>,
        mut given: impl FnMut(&Bound<'py, PyString>) -> PyResult<Option<Bound<'py, PyAny>>>,
    ) -> PyResult<usize> {
        let py = cls.py();
        let (rec, class) = self.parts()?;
        let mut used = 0;
        let generic = crate::fast::generic_set(cls);
        for (f, name) in rec.fields().iter().zip(&class.names) {
            let name = name.bind(py);
            let v = match given(name)? {
                Some(v) => {
                    used += 1;
                    v
                }
                None if f.required => {
                    return Err(PyTypeError::new_err(format!(
                        "{}.__init__() missing 1 required keyword-only argument: '{}'",
                        class.cls.bind(py).qualname()?,
                        f.py_name
                    )))
                }
                // The factory bound at once: no `Py` dropped here (the class call's vector
                // path runs without pyo3's attach, fast.rs).
                None => match f.conv.zero_factory(py).map(|m| m.into_bound(py)) {
                    Some(make) => make.call0()?,
                    None => f.conv.zero(py)?.into_bound(py),
                },
            };
            if generic {
                crate::fast::generic_setattr(obj, name, &v)?;
            } else {
                obj.setattr(name, v)?;
            }
        }
        Ok(used)
    }
}

#[inline(never)]
pub(super) fn decode(
    py: Python<'_>,
    r: &mut Reader<'_>,
    rec: &RecordInfo,
    module: &Arc<GoModule>,
) -> PyResult<Py<PyAny>> {
    let n = match r.next_token().map_err(malformed)? {
        Token::Map(n) => n,
        Token::Nil => return Ok(py.None()),
        t => return Err(bad_reply(format!("expected a record, got {t:?}"))),
    };
    let mut out = Decoded::new(py, rec)?;
    let fields = out.fields;
    let mut next = 0;
    for _ in 0..n {
        let k = match r.next_token().map_err(malformed)? {
            Token::Str(b) => b,
            t => return Err(bad_reply(format!("expected a field key, got {t:?}"))),
        };
        // Go writes the fields in schema order (omitted ones aside): try the one after the
        // last first.
        let in_order = fields
            .get(next)
            .filter(|f| f.key.as_bytes() == k)
            .map(|_| next);
        let Some(i) = in_order.or_else(|| fields.iter().position(|f| f.key.as_bytes() == k)) else {
            return Err(bad_reply(format!(
                "record {} has no field {:?}",
                rec.name,
                String::from_utf8_lossy(k)
            )));
        };
        next = i + 1;
        let v = fields[i].conv.decode(py, r, module)?;
        out.set(i, v.into_bound(py))?;
    }
    Ok(out.finish()?.unbind())
}

/// A record being decoded from a reply: an instance of its registered class, made without
/// `__init__` (`object.__new__(cls)`: the generated classes keep their immutable defaults as
/// class attributes), or a dict before a class is registered. The general form's decoder
/// ([`decode`]) and the scalar form's (scalar.rs) both make their records with it.
pub struct Decoded<'a, 'py> {
    obj: Bound<'py, PyAny>,
    class: Option<&'a RecordClass>,
    /// The class sets attributes with `object`'s own function (`fast::generic_set`).
    generic: bool,
    fields: &'a [Field],
    /// Which fields were set, one bit each on the stack (a record of more than 64 fields uses
    /// a vector): no allocation per decoded record.
    seen: Seen,
    /// How many distinct fields were set: all of them, and [`Decoded::finish`] has none to
    /// look at.
    set: usize,
}

impl<'a, 'py> Decoded<'a, 'py> {
    /// A new, empty record of type `rec`.
    pub fn new(py: Python<'py>, rec: &'a RecordInfo) -> PyResult<Self> {
        let Some(fields) = rec.fields.get() else {
            return Err(bad_reply(format!("unknown record type {}", rec.key)));
        };
        let class = rec.class.get();
        let (obj, generic) = match class {
            Some(c) => {
                let ty = c.cls.bind(py);
                (crate::fast::new_instance(ty)?, crate::fast::generic_set(ty))
            }
            None => (PyDict::new(py).into_any(), false),
        };
        Ok(Decoded {
            obj,
            class,
            generic,
            fields,
            seen: Seen::new(fields.len()),
            set: 0,
        })
    }

    /// Sets field `i` (an index into the record's fields) to `v`.
    #[inline]
    pub fn set(&mut self, i: usize, v: Bound<'py, PyAny>) -> PyResult<()> {
        if !self.seen.get(i) {
            self.seen.set(i);
            self.set += 1;
        }
        match self.class {
            Some(c) => self.store(c, i, v),
            None => self
                .obj
                .cast::<PyDict>()?
                .set_item(&self.fields[i].py_name, v),
        }
    }

    /// Sets field `i` of the instance of class `c`: through `object`'s own setattr when the
    /// class has no hook of its own, else `setattr`.
    fn store(&self, c: &RecordClass, i: usize, v: Bound<'py, PyAny>) -> PyResult<()> {
        let name = c.names[i].bind(self.obj.py());
        if self.generic {
            crate::fast::generic_setattr(&self.obj, name, &v)
        } else {
            self.obj.setattr(name, v)
        }
    }

    /// The record. A field Go left out (omitempty, a nil embedded pointer) whose zero value is
    /// a new list, dict or record gets its own; the others read their class attribute (a dict
    /// leaves them out).
    pub fn finish(self) -> PyResult<Bound<'py, PyAny>> {
        if self.set == self.fields.len() {
            return Ok(self.obj);
        }
        if let Some(c) = self.class {
            let py = self.obj.py();
            for (i, f) in self.fields.iter().enumerate() {
                if self.seen.get(i) {
                    continue;
                }
                if let Some(make) = f.conv.zero_factory(py) {
                    self.store(c, i, make.bind(py).call0()?)?;
                }
            }
        }
        Ok(self.obj)
    }
}

/// A set of field indexes.
enum Seen {
    Bits(u64),
    Many(Vec<bool>),
}

impl Seen {
    fn new(n: usize) -> Seen {
        if n <= 64 {
            Seen::Bits(0)
        } else {
            Seen::Many(vec![false; n])
        }
    }

    fn set(&mut self, i: usize) {
        match self {
            Seen::Bits(b) => *b |= 1 << i,
            Seen::Many(v) => v[i] = true,
        }
    }

    fn get(&self, i: usize) -> bool {
        match self {
            Seen::Bits(b) => *b & (1 << i) != 0,
            Seen::Many(v) => v[i],
        }
    }
}

pub(super) fn closed<'py>(
    rec: &RecordInfo,
    obj: &Bound<'py, PyAny>,
    depth: usize,
) -> Option<Bound<'py, PyGoObject>> {
    let fields = rec.fields.get()?;
    if let Ok(d) = obj.cast::<PyDict>() {
        d.items().iter().find_map(|kv| {
            let (k, v): (String, Bound<'py, PyAny>) = kv.extract().ok()?;
            fields[rec.field_index(&k)?]
                .conv
                .closed_object(&v, depth + 1)
        })
    } else {
        let class = rec.class.get()?;
        let py = obj.py();
        fields.iter().zip(&class.names).find_map(|(f, name)| {
            f.conv
                .closed_object(&obj.getattr(name.bind(py)).ok()?, depth + 1)
        })
    }
}

/// The record class, once registered (else `Any`).
pub(super) fn annotation<'py>(py: Python<'py>, rec: &RecordInfo) -> PyResult<Bound<'py, PyAny>> {
    match rec.class.get() {
        Some(c) => Ok(c.cls.bind(py).clone().into_any()),
        None => super::any::annotation(py),
    }
}

/// The class name within its own package (an argument may also be a mapping), else `Any`.
pub(super) fn stub(rec: &RecordInfo, pkg: &str, arg: bool) -> String {
    if rec.package != pkg {
        super::any::STUB.into()
    } else if arg {
        format!("{} | Mapping[str, Any]", rec.name)
    } else {
        rec.name.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::Seen;

    #[test]
    fn seen_holds_each_index_with_and_without_the_bits() {
        for n in [1, 63, 64, 65, 200] {
            let mut s = Seen::new(n);
            let set: Vec<usize> = (0..n).filter(|i| i % 3 == 0 || *i == n - 1).collect();
            for &i in &set {
                s.set(i);
            }
            for i in 0..n {
                assert_eq!(s.get(i), set.contains(&i), "n={n} i={i}");
            }
        }
    }
}
