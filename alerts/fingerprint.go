package alerts

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
)

// Fingerprint is the stable identity of an alert: the first 16 hex digits of
// SHA-256 over host, rule and subject (NUL-separated). The same finding on the
// same host always has the same fingerprint, across passes and restarts.
func Fingerprint(host, rule, subject string) string {
	h := sha256.New()
	h.Write([]byte(host))
	h.Write([]byte{0})
	h.Write([]byte(rule))
	h.Write([]byte{0})
	h.Write([]byte(subject))
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// glob is a compiled channel matcher: '*' matches any run of characters
// (including '/'), '?' any one character; everything else is literal.
type glob struct{ re *regexp.Regexp }

func compileGlob(pattern string) (glob, error) {
	var b strings.Builder
	b.WriteString("^")
	for _, r := range pattern {
		switch r {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	re, err := regexp.Compile(b.String())
	if err != nil {
		return glob{}, err
	}
	return glob{re: re}, nil
}

func (g glob) match(s string) bool { return g.re.MatchString(s) }

// GlobMatch reports whether a channel's rule or subject glob matches s, as
// the dispatcher matches it; a pattern that does not compile matches nothing.
func GlobMatch(pattern, s string) bool {
	g, err := compileGlob(pattern)
	return err == nil && g.match(s)
}

// matchAny is true when globs is empty or one of them matches s.
func matchAny(globs []glob, s string) bool {
	if len(globs) == 0 {
		return true
	}
	for _, g := range globs {
		if g.match(s) {
			return true
		}
	}
	return false
}
