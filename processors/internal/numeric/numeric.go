// Package numeric reads the integer values events hold, whatever Go integer
// type a processor or input gave them, the way Beats' type switches do.
package numeric

// Int64 returns v as an int64 when v holds any Go integer type (int,
// int8…int64, uint, uint8…uint64), and false for anything else (floats and
// strings included: callers differ on those). A uint64 above MaxInt64 wraps,
// as int64(x) does in Beats' common.TryToInt.
func Int64(v any) (int64, bool) {
	switch x := v.(type) {
	case int:
		return int64(x), true
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case uint:
		return int64(x), true
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint64:
		return int64(x), true
	}
	return 0, false
}
