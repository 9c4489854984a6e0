package hostfs

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"syscall"
)

// Error is one thing a source could not read or parse. It makes the pass at
// least UNKNOWN: unreadable data never reads as healthy.
//
// It keeps its cause as an error (errors.Is and errors.As see through it) and
// becomes text only at the output edge, always by one rule: the message is
// "<collector>: <path>: <cause>", and the cause carries no package prefix
// (Collector says where it came from). Causes built by a parser say what is
// wrong in the data ("unknown personality \"raid99\""); an *fs.PathError for
// Path itself is reduced to its operation and cause by New, so that the path
// is not said twice.
type Error struct {
	// Collector is the source that failed, e.g. "bonding", "md", "net".
	Collector string
	// Path is the file or directory that could not be read or parsed.
	Path string
	// Err says why.
	Err error
}

// New returns the Error of collector for path; an *fs.PathError naming path
// itself is reduced to "<op>: <cause>" (its cause still unwraps).
func New(collector, path string, err error) Error {
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path == path {
		err = opError{op: pe.Op, err: pe.Err}
	}
	return Error{Collector: collector, Path: path, Err: err}
}

// Errorf is New with a cause formatted as by fmt.Errorf (%w wraps).
func Errorf(collector, path, format string, args ...any) Error {
	return Error{Collector: collector, Path: path, Err: fmt.Errorf(format, args...)}
}

// Error is "<collector>: <path>: <cause>" (without the path when there is none).
func (e Error) Error() string {
	if e.Path == "" {
		return e.Collector + ": " + e.Reason()
	}
	return e.Collector + ": " + e.Path + ": " + e.Reason()
}

// Reason is the cause's text ("" without one).
func (e Error) Reason() string {
	if e.Err == nil {
		return ""
	}
	return e.Err.Error()
}

// Unwrap returns the cause.
func (e Error) Unwrap() error { return e.Err }

// Key identifies the error by its text, for comparing the errors of two
// passes (the cause itself is a new value each pass).
func (e Error) Key() [3]string { return [3]string{e.Collector, e.Path, e.Reason()} }

// errorJSON is Error's JSON form: {"collector", "path", "error"}.
type errorJSON struct {
	Collector string `json:"collector"`
	Path      string `json:"path"`
	Err       string `json:"error"`
}

// MarshalJSON writes {"collector", "path", "error": the cause's text}.
func (e Error) MarshalJSON() ([]byte, error) {
	return json.Marshal(errorJSON{e.Collector, e.Path, e.Reason()})
}

// UnmarshalJSON reads what MarshalJSON wrote; the cause becomes a plain error.
func (e *Error) UnmarshalJSON(b []byte) error {
	var j errorJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*e = Error{Collector: j.Collector, Path: j.Path}
	if j.Err != "" {
		e.Err = errors.New(j.Err)
	}
	return nil
}

// opError is an *fs.PathError without its path.
type opError struct {
	op  string
	err error
}

func (e opError) Error() string { return e.op + ": " + e.err.Error() }
func (e opError) Unwrap() error { return e.err }

// Absent reports whether err means the file is not there: not an error
// (no such module, an attribute an older kernel lacks, a partial tree).
func Absent(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}
