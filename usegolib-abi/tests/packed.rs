//! Packed arrays of numbers (docs/abi.md section 8.10): the header the writer chooses, and the
//! payload checks every reader makes.

use usegolib_abi::{
    packed_payload, packed_size, write_ext_header, write_packed_header, Reader, Token, EXT_PACKED,
};

fn packed(kind: u8, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    write_packed_header(&mut out, kind, data.len());
    out.extend_from_slice(data);
    out
}

#[test]
fn writers_take_the_shortest_ext_header() {
    // []int64{1, -2}: the example of docs/abi.md 8.10, byte for byte.
    let mut data = 1i64.to_le_bytes().to_vec();
    data.extend_from_slice(&(-2i64).to_le_bytes());
    assert_eq!(
        packed(b'q', &data),
        [
            0xc7, 0x11, 0x08, b'q', 1, 0, 0, 0, 0, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff,
            0xff, 0xff
        ]
    );
    assert_eq!(packed(b'q', &[]), [0xd4, 0x08, b'q']); // empty: the kind byte alone
    assert_eq!(packed(b'B', &[7]), [0xd5, 0x08, b'B', 7]);
    assert_eq!(packed(b'b', &[1, 2, 3]), [0xd6, 0x08, b'b', 1, 2, 3]);
    assert_eq!(&packed(b'b', &[0; 255])[..4], [0xc8, 0x01, 0x00, 0x08]);
    assert_eq!(
        &packed(b'B', &[0; 70000])[..6],
        [0xc9, 0, 1, 0x11, 0x71, 0x08]
    );
    let mut h = Vec::new();
    write_ext_header(&mut h, EXT_PACKED, 16);
    assert_eq!(h, [0xd8, 0x08]);
}

#[test]
fn readers_check_the_kind_and_the_length() {
    let bytes = packed(b'd', &1.5f64.to_le_bytes());
    let mut r = Reader::new(&bytes);
    let Token::Ext(EXT_PACKED, p) = r.next_token().unwrap() else {
        panic!("not ext 8")
    };
    let (kind, data) = packed_payload(p).unwrap();
    assert_eq!(
        (kind, f64::from_le_bytes(data.try_into().unwrap())),
        (b'd', 1.5)
    );
    assert!(r.is_at_end());
    assert_eq!(
        packed_payload(&[]).unwrap_err(),
        "malformed packed array (ext type 8): no kind byte"
    );
    assert_eq!(
        packed_payload(b"x\x01").unwrap_err(),
        "malformed packed array (ext type 8): unknown kind byte 0x78"
    );
    assert_eq!(
        packed_payload(b"q\x01\x02\x03").unwrap_err(),
        "malformed packed array (ext type 8): 3 bytes is not a whole number of 8-byte elements"
    );
    for (kind, size) in [
        (b'b', 1),
        (b'H', 2),
        (b'i', 4),
        (b'f', 4),
        (b'Q', 8),
        (b'd', 8),
    ] {
        assert_eq!(packed_size(kind), Some(size));
    }
    assert_eq!(packed_size(b'?'), None);
}
