package bridge

// MessagePack markers (docs/abi.md section 2). Fix-range markers are matched by range.
const (
	mNil      = 0xc0
	mNever    = 0xc1 // never used by MessagePack: always malformed
	mFalse    = 0xc2
	mTrue     = 0xc3
	mBin8     = 0xc4
	mBin16    = 0xc5
	mBin32    = 0xc6
	mExt8     = 0xc7
	mExt16    = 0xc8
	mExt32    = 0xc9
	mFloat32  = 0xca
	mFloat64  = 0xcb
	mUint8    = 0xcc
	mUint16   = 0xcd
	mUint32   = 0xce
	mUint64   = 0xcf
	mInt8     = 0xd0
	mInt16    = 0xd1
	mInt32    = 0xd2
	mInt64    = 0xd3
	mFixExt1  = 0xd4
	mFixExt2  = 0xd5
	mFixExt4  = 0xd6
	mFixExt8  = 0xd7
	mFixExt16 = 0xd8
	mStr8     = 0xd9
	mStr16    = 0xda
	mStr32    = 0xdb
	mArray16  = 0xdc
	mArray32  = 0xdd
	mMap16    = 0xde
	mMap32    = 0xdf

	mFixMap   = 0x80 // 0x80..0x8f
	mFixArray = 0x90 // 0x90..0x9f
	mFixStr   = 0xa0 // 0xa0..0xbf
)

func isFixInt(m byte) bool { return m <= 0x7f || m >= 0xe0 }

func isInt(m byte) bool { return isFixInt(m) || (m >= mUint8 && m <= mInt64) }

func isStr(m byte) bool { return (m >= mFixStr && m <= 0xbf) || (m >= mStr8 && m <= mStr32) }

func isBin(m byte) bool { return m >= mBin8 && m <= mBin32 }

func isArray(m byte) bool { return (m >= mFixArray && m <= 0x9f) || m == mArray16 || m == mArray32 }

func isMap(m byte) bool { return (m >= mFixMap && m <= 0x8f) || m == mMap16 || m == mMap32 }

// wireName names the wire type that starts with marker m, for error messages such as
// "expected int8, got string".
func wireName(m byte) string {
	switch {
	case isInt(m):
		return "int"
	case isStr(m):
		return "string"
	case isBin(m):
		return "bytes"
	case isArray(m):
		return "array"
	case isMap(m):
		return "map"
	}
	switch m {
	case mNil:
		return "nil"
	case mFalse, mTrue:
		return "bool"
	case mFloat32:
		return "float32"
	case mFloat64:
		return "float64"
	case mNever:
		return "invalid marker 0xc1"
	}
	return "ext"
}
