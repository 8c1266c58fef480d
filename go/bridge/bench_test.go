package bridge

import "testing"

// BenchmarkHandleAddInt is the hot path of a small call: AddInt(1, 2) by id, two int64 arguments
// and one int64 result. It must not allocate.
func BenchmarkHandleAddInt(b *testing.B) {
	benchmarkHandle(b, callReq("AddInt", 1, 2))
}

// BenchmarkHandleAddIntByName is the same call addressed by its qualified name.
func BenchmarkHandleAddIntByName(b *testing.B) {
	benchmarkHandle(b, encodeRequest(1, 0, "example.com/calc.AddInt", 1, 2))
}

// BenchmarkHandleBadArgument is the error path: an out-of-range argument.
func BenchmarkHandleBadArgument(b *testing.B) {
	benchmarkHandle(b, callReq("Int8", 128))
}

// BenchmarkServeAddInt is the path of the generated entry point: Serve into the caller's buffer.
func BenchmarkServeAddInt(b *testing.B) {
	benchmarkServe(b, callReq("AddInt", 1, 2))
}

// BenchmarkServeAddIntLarge is AddInt with arguments that take the longest int encodings.
func BenchmarkServeAddIntLarge(b *testing.B) {
	benchmarkServe(b, callReq("AddInt", -1<<62, 1<<62))
}

// BenchmarkServeJoin passes a list argument, which takes the general validator.
func BenchmarkServeJoin(b *testing.B) {
	benchmarkServe(b, callReq("Join", []string{"a", "b"}, "-"))
}

func benchmarkHandle(b *testing.B, req []byte) {
	br := newTestBridge()
	b.ReportAllocs()
	b.SetBytes(int64(len(req)))
	for b.Loop() {
		_, release := br.Handle(req)
		release()
	}
}

func benchmarkServe(b *testing.B, req []byte) {
	br := newTestBridge()
	buf := make([]byte, 0, 64<<10)
	b.ReportAllocs()
	b.SetBytes(int64(len(req)))
	for b.Loop() {
		buf = br.Serve(req, buf)
	}
}

// BenchmarkServeScalarAddInt is AddInt(1, 2) in the scalar form (docs/abi.md section 8.11):
// the words in place, no envelope. Beside BenchmarkServeAddInt, it shows what the envelope costs.
func BenchmarkServeScalarAddInt(b *testing.B) {
	br := newScalarBridge()
	var w ScalarWords
	b.ReportAllocs()
	for b.Loop() {
		w[0], w[1] = 1, 2
		br.ServeScalar(0, &w, 2, nil)
	}
}
