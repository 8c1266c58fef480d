//! The word layout of the scalar form of calls (docs/abi.md sections 8.11 and 8.13,
//! docs/adr/0035), derived from the schema once per function when a module is loaded, and the
//! argument words a caller lends for one scalar call.
//!
//! A parameter or result takes one word (a bool, a number, a receiver's handle id, a host
//! object's id), two (a string) or its fields' words (a flat record). Go derives the same layout
//! from the same types when it generates the entry; the schema marks only the entry (`"scalar"`).

use std::collections::HashMap;
use std::marker::PhantomData;

use usegolib_abi::{RecordType, WireType};

use crate::ffi::{RawReply, ScalarWords};
use crate::host::MAX_SCALAR_WORDS;

/// How one parameter or result travels in the scalar form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScalarPart {
    /// One word: a bool (0 or 1), an int (its `i64` bits), a uint, a float (its `f64` bits), a
    /// method's receiver (its handle id) or a func (a host object id, section 8.11.1, or, for a
    /// parameter the schema marks `in_place`, a lent callable's `1 << 62 | n`, section 10.9).
    Word,
    /// Two words: a string. As an argument `[address, length]` of bytes the caller lends
    /// ([`ScalarArgs::push_str`]); as a result `[offset, length]` in the result area
    /// ([`ScalarReply::Done`], read with [`result_str`]).
    Str,
    /// A flat record: its fields' parts, in the order of the schema's `fields` (each a
    /// [`ScalarPart::Word`] or a [`ScalarPart::Str`]).
    Record(Vec<ScalarPart>),
}

impl ScalarPart {
    /// The words this part takes.
    pub fn words(&self) -> usize {
        match self {
            ScalarPart::Word => 1,
            ScalarPart::Str => 2,
            ScalarPart::Record(fields) => fields.iter().map(ScalarPart::words).sum(),
        }
    }

    /// Whether this part holds a string.
    pub fn has_str(&self) -> bool {
        match self {
            ScalarPart::Word => false,
            ScalarPart::Str => true,
            ScalarPart::Record(fields) => fields.iter().any(ScalarPart::has_str),
        }
    }

    /// The part of a value of type `ty`, `None` when it has no scalar form. `records` are the
    /// schema's record types (a record's fields are words and strings only: flat).
    fn of(ty: &WireType, records: &HashMap<String, RecordType>, top: bool) -> Option<ScalarPart> {
        match ty {
            WireType::Bool | WireType::Int(_) | WireType::F32 | WireType::F64 => {
                Some(ScalarPart::Word)
            }
            WireType::Handle(_) if top => Some(ScalarPart::Word),
            WireType::Str => Some(ScalarPart::Str),
            WireType::Record(key) if top => {
                let fields = &records.get(key)?.fields;
                let parts = fields.iter().map(|f| ScalarPart::of(&f.ty, records, false));
                parts.collect::<Option<Vec<_>>>().map(ScalarPart::Record)
            }
            _ => None,
        }
    }
}

/// The scalar form of one function: its scalar index and the parts of its parameters and
/// results ([`crate::GoModule::scalar_layout`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScalarLayout {
    /// The scalar index (the schema's `"scalar"`).
    pub index: u64,
    /// The parameters' parts, in order (a method's receiver first).
    pub params: Vec<ScalarPart>,
    /// The results' parts, in order (without a trailing `error`).
    pub results: Vec<ScalarPart>,
    /// The argument words.
    nargs: usize,
    /// Bit `i` set: argument word `i` is a string's address (word `i + 1` its length).
    str_words: u8,
    /// Whether some result holds a string (the call then has a result area).
    str_results: bool,
}

impl ScalarLayout {
    /// The layout of a function of scalar index `index` with these parameter and result types,
    /// `None` when it cannot be derived (a type the scalar form does not carry, a record the
    /// schema does not describe, more than [`MAX_SCALAR_WORDS`] words either way): the caller
    /// then uses the general form only (docs/abi.md section 8.13).
    pub(crate) fn derive(
        index: u64,
        params: &[WireType],
        results: &[WireType],
        records: &HashMap<String, RecordType>,
    ) -> Option<ScalarLayout> {
        let parts = |tys: &[WireType]| {
            tys.iter()
                .map(|t| ScalarPart::of(t, records, true))
                .collect::<Option<Vec<_>>>()
                .filter(|ps| ps.iter().map(ScalarPart::words).sum::<usize>() <= MAX_SCALAR_WORDS)
        };
        let (params, results) = (parts(params)?, parts(results)?);
        let mut str_words = 0u8;
        let mut at = 0;
        let mut mark = |p: &ScalarPart| {
            if *p == ScalarPart::Str {
                str_words |= 1 << at;
            }
            at += p.words();
        };
        for p in &params {
            match p {
                ScalarPart::Record(fields) => fields.iter().for_each(&mut mark),
                p => mark(p),
            }
        }
        Some(ScalarLayout {
            index,
            nargs: params.iter().map(ScalarPart::words).sum(),
            str_results: results.iter().any(ScalarPart::has_str),
            params,
            results,
            str_words,
        })
    }

    /// The number of argument words.
    pub fn nargs(&self) -> usize {
        self.nargs
    }

    /// The number of result words.
    pub fn nresults(&self) -> usize {
        self.results.iter().map(ScalarPart::words).sum()
    }

    /// Whether some result holds a string: a successful call then has a result area.
    pub fn has_str_results(&self) -> bool {
        self.str_results
    }

    /// Whether `args` holds a string pair exactly where this layout has one (what makes it
    /// sound to hand them to Go, which reads the bytes at those addresses).
    #[inline]
    pub(crate) fn fits(&self, args: &ScalarArgs<'_>) -> bool {
        args.str_words == self.str_words
    }

    /// What is wrong with `args`, which do not [`ScalarLayout::fits`] this layout, and what to
    /// do.
    pub(crate) fn misfit(&self, args: &ScalarArgs<'_>) -> String {
        format!(
            "the scalar words have string pairs at words {:#010b} (bit i: word i), where the \
             function's parameters have them at {:#010b}: push a string with \
             ScalarArgs::push_str exactly where ScalarLayout::params has ScalarPart::Str, and \
             every other word with ScalarArgs::push",
            args.str_words, self.str_words
        )
    }
}

/// The argument words of one scalar call, built in order with [`ScalarArgs::push`] and
/// [`ScalarArgs::push_str`]; after a successful call ([`crate::GoModule::call_scalar`]) the
/// words hold the results ([`ScalarArgs::words`]). A string argument borrows its bytes for
/// `'a`, so they outlive the call; the call refuses words whose string pairs are not where the
/// function's layout has them.
#[derive(Debug, Clone)]
pub struct ScalarArgs<'a> {
    words: ScalarWords,
    len: usize,
    /// Bit `i` set: word `i` is the address of bytes pushed with `push_str`.
    str_words: u8,
    /// The bytes of the strings pushed so far: at most a message's size limit (docs/abi.md
    /// section 6), as the general form's request would be.
    str_bytes: u64,
    lent: PhantomData<&'a [u8]>,
}

impl Default for ScalarArgs<'_> {
    fn default() -> Self {
        ScalarArgs::new()
    }
}

impl<'a> ScalarArgs<'a> {
    /// No words yet.
    #[inline]
    pub const fn new() -> Self {
        ScalarArgs {
            words: [0; MAX_SCALAR_WORDS],
            len: 0,
            str_words: 0,
            str_bytes: 0,
            lent: PhantomData,
        }
    }

    /// Appends a one-word argument (or record field); `false`, and nothing appended, when the
    /// words are full.
    #[inline]
    pub fn push(&mut self, w: u64) -> bool {
        match self.words.get_mut(self.len) {
            Some(slot) => {
                *slot = w;
                self.len += 1;
                true
            }
            None => false,
        }
    }

    /// Appends a string argument (or record field): the pair `[address, length]` of `s`, lent
    /// to Go for the call; `false`, and nothing appended, when the words are full or the call's
    /// strings would pass a message's size limit (the general form then refuses the call with
    /// `limit_exceeded`, as it refuses a request that large).
    #[inline]
    pub fn push_str(&mut self, s: &'a [u8]) -> bool {
        let bytes = self.str_bytes.saturating_add(s.len() as u64);
        if self.len + 2 > MAX_SCALAR_WORDS || bytes > usegolib_abi::Limits::ABI.max_bytes as u64 {
            return false;
        }
        self.str_bytes = bytes;
        self.words[self.len] = s.as_ptr() as u64;
        self.words[self.len + 1] = s.len() as u64;
        self.str_words |= 1 << self.len;
        self.len += 2;
        true
    }

    /// Overwrites word `i`, already pushed with [`ScalarArgs::push`] (a func argument's host
    /// object id or lent callable's word, known only once the other words fitted); `false`, and nothing written, for
    /// a word not pushed or one of a string pair.
    #[inline]
    pub fn set(&mut self, i: usize, w: u64) -> bool {
        if i >= self.len {
            return false; // checked first: `i` may be any number, the shift below is not
        }
        let pair = (u16::from(self.str_words) << 1 | u16::from(self.str_words)) >> i & 1 != 0;
        if pair {
            return false;
        }
        self.words[i] = w;
        true
    }

    /// The number of words pushed.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no word was pushed.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The words: the arguments before a call, the results (in order, as many as
    /// [`ScalarLayout::nresults`]) after a successful one.
    #[inline]
    pub fn words(&self) -> &ScalarWords {
        &self.words
    }

    /// The words for the call, with the count of arguments.
    #[inline]
    pub(crate) fn lend(&mut self) -> (&mut ScalarWords, usize) {
        (&mut self.words, self.len)
    }
}

/// The outcome of a scalar call that produced an answer.
pub enum ScalarReply {
    /// The call succeeded: the results are in the words. The reply is the result area, the
    /// bytes of the string results (empty for a function without one); a string result's
    /// words `[offset, length]` select its bytes ([`result_str`]).
    Done(RawReply),
    /// The call failed: the failure reply the general form gives for the same call, read with
    /// [`crate::GoModule::reply_parts`] and [`crate::GoModule::error_from_reader`].
    Failed(RawReply),
}

/// The bytes of a string result whose words are `[offset, length]`, in the result area
/// `area`; `None` when they are not inside it (a malformed answer).
#[inline]
pub fn result_str(area: &[u8], offset: u64, len: u64) -> Option<&[u8]> {
    let start = usize::try_from(offset).ok()?;
    let end = start.checked_add(usize::try_from(len).ok()?)?;
    area.get(start..end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use usegolib_abi::{IntType, RecordField};

    fn records() -> HashMap<String, RecordType> {
        let field = |name: &str, ty: WireType| RecordField {
            name: name.into(),
            key: name.into(),
            go: String::new(),
            ty,
            required: false,
        };
        HashMap::from([
            (
                "m.Point".to_string(),
                RecordType {
                    name: "Point".into(),
                    fields: vec![
                        field("X", WireType::F64),
                        field("Y", WireType::F64),
                        field("Tag", WireType::Str),
                    ],
                },
            ),
            (
                "m.Nested".to_string(),
                RecordType {
                    name: "Nested".into(),
                    fields: vec![field("P", WireType::Record("m.Point".into()))],
                },
            ),
        ])
    }

    #[test]
    fn a_record_takes_its_fields_words_in_order() {
        let point = WireType::Record("m.Point".into());
        let l = ScalarLayout::derive(3, &[WireType::Str, point.clone()], &[point], &records())
            .expect("a layout");
        assert_eq!(l.nargs(), 6);
        assert_eq!(l.nresults(), 4);
        assert!(l.has_str_results());
        assert_eq!(l.str_words, 0b01_0001);
        let mut a = ScalarArgs::new();
        assert!(a.push_str(b"ab"));
        assert!(a.push(1) && a.push(2));
        assert!(a.push_str(b""));
        assert!(l.fits(&a));
        assert!(!a.set(0, 7) && !a.set(1, 7) && a.set(2, 7) && !a.set(5, 7) && !a.set(6, 7));
        assert!(
            !a.set(16, 7) && !a.set(64, 7) && !a.set(usize::MAX, 7),
            "past the words: refused, no shift overflow"
        );
    }

    #[test]
    fn what_has_no_layout() {
        let r = records();
        let int = WireType::Int(IntType {
            bits: 64,
            signed: true,
        });
        let nested = WireType::Record("m.Nested".into());
        let unknown = WireType::Record("m.Gone".into());
        let list = WireType::List(Box::new(int.clone()));
        for bad in [nested, unknown, list] {
            assert_eq!(ScalarLayout::derive(0, &[bad], &[], &r), None);
        }
        let nine = vec![int; 9];
        assert_eq!(ScalarLayout::derive(0, &nine, &[], &r), None);
        let five_strs = vec![WireType::Str; 5];
        assert_eq!(ScalarLayout::derive(0, &[], &five_strs, &r), None);
    }

    #[test]
    fn words_do_not_overflow() {
        let mut a = ScalarArgs::new();
        for i in 0..7 {
            assert!(a.push(i));
        }
        assert!(!a.push_str(b"x"));
        assert!(a.push(7));
        assert!(!a.push(8));
        assert_eq!(a.len(), 8);
    }

    #[test]
    fn result_strings_stay_inside_the_area() {
        assert_eq!(result_str(b"hello", 1, 3), Some(&b"ell"[..]));
        assert_eq!(result_str(b"hello", 5, 0), Some(&b""[..]));
        assert_eq!(result_str(b"hello", 4, 2), None);
        assert_eq!(result_str(b"hello", u64::MAX, 2), None);
    }
}
