package api

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/atl-cli/atl/cmd/atl/internal/cli"
)

// field is one -f or -F parameter of atl api.
type field struct {
	key   string
	value any // string, json.Number, bool or nil
}

// parseFields reads -f key=value (always a string) and -F key=value
// (typed: integers and decimals, true, false, null, @file for a file's
// contents, @- for stdin's, at most maxBodySize bytes as with --input; else
// a string), in the order given.
func parseFields(raw, typed []string, stdin io.Reader) ([]field, error) {
	var out []field
	for _, kv := range raw {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, cli.UsageErrorf("-f %q: want key=value", kv)
		}
		out = append(out, field{k, v})
	}
	for _, kv := range typed {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, cli.UsageErrorf("-F %q: want key=value", kv)
		}
		if name, ok := strings.CutPrefix(v, "@"); ok {
			b, err := readBody("-F "+kv, name, stdin)
			if err != nil {
				return nil, err
			}
			out = append(out, field{k, string(b)})
			continue
		}
		out = append(out, field{k, typedValue(v)})
	}
	return out, nil
}

// typedValue is the value -F key=v gives (other than @file): true, false,
// null, a number, else the string v.
func typedValue(v string) any {
	switch v {
	case "true":
		return true
	case "false":
		return false
	case "null":
		return nil
	}
	if _, err := strconv.ParseInt(v, 10, 64); err == nil {
		return json.Number(v)
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil && !strings.ContainsAny(v, "xXpP_") && f == f {
		return json.Number(v)
	}
	return v
}

// keyPath splits "a[b][c]" into a, b, c; "a[]" ends in "" (append).
func keyPath(key string) ([]string, error) {
	name, rest, _ := strings.Cut(key, "[")
	if name == "" {
		return nil, fmt.Errorf("key %q has no name", key)
	}
	path := []string{name}
	if rest == "" && !strings.Contains(key, "[") {
		return path, nil
	}
	rest = "[" + rest
	for rest != "" {
		if rest[0] != '[' {
			return nil, fmt.Errorf("key %q: want name[part][part]", key)
		}
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return nil, fmt.Errorf("key %q: a [ is not closed", key)
		}
		path = append(path, rest[1:end])
		rest = rest[end+1:]
	}
	for i, p := range path[:len(path)-1] {
		if p == "" && i > 0 {
			return nil, fmt.Errorf("key %q: [] may only come last", key)
		}
	}
	return path, nil
}

// body builds the JSON object the fields describe: a[b]=c nests, a[]=x
// appends to an array.
func body(fields []field) (map[string]any, error) {
	root := map[string]any{}
	for _, f := range fields {
		path, err := keyPath(f.key)
		if err != nil {
			return nil, cli.UsageErrorf("%v", err)
		}
		appending := path[len(path)-1] == ""
		if appending {
			path = path[:len(path)-1]
		}
		obj := root
		for _, p := range path[:len(path)-1] {
			next, ok := obj[p].(map[string]any)
			if !ok {
				if _, taken := obj[p]; taken {
					return nil, cli.UsageErrorf("key %q: %s is already a value, not an object", f.key, p)
				}
				next = map[string]any{}
				obj[p] = next
			}
			obj = next
		}
		last := path[len(path)-1]
		old, taken := obj[last]
		switch {
		case appending:
			arr, ok := old.([]any)
			if taken && !ok {
				return nil, cli.UsageErrorf("key %q: %s is already a value, not an array", f.key, last)
			}
			obj[last] = append(arr, f.value)
		case taken:
			return nil, cli.UsageErrorf("key %q is given twice", f.key)
		default:
			obj[last] = f.value
		}
	}
	return root, nil
}

// query adds the fields to q as query parameters, their keys as written.
func query(q map[string][]string, fields []field) {
	for _, f := range fields {
		v := ""
		switch x := f.value.(type) {
		case string:
			v = x
		case json.Number:
			v = x.String()
		case bool:
			v = strconv.FormatBool(x)
		case nil:
			v = ""
		}
		q[f.key] = append(q[f.key], v)
	}
}
