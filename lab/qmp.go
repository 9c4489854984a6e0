package lab

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"sync"
	"time"
)

// QMP is a client of QEMU's machine protocol on a unix socket: JSON objects,
// one a line; the greeting first, then qmp_capabilities, then commands.
type QMP struct {
	mu   sync.Mutex
	conn net.Conn
	r    *bufio.Reader
	id   int
}

// QMPError is an error QEMU returned for a command.
type QMPError struct {
	Command string
	Class   string `json:"class"`
	Desc    string `json:"desc"`
}

// Error says which command failed and QEMU's class and description.
func (e *QMPError) Error() string {
	return fmt.Sprintf("lab: qmp %s: %s: %s", e.Command, e.Class, e.Desc)
}

// DialQMP connects to the QMP socket, reads the greeting and enters command
// mode. It retries until the socket accepts or ctx ends.
func DialQMP(ctx context.Context, path string) (*QMP, error) {
	conn, err := dialUnix(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("lab: qmp: %w", err)
	}
	q := &QMP{conn: conn, r: bufio.NewReader(conn)}
	if err := q.deadline(ctx); err != nil {
		conn.Close()
		return nil, err
	}
	line, err := q.r.ReadBytes('\n')
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("lab: qmp greeting: %w", err)
	}
	var greeting struct {
		QMP json.RawMessage `json:"QMP"`
	}
	if err := json.Unmarshal(line, &greeting); err != nil || greeting.QMP == nil {
		conn.Close()
		return nil, fmt.Errorf("lab: qmp: unexpected greeting %q", line)
	}
	if _, err := q.Execute(ctx, "qmp_capabilities", nil); err != nil {
		conn.Close()
		return nil, err
	}
	return q, nil
}

func (q *QMP) deadline(ctx context.Context) error {
	d, ok := ctx.Deadline()
	if !ok {
		d = time.Now().Add(30 * time.Second)
	}
	if err := q.conn.SetDeadline(d); err != nil {
		return fmt.Errorf("lab: qmp: %w", err)
	}
	return nil
}

// Execute runs one command and returns its "return" value. Asynchronous
// events that arrive meanwhile are skipped.
func (q *QMP) Execute(ctx context.Context, command string, args any) (json.RawMessage, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if err := q.deadline(ctx); err != nil {
		return nil, err
	}
	q.id++
	req := map[string]any{"execute": command, "id": q.id}
	if args != nil {
		req["arguments"] = args
	}
	b, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("lab: qmp %s: %w", command, err)
	}
	if _, err := q.conn.Write(append(b, '\n')); err != nil {
		return nil, fmt.Errorf("lab: qmp %s: %w", command, err)
	}
	for {
		line, err := q.r.ReadBytes('\n')
		if err != nil {
			return nil, fmt.Errorf("lab: qmp %s: %w", command, err)
		}
		var resp struct {
			ID     *int            `json:"id"`
			Return json.RawMessage `json:"return"`
			Error  *QMPError       `json:"error"`
		}
		if err := json.Unmarshal(line, &resp); err != nil {
			return nil, fmt.Errorf("lab: qmp %s: bad reply %q: %w", command, line, err)
		}
		if resp.ID == nil || *resp.ID != q.id {
			continue // an event, or the reply to a command that timed out
		}
		if resp.Error != nil {
			resp.Error.Command = command
			return nil, resp.Error
		}
		return resp.Return, nil
	}
}

// Close closes the connection.
func (q *QMP) Close() error { return q.conn.Close() }

// dialUnix dials a unix socket, retrying while it does not exist yet.
func dialUnix(ctx context.Context, path string) (net.Conn, error) {
	var d net.Dialer
	for {
		conn, err := d.DialContext(ctx, "unix", path)
		if err == nil {
			return conn, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("dial %s: %w (last error: %v)", path, ctx.Err(), err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
