package cli

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// esc makes text read from the host (bond slave and file names, errors
// naming paths) or typed by a user (a maintenance reason) safe for a
// terminal and for a line-oriented reader such as Nagios: every control
// character (C0 including newline, DEL, C1), the Unicode line and paragraph
// separators and the bidirectional overrides are written as Go escapes
// (\x1b, \n, \u2028), and invalid UTF-8 bytes as \xNN, as the JSON output
// and the logs already escape them. It is the one escaping function of the
// text outputs, applied to each value where it is printed; the layout's own
// newlines and colours are never passed through it.
func esc(s string) string {
	if !needsEsc(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case escRune(r):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// escLines is esc for a multi-line message: each line escaped, the newlines
// between them kept.
func escLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = esc(l)
	}
	return strings.Join(lines, "\n")
}

func needsEsc(s string) bool {
	for _, r := range s {
		if r == utf8.RuneError || escRune(r) {
			return true
		}
	}
	return false
}

// escRune reports whether r could move the cursor, change the terminal, end
// a line or reorder the text around it.
func escRune(r rune) bool {
	return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' ||
		(r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069')
}
