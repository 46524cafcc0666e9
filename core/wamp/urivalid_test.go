package wamp

import (
	"regexp"
	"testing"
)

// The spec's regular expressions (basic profile, "URIs"), the oracle for the
// hand-written ValidURI.
var uriOracles = [2][2]*regexp.Regexp{
	// [strict][allowEmpty]
	{regexp.MustCompile(`^([^\s\.#]+\.)*([^\s\.#]+)$`), regexp.MustCompile(`^(([^\s\.#]+\.)|\.)*([^\s\.#]+)?$`)},
	{regexp.MustCompile(`^([0-9a-z_]+\.)*([0-9a-z_]+)$`), regexp.MustCompile(`^(([0-9a-z_]+\.)|\.)*([0-9a-z_]+)?$`)},
}

func checkURIAgainstOracle(t *testing.T, u string) {
	t.Helper()
	for si, strict := range []bool{false, true} {
		for ei, empty := range []bool{false, true} {
			want := uriOracles[si][ei].MatchString(u)
			if got := ValidURI(URI(u), strict, empty); got != want {
				t.Fatalf("ValidURI(%q, strict=%v, empty=%v) = %v, regexp says %v", u, strict, empty, got, want)
			}
		}
	}
}

// TestValidURIMatchesSpecRegexps compares all strings up to 4 symbols over an
// alphabet covering every character class the rules distinguish.
func TestValidURIMatchesSpecRegexps(t *testing.T) {
	alphabet := []string{"a", "z", "0", "_", "A", "-", ".", "#", " ", "\t", "\n", "\v", "é", "\xff"}
	var gen func(prefix string, n int)
	count := 0
	gen = func(prefix string, n int) {
		checkURIAgainstOracle(t, prefix)
		count++
		if n == 0 {
			return
		}
		for _, s := range alphabet {
			gen(prefix+s, n-1)
		}
	}
	gen("", 4)
	if count < 40000 {
		t.Fatalf("only %d strings checked", count)
	}
}

func TestValidURIExamples(t *testing.T) {
	tests := []struct {
		uri             string
		loose, strict   bool
		looseE, strictE bool
	}{
		{"com.myapp.topic1", true, true, true, true},
		{"com.myapp.Topic", true, false, true, false},
		{"wamp.error.no_such_procedure", true, true, true, true},
		{"com..topic", false, false, true, true},
		{".com", false, false, true, true},
		{"com.", false, false, true, true},
		{"", false, false, true, true},
		{"com.my app", false, false, false, false},
		{"com.my#app", false, false, false, false},
		{"com.myapp-1", true, false, true, false},
		{"中文.主题", true, false, true, false},
	}
	for _, tt := range tests {
		u := URI(tt.uri)
		if got := ValidURI(u, false, false); got != tt.loose {
			t.Errorf("%q loose = %v", tt.uri, got)
		}
		if got := ValidURI(u, true, false); got != tt.strict {
			t.Errorf("%q strict = %v", tt.uri, got)
		}
		if got := ValidURI(u, false, true); got != tt.looseE {
			t.Errorf("%q loose+empty = %v", tt.uri, got)
		}
		if got := ValidURI(u, true, true); got != tt.strictE {
			t.Errorf("%q strict+empty = %v", tt.uri, got)
		}
		checkURIAgainstOracle(t, tt.uri)
	}
}

func FuzzValidURI(f *testing.F) {
	for _, s := range []string{"com.myapp.topic", "a..b", "", ".", "A b", "#", "\xff.x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, u string) { checkURIAgainstOracle(t, u) })
}

func BenchmarkValidURI(b *testing.B) {
	u := URI("com.example.myapp.procedure_name")
	b.ReportAllocs()
	for b.Loop() {
		if !ValidURI(u, true, false) {
			b.Fatal("invalid")
		}
	}
}
