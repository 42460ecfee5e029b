package sysstat

import (
	"fmt"
	"time"
)

// LoadLocation loads the IANA zone of an input's `timezone` option; "" and
// "Local" mean the system zone.
func LoadLocation(name string) (*time.Location, error) {
	if name == "" || name == "Local" {
		return time.Local, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown IANA time zone %q: %w", name, err)
	}
	return loc, nil
}

// LocalTime returns the instant of a wall-clock time in loc, resolving the
// two cases time.Date leaves unspecified the same way every time:
//
//   - a time that happens twice (the hour repeated when DST ends) is the
//     first occurrence, unless prev (the previous event of the same source,
//     or zero) is already later than it: then it is the second one, so a
//     log that goes through the repeated hour stays in order;
//   - a time that does not exist (skipped when DST starts) is read with the
//     offset in force before the change, i.e. moved forward by the length
//     of the gap (02:30 in a 02:00→03:00 gap is 03:30), as java.time does.
func LocalTime(year int, month time.Month, day, hour, min, sec, nsec int, loc *time.Location, prev time.Time) time.Time {
	wall := time.Date(year, month, day, hour, min, sec, nsec, time.UTC)
	if loc == time.UTC {
		return wall
	}
	w := wall.Unix()
	before := offsetAt(w-86400, loc)
	after := offsetAt(w+86400, loc)
	if before == after {
		// No transition near: the common case.
		return wall.Add(-time.Duration(before) * time.Second).In(loc)
	}
	var valid [2]time.Time
	n := 0
	for _, off := range [2]int{before, after} {
		t := wall.Add(-time.Duration(off) * time.Second)
		if offsetAt(t.Unix(), loc) == off {
			valid[n] = t
			n++
		}
	}
	switch n {
	case 1:
		return valid[0].In(loc)
	case 2:
		first, second := valid[0], valid[1]
		if second.Before(first) {
			first, second = second, first
		}
		if !prev.IsZero() && prev.After(first) {
			return second.In(loc)
		}
		return first.In(loc)
	}
	// In the gap: the offset before the change.
	return wall.Add(-time.Duration(before) * time.Second).In(loc)
}

func offsetAt(unix int64, loc *time.Location) int {
	_, off := time.Unix(unix, 0).In(loc).Zone()
	return off
}

// InferYear places a month/day/time without year (snort's "10/21-10:33:58")
// in the latest year that does not put it after now+slack: the year of now,
// or the year before when that would be in the future (an alert of Dec 31
// read on Jan 1). slack absorbs a source clock slightly ahead of ours. A
// Feb 29 goes to the latest leap year not in the future.
func InferYear(month time.Month, day, hour, min, sec, nsec int, loc *time.Location, now time.Time, slack time.Duration, prev time.Time) (time.Time, bool) {
	if month < 1 || month > 12 || day < 1 || day > 31 {
		return time.Time{}, false
	}
	limit := now.Add(slack)
	y := now.In(loc).Year() + 1
	for i := 0; i < 9; i++ { // 9 years reach a leap year from anywhere
		cy := y - i
		if time.Date(cy, month, day, 12, 0, 0, 0, time.UTC).Day() != day {
			continue // Feb 29 in a common year, or Apr 31
		}
		t := LocalTime(cy, month, day, hour, min, sec, nsec, loc, prev)
		if !t.After(limit) {
			return t, true
		}
	}
	return time.Time{}, false
}
