package cli

import (
	"bytes"
	"encoding/json"
	"io"

	"github.com/atl-cli/atl/internal/jsoncolor"
)

// PrintJSON writes v as indented JSON, the form of every --json output;
// on a terminal, with every control and format character in its strings
// escaped (\uXXXX), as encoding/json leaves some raw.
func PrintJSON(w io.Writer, terminal bool, v any) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	out := b.Bytes()
	if terminal {
		out = jsoncolor.Escape(out)
	}
	_, err := w.Write(out)
	return err
}
