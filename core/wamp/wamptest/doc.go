// Package wamptest loads the WAMP specification's conformance test vectors
// (core/wamp/testdata/vectors) for the tests of package wamp and of every
// serializer, and turns a vector's expected attributes into the typed message
// they describe. It is a test helper: it reads files and uses encoding/json, so
// it is never imported by production code.
//
// A serializer test walks every serialization sample and every byte variant
// for its format:
//
//	files, err := wamptest.LoadSingleMessage("../wamp/testdata/vectors")
//	for _, f := range files {
//		for _, s := range f.Samples {
//			for _, v := range s.Serializers["json"] { data, _ := v.Data(); ... }
//		}
//	}
package wamptest
