package main

import (
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// Every key of Config, at every depth, appears in the example file — set,
// or in a comment the reader can uncomment — so the example documents the
// whole format. A new field without an example fails here.
func TestExampleConfigCoversEveryKey(t *testing.T) {
	data, err := os.ReadFile("switchboard.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	keys := yamlKeys(reflect.TypeFor[Config](), "")
	if len(keys) < 30 || !strings.Contains(strings.Join(keys, " "), "listeners.static.prefix") {
		t.Fatalf("the walk found only %v", keys)
	}
	for _, key := range keys {
		name := key[strings.LastIndexByte(key, '.')+1:]
		if !regexp.MustCompile(`(^|[\s{,#-])` + regexp.QuoteMeta(name) + `:`).MatchString(text) {
			t.Errorf("the example file does not mention %s", key)
		}
	}
}

// yamlKeys lists the YAML key paths of a struct type's fields, descending
// into structs, pointers to structs and slices of them.
func yamlKeys(typ reflect.Type, prefix string) []string {
	var keys []string
	for f := range typ.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if !f.IsExported() || name == "" || name == "-" {
			continue
		}
		keys = append(keys, prefix+name)
		ft := f.Type
		for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && ft.PkgPath() == typ.PkgPath() {
			keys = append(keys, yamlKeys(ft, prefix+name+".")...)
		}
	}
	return keys
}
