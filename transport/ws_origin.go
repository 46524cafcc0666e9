package transport

import (
	"fmt"
	"net/http"
	"path"
	"strings"
)

// validateOrigins checks AllowedOrigins patterns.
func validateOrigins(patterns []string) error {
	for i, p := range patterns {
		if p == "" {
			return fmt.Errorf("%w: AllowedOrigins[%d] is empty", ErrConfig, i)
		}
		if _, err := path.Match(strings.ToLower(p), ""); err != nil {
			return fmt.Errorf("%w: AllowedOrigins[%d] %q: %w", ErrConfig, i, p, err)
		}
	}
	return nil
}

// originChecker returns a CheckOrigin for AllowedOrigins: a request without
// an Origin header passes (it is not from a browser, and the check exists
// against cross-site requests from browsers); otherwise the Origin must
// match a pattern, case-insensitively.
func originChecker(patterns []string) func(*http.Request) bool {
	lower := make([]string, len(patterns))
	for i, p := range patterns {
		lower[i] = strings.ToLower(p)
	}
	return func(r *http.Request) bool {
		origin := r.Header.Get("Origin")
		if origin == "" {
			return true
		}
		return originAllowed(lower, strings.ToLower(origin))
	}
}

// originAllowed matches a lower-case origin against lower-case patterns.
// "*" matches any run of characters without a "/", so "https://*.example.com"
// matches "https://a.example.com" and "https://a.b.example.com" but neither
// "https://example.com" nor "https://a.example.com:8443".
func originAllowed(patterns []string, origin string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, origin); ok {
			return true
		}
	}
	return false
}
