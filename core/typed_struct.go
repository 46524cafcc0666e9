package core

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// Struct binding. A struct's exported fields map to dict keys by their
// `wamp:"name"` tag, or, untagged, by the field name (matched exactly,
// else ignoring case, as encoding/json does). Tag options: "required" (a
// missing key is an error; otherwise a missing key leaves the zero value),
// "omitempty" (results only: a zero field is left out), and `wamp:"-"`
// skips the field.

// fieldPlan is one bindable field of a struct.
type fieldPlan struct {
	index     []int
	name      string
	tagged    bool // match name exactly only
	required  bool
	omitEmpty bool
	dec       decodeFunc
}

// structPlan is how a struct type is bound.
type structPlan struct {
	t      reflect.Type
	fields []fieldPlan
}

// structPlan builds the plan of struct type t; field decoders come from c.
func (c *decoderCache) structPlan(t reflect.Type) (*structPlan, error) {
	plan := &structPlan{t: t}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		fp, skip := parseFieldTag(f)
		if skip {
			continue
		}
		dec, err := c.get(f.Type)
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", f.Name, err)
		}
		fp.index, fp.dec = f.Index, dec
		plan.fields = append(plan.fields, fp)
	}
	return plan, nil
}

// parseFieldTag reads the wamp tag of f.
func parseFieldTag(f reflect.StructField) (fp fieldPlan, skip bool) {
	tag, hasTag := f.Tag.Lookup("wamp")
	if tag == "-" {
		return fp, true
	}
	name, opts, _ := strings.Cut(tag, ",")
	fp.name, fp.tagged = name, hasTag && name != ""
	if fp.name == "" {
		fp.name = f.Name
	}
	for _, o := range strings.Split(opts, ",") {
		switch o {
		case "required":
			fp.required = true
		case "omitempty":
			fp.omitEmpty = true
		}
	}
	return fp, false
}

// lookup finds the field's value in d.
func (fp *fieldPlan) lookup(d map[string]any) (any, bool) {
	if v, ok := d[fp.name]; ok {
		return v, true
	}
	if fp.tagged {
		return nil, false
	}
	for k, v := range d {
		if strings.EqualFold(k, fp.name) {
			return v, true
		}
	}
	return nil, false
}

// decodeDict fills a struct from a dict (a nested struct, or a struct
// parameter).
func (p *structPlan) decodeDict(v any, dst reflect.Value) *convError {
	d, ok := v.(map[string]any)
	if !ok {
		return &convError{want: "dict", got: describe(v)}
	}
	for i := range p.fields {
		fp := &p.fields[i]
		x, ok := fp.lookup(d)
		if !ok {
			if fp.required {
				return &convError{path: "field " + strconv.Quote(fp.name), missing: true}
			}
			continue
		}
		if e := fp.dec(x, dst.FieldByIndex(fp.index)); e != nil {
			return e.at("field " + strconv.Quote(fp.name))
		}
	}
	return nil
}

// bindArgs fills a struct from a call's arguments: positional arguments
// fill the fields in order, kwargs fill them by name. The error is the
// message for wamp.error.invalid_argument.
func (p *structPlan) bindArgs(args wamp.List, kwargs wamp.Dict, dst reflect.Value) error {
	if len(args) > len(p.fields) {
		return fmt.Errorf("too many arguments: want at most %d, got %d", len(p.fields), len(args))
	}
	for i := range p.fields {
		fp := &p.fields[i]
		x, fromKw := fp.lookup(kwargs)
		present := fromKw
		if i < len(args) {
			if fromKw {
				return fmt.Errorf("argument %q (position %d) given both by position and by name", fp.name, i+1)
			}
			x, present = args[i], true
		}
		if !present {
			if fp.required {
				return fmt.Errorf("argument %q (position %d) is required", fp.name, i+1)
			}
			continue
		}
		if e := fp.dec(x, dst.FieldByIndex(fp.index)); e != nil {
			return fmt.Errorf("argument %q (position %d): %w", fp.name, i+1, e)
		}
	}
	return nil
}
