package cli

import (
	"fmt"
	"io"

	"golang.org/x/term"
)

// readPassword shows prompt on w and reads a line from the terminal on fd
// without echo. The echo is off before the prompt shows, so nothing typed
// or pasted as soon as it does is ever echoed (term.ReadPassword alone
// turns it off only once it starts reading).
func readPassword(fd int, w io.Writer, prompt string) ([]byte, error) {
	if restore, err := echoOff(fd); err == nil {
		defer restore()
	}
	fmt.Fprint(w, prompt)
	return term.ReadPassword(fd)
}
