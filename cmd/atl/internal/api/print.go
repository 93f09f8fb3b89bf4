package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/atl-cli/atl/internal/jsoncolor"
	"github.com/atl-cli/atl/internal/termtext"
	"github.com/itchyny/gojq"
)

// printHead prints the status line and headers with --include.
func (c *apiCall) printHead(resp *http.Response) error {
	if !c.opts.Include {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n", resp.Proto, resp.Status)
	keys := make([]string, 0, len(resp.Header))
	for k := range resp.Header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range resp.Header[k] {
			fmt.Fprintf(&b, "%s: %s\n", k, v)
		}
	}
	b.WriteString("\n")
	return c.write(b.String())
}

// printBody prints a body: on a terminal JSON indented (and coloured),
// anything else cleaned of control characters; elsewhere as it is.
func (c *apiCall) printBody(body []byte) {
	if c.opts.Silent || len(body) == 0 {
		return
	}
	out := c.opts.IO.Out
	if !c.terminal {
		_, _ = out.Write(body)
		return
	}
	if err := jsoncolor.Write(out, body, c.color); err != nil {
		_ = c.write(string(body))
		if !bytes.HasSuffix(body, []byte("\n")) {
			fmt.Fprintln(out)
		}
	}
}

// endLine is b ending with a newline (when not empty).
func endLine(b []byte) []byte {
	if len(b) == 0 || bytes.HasSuffix(b, []byte("\n")) {
		return b
	}
	return append(b, '\n')
}

// write prints text from the server, cleaned on a terminal.
func (c *apiCall) write(s string) error {
	if c.terminal {
		s = termtext.Lines(s)
	}
	_, err := io.WriteString(c.opts.IO.Out, s)
	return err
}

// printJQ prints the results of --jq on body (see runJQ).
func (c *apiCall) printJQ(body []byte) error {
	v, err := decodePage(body)
	if err != nil {
		return fmt.Errorf("--jq: the answer is not JSON")
	}
	return c.runJQ(v)
}

// runJQ prints the results of --jq on v, a decoded answer, one a line (see
// printJQResult).
func (c *apiCall) runJQ(v any) error {
	iter := c.jq.Run(plain(v))
	for {
		r, ok := iter.Next()
		if !ok {
			return nil
		}
		if err, ok := r.(error); ok {
			var halt *gojq.HaltError
			if errors.As(err, &halt) && halt.Value() == nil {
				return nil
			}
			return fmt.Errorf("--jq: %v", err)
		}
		if err := c.printJQResult(r); err != nil {
			return err
		}
	}
}

// printJQResult prints one result of --jq: a string as it is (cleaned on
// a terminal), another value as compact JSON (with control and format
// characters escaped on a terminal).
func (c *apiCall) printJQResult(r any) error {
	if s, ok := r.(string); ok {
		return c.write(s + "\n")
	}
	b, err := gojq.Marshal(r)
	if err != nil {
		return fmt.Errorf("--jq: %v", err)
	}
	if c.terminal {
		b = jsoncolor.Escape(b)
	}
	_, err = c.opts.IO.Out.Write(append(b, '\n'))
	return err
}

// plain turns json.Numbers into what gojq takes: ints and float64s.
func plain(v any) any {
	switch x := v.(type) {
	case json.Number:
		if n, err := strconv.Atoi(x.String()); err == nil {
			return n
		}
		f, _ := x.Float64()
		return f
	case []any:
		for i := range x {
			x[i] = plain(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = plain(x[k])
		}
	}
	return v
}
