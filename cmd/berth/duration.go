package main

import (
	"fmt"
	"strconv"
	"time"
)

// durationValue is a flag of a duration typed as Docker Compose users type
// it, integer seconds ("30"), or as a Go duration ("15s", "2m", "1m30s").
type durationValue struct{ d *time.Duration }

func newDurationValue(d *time.Duration, def time.Duration) durationValue {
	*d = def
	return durationValue{d}
}

func (v durationValue) Set(s string) error {
	if n, err := strconv.Atoi(s); err == nil {
		if n < 0 {
			return fmt.Errorf("%s: must not be negative", s)
		}
		*v.d = time.Duration(n) * time.Second
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is neither seconds nor a duration such as 15s or 2m", s)
	}
	if d < 0 {
		return fmt.Errorf("%s: must not be negative", s)
	}
	*v.d = d
	return nil
}

func (v durationValue) String() string {
	if v.d == nil {
		return "0s"
	}
	return v.d.String()
}

func (v durationValue) Type() string { return "duration" }
