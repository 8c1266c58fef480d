package bridge

// ABIVersion is the version of the wire contract (docs/abi.md) this package speaks.
const ABIVersion = 1

// Hard limits of docs/abi.md section 6, enforced on every request and every reply.
const (
	// MaxMessageBytes is the largest request or reply, in bytes.
	MaxMessageBytes = 1 << 30
	// MaxDepth is the deepest container nesting; the outermost request or reply array is depth 1.
	MaxDepth = 64
	// MaxElements is the largest total number of container elements in one message (an array of
	// n elements and a map of n entries each count n).
	MaxElements = 1 << 26
)
