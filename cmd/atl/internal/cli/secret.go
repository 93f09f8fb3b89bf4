package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// ParseScopes reads --scopes: none given is nil (config.json's, else the
// defaults).
func ParseScopes(flag []string) ([]string, error) {
	if len(flag) == 0 {
		return nil, nil
	}
	var out []string
	for _, f := range flag {
		for _, s := range strings.FieldsFunc(f, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	if len(out) == 0 {
		return nil, UsageErrorf("--scopes is empty")
	}
	for _, s := range out {
		if strings.ContainsAny(s, "\"\\") || strings.ContainsFunc(s, func(r rune) bool { return r < 0x21 || r > 0x7e }) {
			return nil, UsageErrorf("scope %q is not a scope", s)
		}
	}
	return out, nil
}

// ReadClientSecret reads the client secret from stdin: on a terminal
// with a prompt and without echo, else the first line of what is piped.
func ReadClientSecret(io *IOStreams) (string, error) {
	if io.ReadPassword == nil {
		return readSecret(io.In)
	}
	b, err := io.ReadPassword("Client secret (not shown): ")
	fmt.Fprintln(io.ErrOut)
	if err != nil {
		return "", fmt.Errorf("reading the client secret: %w", err)
	}
	secret := strings.TrimSpace(string(b))
	if secret == "" {
		return "", UsageErrorf("--client-secret-stdin: no secret was typed")
	}
	return secret, nil
}

// readSecret reads a client secret from r: its first line, trimmed.
func readSecret(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading the client secret from stdin: %w", err)
	}
	secret := strings.TrimSpace(line)
	if secret == "" {
		return "", UsageErrorf("--client-secret-stdin: nothing on standard input")
	}
	return secret, nil
}
