// Package secret resolves secrets given in the configuration either inline or
// as a file, and keeps them out of logs and error messages.
package secret

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/redwatch/redwatch/internal/safefile"
)

// Redacted is how a secret renders wherever it could be printed.
const Redacted = "<secret>"

// maxSize bounds a secret file: a secret is a password or a token, not a file to stream.
const maxSize = 64 << 10

// String is a secret value. It prints, marshals and logs as "<secret>"; use
// Reveal to get the value where it is actually needed.
type String string

// Reveal returns the secret itself.
func (s String) Reveal() string { return string(s) }

// String implements fmt.Stringer; it never shows the value.
func (s String) String() string { return Redacted }

// GoString implements fmt.GoStringer (%#v); it never shows the value.
func (s String) GoString() string { return Redacted }

// MarshalText implements encoding.TextMarshaler; it never shows the value.
func (s String) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

// MarshalJSON implements json.Marshaler; it never shows the value.
func (s String) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }

// LogValue implements slog.LogValuer; it never shows the value.
func (s String) LogValue() slog.Value { return slog.StringValue(Redacted) }

// ErrInsecure is wrapped by the error for a secret file others can read.
var ErrInsecure = errors.New("secret file must be readable by its owner only")

// ErrNone is returned when neither an inline secret nor a file is given.
var ErrNone = errors.New("secret: neither an inline value nor a file is given")

// Resolve returns the secret given either inline or in a file: exactly one of
// inline and file must be set. A file that its group or others can read is
// refused, as ssh refuses such a key; one trailing newline (and \r) is trimmed.
// The secret never appears in an error.
func Resolve(inline, file string) (string, error) {
	switch {
	case inline != "" && file != "":
		return "", errors.New("secret: both an inline value and a file are given; set only one")
	case inline != "":
		return inline, nil
	case file == "":
		return "", ErrNone
	}
	// A FIFO, device or directory is refused without blocking.
	f, err := safefile.Open(file)
	if err != nil {
		return "", fmt.Errorf("secret: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("secret: %w", err)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		who := "others"
		if perm&0o007 == 0 {
			who = "its group"
		}
		return "", fmt.Errorf("secret: %s is readable by %s (mode %04o); chmod 600 it: %w", file, who, perm, ErrInsecure)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxSize+1))
	if err != nil {
		return "", fmt.Errorf("secret: reading %s: %w", file, err)
	}
	if len(b) > maxSize {
		return "", fmt.Errorf("secret: %s is larger than %d bytes", file, maxSize)
	}
	s := strings.TrimSuffix(string(b), "\n")
	s = strings.TrimSuffix(s, "\r")
	if s == "" {
		return "", fmt.Errorf("secret: %s is empty", file)
	}
	return s, nil
}
