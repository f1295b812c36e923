package cli

import (
	"encoding/json"
	"io"
	"reflect"
	"time"

	"github.com/cozeauth/cozeauth/internal/timefmt"
)

// writeJSON writes v indented, with every time in it as [timefmt.Format]
// writes it: RFC 3339, UTC, whole seconds. v is not changed: the times are
// stamped in a copy.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if v == nil {
		return enc.Encode(nil)
	}
	return enc.Encode(stamped(reflect.ValueOf(v)).Interface())
}

var timeType = reflect.TypeFor[time.Time]()

// stamped is a copy of v whose every time.Time reached through pointers,
// interfaces, structs, slices and arrays is [timefmt.Stamp]ed; the rest is
// shared with v. Exported fields are copied deeply; unexported ones, and
// the fields of an embedded struct of an unexported type (which reflection
// cannot set), are copied as they are. Maps are shared.
func stamped(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		p := reflect.New(v.Type().Elem())
		p.Elem().Set(stamped(v.Elem()))
		return p
	case reflect.Interface:
		if v.IsNil() {
			return v
		}
		c := reflect.New(v.Type()).Elem()
		c.Set(stamped(v.Elem()))
		return c
	case reflect.Struct:
		if v.Type() == timeType {
			return reflect.ValueOf(timefmt.Stamp(v.Interface().(time.Time)))
		}
		c := reflect.New(v.Type()).Elem()
		c.Set(v)
		for i := range v.NumField() {
			if f := c.Field(i); v.Type().Field(i).IsExported() && f.CanSet() {
				f.Set(stamped(v.Field(i)))
			}
		}
		return c
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			c.Index(i).Set(stamped(v.Index(i)))
		}
		return c
	case reflect.Array:
		c := reflect.New(v.Type()).Elem()
		for i := range v.Len() {
			c.Index(i).Set(stamped(v.Index(i)))
		}
		return c
	}
	return v
}
