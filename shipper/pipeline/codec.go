package pipeline

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/shipper-project/shipper/shipper/event"
)

// The disk queue stores an event as a JSON array that keeps each value's Go
// type, so that a document read back from disk encodes exactly as it would
// have from memory:
//
//	[[unix_s, ns, utc_offset_s], index, id, pipeline, key1, type1, value1, key2, …]
//
// Types: s string, i int64, u uint64, f float64, b bool, S []string,
// T time [unix_s, ns, utc_offset_s], g geo point [lat, lon], j any other
// JSON value. Times are stored as seconds and nanoseconds so that any
// time.Time round-trips (Unix nanoseconds only cover 1678–2262). Records of
// earlier versions (a Unix-nanosecond timestamp, RFC 3339 "t" fields) are
// still read.

// AppendEventRecord appends e to dst as the disk queue stores it (the format
// above) and returns the extended slice. It is exported for
// scripts/queuebench, which stores the same bytes per event in every mode it
// compares; the pipeline itself is its only other user.
func AppendEventRecord(dst []byte, e *event.Event) []byte {
	dst = append(dst, '[')
	dst = appendTime(dst, e.Timestamp)
	for _, s := range [...]string{e.Meta.Index, e.Meta.DocID(), e.Meta.Pipeline} {
		dst = append(dst, ',')
		dst = event.AppendString(dst, s)
	}
	for _, f := range e.Fields {
		dst = append(dst, ',')
		dst = event.AppendString(dst, f.Key)
		switch v := f.Value.(type) {
		case string:
			dst = append(dst, `,"s",`...)
			dst = event.AppendString(dst, v)
		case int:
			dst = append(dst, `,"i",`...)
			dst = strconv.AppendInt(dst, int64(v), 10)
		case int64:
			dst = append(dst, `,"i",`...)
			dst = strconv.AppendInt(dst, v, 10)
		case int32:
			dst = append(dst, `,"i",`...)
			dst = strconv.AppendInt(dst, int64(v), 10)
		case uint64:
			dst = append(dst, `,"u",`...)
			dst = strconv.AppendUint(dst, v, 10)
		case uint32:
			dst = append(dst, `,"u",`...)
			dst = strconv.AppendUint(dst, uint64(v), 10)
		case float64:
			dst = append(dst, `,"f",`...)
			dst = event.AppendValue(dst, v)
		case bool:
			dst = append(dst, `,"b",`...)
			dst = strconv.AppendBool(dst, v)
		case []string:
			dst = append(dst, `,"S",`...)
			dst = event.AppendValue(dst, v)
		case time.Time:
			dst = append(dst, `,"T",`...)
			dst = appendTime(dst, v)
		case event.GeoPoint:
			dst = append(dst, `,"g",[`...)
			dst = strconv.AppendFloat(dst, v.Lat, 'g', -1, 64)
			dst = append(dst, ',')
			dst = strconv.AppendFloat(dst, v.Lon, 'g', -1, 64)
			dst = append(dst, ']')
		default:
			dst = append(dst, `,"j",`...)
			dst = event.AppendValue(dst, v)
		}
	}
	return append(dst, ']')
}

// DecodeEventRecord decodes a record written by AppendEventRecord, or by an
// earlier version of it, into a new event.
func DecodeEventRecord(b []byte) (*event.Event, error) {
	var parts []json.RawMessage
	if err := json.Unmarshal(b, &parts); err != nil {
		return nil, fmt.Errorf("decode queued event: %w", err)
	}
	if len(parts) < 4 || (len(parts)-4)%3 != 0 {
		return nil, fmt.Errorf("decode queued event: %d parts", len(parts))
	}
	ts, err := decodeTime(parts[0])
	if err != nil {
		return nil, fmt.Errorf("decode queued event time: %w", err)
	}
	e := event.New(ts, (len(parts)-4)/3)
	for i, dst := range []*string{&e.Meta.Index, &e.Meta.ID, &e.Meta.Pipeline} {
		if err := json.Unmarshal(parts[1+i], dst); err != nil {
			return nil, fmt.Errorf("decode queued event meta: %w", err)
		}
	}
	for i := 4; i+2 < len(parts); i += 3 {
		var key, typ string
		if err := json.Unmarshal(parts[i], &key); err != nil {
			return nil, fmt.Errorf("decode queued field: %w", err)
		}
		if err := json.Unmarshal(parts[i+1], &typ); err != nil {
			return nil, fmt.Errorf("decode queued field %s: %w", key, err)
		}
		raw := parts[i+2]
		var v any
		var err error
		switch typ {
		case "s":
			v, err = decodeAs[string](raw)
		case "i":
			v, err = decodeAs[int64](raw)
		case "u":
			v, err = decodeAs[uint64](raw)
		case "f":
			v, err = decodeAs[float64](raw)
		case "b":
			v, err = decodeAs[bool](raw)
		case "S":
			v, err = decodeAs[[]string](raw)
		case "T":
			v, err = decodeTime(raw)
		case "t": // earlier versions
			var s string
			if s, err = decodeAs[string](raw); err == nil {
				v, err = time.Parse(time.RFC3339Nano, s)
			}
		case "g":
			var x [2]float64
			x, err = decodeAs[[2]float64](raw)
			v = event.GeoPoint{Lat: x[0], Lon: x[1]}
		case "j":
			v = event.RawJSON(append([]byte(nil), raw...))
		default:
			err = fmt.Errorf("unknown type %q", typ)
		}
		if err != nil {
			return nil, fmt.Errorf("decode queued field %s: %w", key, err)
		}
		e.Fields.Add(key, v)
	}
	return e, nil
}

func decodeAs[T any](raw json.RawMessage) (T, error) {
	var x T
	err := json.Unmarshal(raw, &x)
	return x, err
}

func appendTime(dst []byte, t time.Time) []byte {
	_, off := t.Zone()
	dst = append(dst, '[')
	dst = strconv.AppendInt(dst, t.Unix(), 10)
	dst = append(dst, ',')
	dst = strconv.AppendInt(dst, int64(t.Nanosecond()), 10)
	dst = append(dst, ',')
	dst = strconv.AppendInt(dst, int64(off), 10)
	return append(dst, ']')
}

func decodeTime(raw json.RawMessage) (time.Time, error) {
	if len(raw) > 0 && raw[0] != '[' { // earlier versions: Unix nanoseconds
		ns, err := decodeAs[int64](raw)
		return time.Unix(0, ns), err
	}
	x, err := decodeAs[[3]int64](raw)
	if err != nil {
		return time.Time{}, err
	}
	if x[1] < 0 || x[1] >= 1e9 {
		return time.Time{}, fmt.Errorf("nanoseconds %d out of range", x[1])
	}
	t := time.Unix(x[0], x[1]).UTC()
	if x[2] != 0 {
		t = t.In(time.FixedZone("", int(x[2])))
	}
	return t, nil
}
