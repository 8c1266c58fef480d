//! Go error values through the Rust API, over the real built errs fixture (docs/abi.md section
//! 4.1): without error values replies carry no handles; with them a go_error carries its handle,
//! op 4 with no argument gives its chain, op 4 answers errors.Is and op 5 a concrete value, and
//! `call_function` releases the handle.

mod common;

use usegolib_abi::{write_request_header, write_str, Target};
use usegolib_loader::{load_artifact, Error, ErrorNode, Value};

const PKG: &str = "example.com/errs";

#[test]
fn chains_errors_is_and_values() {
    let m = load_artifact(&common::built("errs")).expect("load errs");
    m.enable_error_values().unwrap();
    let find = m.function(PKG, "Find").unwrap();
    let mut req = Vec::new();
    write_request_header(&mut req, &Target::Id(find.id()), 1);
    write_str(&mut req, b"typed");
    let reply = m.send(find, &mut req).unwrap();
    let (ok, mut r) = m.reply_body(find, &reply).unwrap();
    assert!(!ok);
    let Error::Go {
        chain: first,
        message,
        ..
    } = m.error_from_reader(find, &mut r)
    else {
        panic!("not a Go error")
    };
    assert_eq!(message, "find: typed: not found (code 404)");
    // The reply carries the error itself; op 4 with no argument gives the whole chain.
    assert_eq!(first.len(), 1);
    assert_eq!(
        (first[0].key.as_str(), first[0].message.as_str()),
        ("fmt.wrapError", message.as_str())
    );
    let chain = m.error_chain(first[0].handle).unwrap();
    assert_eq!(chain[0], first[0]);
    let shape: Vec<_> = chain
        .iter()
        .map(|n| (n.go_type.as_str(), n.key.as_str(), n.parent))
        .collect();
    assert_eq!(
        shape,
        [
            ("*fmt.wrapError", "fmt.wrapError", None),
            (
                "*errs.NotFoundError",
                "example.com/errs.NotFoundError",
                Some(0)
            ),
        ]
    );
    // The sentinel, a package variable, is an error value with its own chain.
    let var = m.call(PKG, "ErrNotFound", &[]).unwrap();
    let Value::List(v) = &var else {
        panic!("not an error value")
    };
    let sentinel = ErrorNode::parse_chain(&v[2]).unwrap()[0].handle;
    // NotFoundError's Is method matches ErrNotFound; the chain's first error reaches it.
    assert!(m.error_is(chain[0].handle, sentinel).unwrap());
    assert!(m.error_is(chain[1].handle, sentinel).unwrap());
    assert!(!m.error_is(sentinel, chain[1].handle).unwrap());
    let value = m.error_value(chain[1].handle).unwrap();
    let describe = m.function(PKG, "NotFoundError.Describe").unwrap();
    assert_eq!(
        m.call_function(describe, &[Value::Handle(value)]).unwrap(),
        Value::Str("typed/404".into())
    );
    for id in [chain[0].handle, chain[1].handle, sentinel, value] {
        m.release(id).unwrap();
    }
    assert!(matches!(
        m.error_is(sentinel, sentinel),
        Err(Error::UnknownHandle { id, .. }) if id == sentinel
    ));
    // call_function gives the error without its chain: it released the handles itself.
    let Err(Error::Go { chain, .. }) = m.call_function(find, &["missing".into()]) else {
        panic!("not a Go error")
    };
    assert!(chain.is_empty());
}
