package numeric

import (
	"math"
	"testing"
)

func TestInt64(t *testing.T) {
	f := func(v any, want int64, wantOK bool) {
		t.Helper()
		got, ok := Int64(v)
		if got != want || ok != wantOK {
			t.Errorf("Int64(%T %v) = %d, %v, want %d, %v", v, v, got, ok, want, wantOK)
		}
	}
	f(int(-3), -3, true)
	f(int8(-8), -8, true)
	f(int16(-16), -16, true)
	f(int32(-32), -32, true)
	f(int64(math.MinInt64), math.MinInt64, true)
	f(uint(3), 3, true)
	f(uint8(255), 255, true)
	f(uint16(65535), 65535, true)
	f(uint32(math.MaxUint32), math.MaxUint32, true)
	f(uint64(math.MaxInt64), math.MaxInt64, true)
	f(uint64(math.MaxUint64), -1, true) // wraps, as int64(x) does
	f(float64(1), 0, false)
	f(float32(1), 0, false)
	f("1", 0, false)
	f(true, 0, false)
	f(nil, 0, false)
}
