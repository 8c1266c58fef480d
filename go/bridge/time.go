package bridge

import (
	"fmt"
	"time"
)

// time.Time on the wire (docs/abi.md section 8.1): [unix_seconds, nanoseconds,
// utc_offset_seconds]. (time.Duration is an int64 of nanoseconds and needs nothing here.)

// Time reads a time.Time: [unix_seconds int, nanoseconds 0..999999999, utc_offset_seconds].
// The result is in a fixed zone with that offset (time.UTC for offset 0): zone names do not
// travel.
func (d *Decoder) Time() (time.Time, error) {
	n, isNil, err := d.ListLen()
	if err != nil {
		return time.Time{}, err
	}
	if isNil || n != 3 {
		what := "nil"
		if !isNil {
			what = fmt.Sprintf("%d elements", n)
		}
		return time.Time{}, fmt.Errorf("expected time [unix_seconds, nanoseconds, utc_offset_seconds], got %s", what)
	}
	sec, err := d.Int(64)
	if err != nil {
		return time.Time{}, fmt.Errorf("time seconds: %w", err)
	}
	nsec, err := d.Uint(64)
	if err != nil {
		return time.Time{}, fmt.Errorf("time nanoseconds: %w", err)
	}
	if nsec > 999_999_999 {
		return time.Time{}, fmt.Errorf("time nanoseconds: value %d is out of range [0, 999999999]", nsec)
	}
	off, err := d.Int(32)
	if err != nil {
		return time.Time{}, fmt.Errorf("time offset: %w", err)
	}
	if err := unixInRange(sec); err != nil {
		return time.Time{}, err
	}
	t := time.Unix(sec, int64(nsec))
	if off == 0 {
		return t.In(time.UTC), nil
	}
	return t.In(time.FixedZone("", int(off))), nil
}

// Time writes t as [unix_seconds, nanoseconds, utc_offset_seconds]; the monotonic clock
// reading and the zone name are dropped.
func (e *Encoder) Time(t time.Time) {
	_, off := t.Zone()
	e.ListLen(3)
	e.Int(t.Unix())
	e.Uint(uint64(t.Nanosecond()))
	e.Int(int64(off))
}

// TimeAt is Time for a value at depth depth of the reply (the reply array being depth 1): it
// returns TooDeep instead of writing the time's array deeper than MaxDepth.
func (e *Encoder) TimeAt(t time.Time, depth int) error {
	if depth > MaxDepth {
		return TooDeep()
	}
	e.Time(t)
	return nil
}

// maxUnixSeconds bounds the seconds of a time Go receives: within it Go's calendar arithmetic
// (which works on the seconds since year -292277022399 as a uint64) cannot wrap around, so a
// time far outside it is refused rather than read as a different date.
const maxUnixSeconds = 1 << 62

// unixInRange says why sec is out of the range of times Go receives, or nil.
func unixInRange(sec int64) error {
	if sec < -maxUnixSeconds || sec > maxUnixSeconds {
		return fmt.Errorf("time seconds: value %d is out of range [-2^62, 2^62]", sec)
	}
	return nil
}
