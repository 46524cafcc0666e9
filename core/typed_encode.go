package core

import (
	"reflect"
	"sync"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// resultOf turns a typed handler's return value into its Result (see Func2
// for the mapping). WAMP-native values take a type switch; typed Go values
// (structs, typed slices and maps, named scalars) are converted by
// reflection.
func resultOf(v any) *Result {
	switch x := v.(type) {
	case *Result:
		if x == nil {
			return &Result{}
		}
		return x
	case nil:
		return &Result{Args: wamp.List{nil}}
	case []any:
		return &Result{Args: x}
	case map[string]any:
		return &Result{Kwargs: x}
	case string, bool, int64, float64, []byte, int, uint64, int32, float32:
		return &Result{Args: wamp.List{x}}
	}
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Interface {
		if rv.IsNil() {
			return &Result{Args: wamp.List{nil}}
		}
		rv = rv.Elem()
	}
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.Type().Elem().Kind() == reflect.Uint8 {
			break // binary is a scalar
		}
		l, _ := normalize(rv).([]any)
		return &Result{Args: l}
	case reflect.Map, reflect.Struct:
		if d, ok := normalize(rv).(map[string]any); ok {
			return &Result{Kwargs: d}
		}
	}
	return &Result{Args: wamp.List{normalize(rv)}}
}

// normalize converts a Go value into WAMP values: named scalars to their
// base type, slices and arrays to lists, maps with string keys and structs
// to dicts, pointers and interfaces to what they hold.
func normalize(rv reflect.Value) any {
	switch rv.Kind() {
	case reflect.Invalid:
		return nil
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return nil
		}
		return normalize(rv.Elem())
	case reflect.Bool:
		return rv.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return rv.Uint()
	case reflect.Float32, reflect.Float64:
		return rv.Float()
	case reflect.String:
		return rv.String()
	case reflect.Slice:
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			return rv.Bytes()
		}
		if rv.IsNil() {
			return nil
		}
		return normalizeList(rv)
	case reflect.Array:
		return normalizeList(rv)
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			return rv.Interface() // left to the serializer
		}
		if rv.IsNil() {
			return nil
		}
		d := make(map[string]any, rv.Len())
		for it := rv.MapRange(); it.Next(); {
			d[it.Key().String()] = normalize(it.Value())
		}
		return d
	case reflect.Struct:
		return normalizeStruct(rv)
	}
	return rv.Interface()
}

func normalizeList(rv reflect.Value) []any {
	l := make([]any, rv.Len())
	for i := range l {
		l[i] = normalize(rv.Index(i))
	}
	return l
}

// encodeField is one field of a struct result.
type encodeField struct {
	index     []int
	name      string
	omitEmpty bool
}

var encodePlans sync.Map // reflect.Type -> []encodeField

func encodePlan(t reflect.Type) []encodeField {
	if p, ok := encodePlans.Load(t); ok {
		return p.([]encodeField)
	}
	var fields []encodeField
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		fp, skip := parseFieldTag(f)
		if skip {
			continue
		}
		fields = append(fields, encodeField{index: f.Index, name: fp.name, omitEmpty: fp.omitEmpty})
	}
	encodePlans.Store(t, fields)
	return fields
}

func normalizeStruct(rv reflect.Value) map[string]any {
	fields := encodePlan(rv.Type())
	d := make(map[string]any, len(fields))
	for _, f := range fields {
		fv := rv.FieldByIndex(f.index)
		if f.omitEmpty && fv.IsZero() {
			continue
		}
		d[f.name] = normalize(fv)
	}
	return d
}
