package cli

import (
	"encoding/json"
	"io"
	"reflect"
	"time"

	"github.com/cozeauth/cozeauth/internal/timefmt"
)

// writeJSON writes v indented, with every time in it as [timefmt.Stamp]
// makes it: RFC 3339, UTC, whole seconds. Times reached through pointers are
// changed in place: pass values built for printing.
func writeJSON(w io.Writer, v any) error {
	c := reflect.New(reflect.TypeOf(v))
	c.Elem().Set(reflect.ValueOf(v))
	stampTimes(c.Elem())
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(c.Elem().Interface())
}

var timeType = reflect.TypeFor[time.Time]()

// stampTimes walks v's pointers, structs, slices and arrays and stamps each
// settable time.Time it finds. Fields of an embedded struct of an
// unexported type cannot be set through reflection and are left as they are.
func stampTimes(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			stampTimes(v.Elem())
		}
	case reflect.Struct:
		if v.Type() == timeType {
			if v.CanSet() {
				v.Set(reflect.ValueOf(timefmt.Stamp(v.Interface().(time.Time))))
			}
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				stampTimes(v.Field(i))
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			stampTimes(v.Index(i))
		}
	}
}
