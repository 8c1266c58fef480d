//! Why an argument could not be converted, and where in the argument it went wrong: the errors
//! that the converters (`convert/`) and Go objects (`handle.rs`) report.

use pyo3::exceptions::{PyOverflowError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// The deepest container nesting a message may have (docs/abi.md section 6).
pub const MAX_DEPTH: usize = usegolib_abi::Limits::ABI.max_depth;

/// Containers around every argument: the request array and its argument array.
pub const ARGS_DEPTH: usize = 2;

/// Why an argument could not be converted.
pub enum ArgError {
    /// A type mismatch: `TypeError`.
    Type(String),
    /// A value out of range: `OverflowError`.
    Overflow(String),
    /// A list or dict changed size while it was being converted: `RuntimeError`.
    Changed(String),
    /// A container nested deeper than the wire allows, or a cycle: `ValueError`.
    Nested(Box<Nesting>),
    /// A Python exception raised while looking at the value (e.g. UnicodeEncodeError).
    Py(PyErr),
}

/// Where a too-deep container is. Each container on the path adds its step and its identity
/// while the error unwinds, so a path costs nothing until a value is too deep; a cycle always is
/// (it never ends), and shows as a container met twice on the path.
pub struct Nesting {
    /// The steps from the argument down, innermost first.
    steps: Vec<Step>,
    /// The identity of each container on the path (one more than the steps), innermost first.
    ids: Vec<usize>,
}

/// One step down into a container.
pub enum Step {
    Index(usize),
    Key(String),
    Attr(String),
}

impl Nesting {
    /// The error for the container `obj`, one level deeper than the limit.
    pub fn at(obj: &Bound<'_, PyAny>) -> ArgError {
        ArgError::Nested(Box::new(Nesting {
            steps: Vec::new(),
            ids: vec![identity(obj)],
        }))
    }

    /// The message, with `root` naming the argument.
    fn message(mut self, root: &str) -> String {
        self.steps.reverse();
        self.ids.reverse();
        for j in 1..self.ids.len() {
            if let Some(i) = self.ids[..j].iter().position(|&id| id == self.ids[j]) {
                return format!(
                    "the value refers to itself: {} is the same object as {} (a cycle); Go \
                     values cannot contain cycles: pass a copy without one",
                    path(root, &self.steps[..j]),
                    path(root, &self.steps[..i])
                );
            }
        }
        format!(
            "nested too deeply: {} would be a container at depth {} of the request, deeper than \
             the limit of {MAX_DEPTH} levels (docs/abi.md section 6; the request and its argument \
             list count as levels 1 and 2): pass a less deeply nested value",
            path(root, &self.steps),
            MAX_DEPTH + 1
        )
    }
}

/// `root` followed by `steps`, shortened in the middle when long.
fn path(root: &str, steps: &[Step]) -> String {
    let show = |s: &Step| match s {
        Step::Index(i) => format!("[{i}]"),
        Step::Key(k) => format!("[{k:?}]"),
        Step::Attr(a) => format!(".{a}"),
    };
    let mut p = root.to_owned();
    if steps.len() <= 12 {
        steps.iter().for_each(|s| p.push_str(&show(s)));
    } else {
        steps[..6].iter().for_each(|s| p.push_str(&show(s)));
        p.push('…');
        steps[steps.len() - 3..]
            .iter()
            .for_each(|s| p.push_str(&show(s)));
        p.push_str(&format!(" ({} levels down)", steps.len()));
    }
    p
}

/// The identity of a Python object (its address), for finding cycles.
fn identity(obj: &Bound<'_, PyAny>) -> usize {
    obj.as_ptr() as usize
}

impl ArgError {
    /// This error, for the element at `index` of the container `within`.
    pub fn at(self, index: usize, within: &Bound<'_, PyAny>) -> Self {
        self.located(|| format!("element {index}"), Step::Index(index), within)
    }

    /// This error, for the value of `within` at `step`; `what` prefixes the other messages.
    pub fn located(
        self,
        what: impl FnOnce() -> String,
        step: Step,
        within: &Bound<'_, PyAny>,
    ) -> Self {
        match self {
            ArgError::Nested(mut n) => {
                n.steps.push(step);
                n.ids.push(identity(within));
                ArgError::Nested(n)
            }
            e => e.prefixed(&what()),
        }
    }

    fn prefixed(self, what: &str) -> Self {
        match self {
            ArgError::Type(m) => ArgError::Type(format!("{what}: {m}")),
            ArgError::Overflow(m) => ArgError::Overflow(format!("{what}: {m}")),
            ArgError::Changed(m) => ArgError::Changed(format!("{what}: {m}")),
            e => e,
        }
    }

    /// The Python exception, prefixed with where the argument is; `root` names the argument
    /// in a path (`n`, `xs[2]`).
    pub fn into_pyerr(self, prefix: &str, root: &str) -> PyErr {
        match self {
            ArgError::Type(m) => PyTypeError::new_err(format!("{prefix}: {m}")),
            ArgError::Overflow(m) => PyOverflowError::new_err(format!("{prefix}: {m}")),
            ArgError::Changed(m) => PyRuntimeError::new_err(format!("{prefix}: {m}")),
            ArgError::Nested(n) => PyValueError::new_err(format!("{prefix}: {}", n.message(root))),
            ArgError::Py(e) => e,
        }
    }
}

impl From<PyErr> for ArgError {
    fn from(e: PyErr) -> Self {
        ArgError::Py(e)
    }
}

/// The error for a list or dict whose size changed while it was converted.
pub fn changed(what: &str) -> ArgError {
    ArgError::Changed(format!(
        "{what} changed size during conversion (Python code that the conversion ran, such as a \
         __float__ method, a property or a time zone, modified it)"
    ))
}

/// Calls `f` with every item of `d`. pyo3's dict iterator panics when the dict changes size
/// under it, and `f` may run Python code that changes it: this never steps more than the
/// starting size, nor after a change, and reports a change as `changed()`.
pub fn for_each_item<'py, E>(
    d: &Bound<'py, PyDict>,
    changed: impl Fn() -> E,
    mut f: impl FnMut(Bound<'py, PyAny>, Bound<'py, PyAny>) -> Result<(), E>,
) -> Result<(), E> {
    let n = d.len();
    let mut items = d.iter();
    for _ in 0..n {
        let item = if d.len() == n { items.next() } else { None };
        let Some((k, v)) = item else {
            return Err(changed());
        };
        f(k, v)?;
    }
    if d.len() != n {
        return Err(changed());
    }
    Ok(())
}

/// The name of a value's type, for messages.
pub fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "object".into())
}

/// `expected <want>, got <type>`.
pub fn mismatch(want: &str, obj: &Bound<'_, PyAny>) -> ArgError {
    ArgError::Type(format!("expected {want}, got {}", type_name(obj)))
}

/// The error for a dict key that is not a str; `within` names the dict ("map", "struct T:").
pub fn not_str_key(within: &str, k: &Bound<'_, PyAny>) -> ArgError {
    ArgError::Type(format!("{within} keys must be str, got {}", type_name(k)))
}
