package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// field is one -f or -F parameter of atl api.
type field struct {
	key   string
	value any // string, json.Number, bool or nil
}

// parseFields reads -f key=value (always a string) and -F key=value
// (typed: integers and decimals, true, false, null, @file for a file's
// contents, @- for stdin's; else a string), in the order given.
func parseFields(raw, typed []string, stdin io.Reader) ([]field, error) {
	var out []field
	for _, kv := range raw {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, usageErrorf("-f %q: want key=value", kv)
		}
		out = append(out, field{k, v})
	}
	for _, kv := range typed {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, usageErrorf("-F %q: want key=value", kv)
		}
		value, err := typedValue(v, stdin)
		if err != nil {
			return nil, usageErrorf("-F %s: %v", k, err)
		}
		out = append(out, field{k, value})
	}
	return out, nil
}

func typedValue(v string, stdin io.Reader) (any, error) {
	switch {
	case v == "true":
		return true, nil
	case v == "false":
		return false, nil
	case v == "null":
		return nil, nil
	case strings.HasPrefix(v, "@"):
		var b []byte
		var err error
		if v == "@-" {
			b, err = io.ReadAll(io.LimitReader(stdin, maxBodySize+1))
		} else {
			b, err = os.ReadFile(v[1:])
		}
		if err != nil {
			return nil, err
		}
		if len(b) > maxBodySize {
			return nil, fmt.Errorf("%s is larger than %d bytes", v, maxBodySize)
		}
		return string(b), nil
	}
	if _, err := strconv.ParseInt(v, 10, 64); err == nil {
		return json.Number(v), nil
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil && !strings.ContainsAny(v, "xXpP_") && f == f {
		return json.Number(v), nil
	}
	return v, nil
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
			return nil, usageErrorf("%v", err)
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
					return nil, usageErrorf("key %q: %s is already a value, not an object", f.key, p)
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
				return nil, usageErrorf("key %q: %s is already a value, not an array", f.key, last)
			}
			obj[last] = append(arr, f.value)
		case taken:
			return nil, usageErrorf("key %q is given twice", f.key)
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
