// Command hello is the process floor of scripts/bench: a Go program that
// prints a line, built as atl is.
package main

import "os"

func main() { _, _ = os.Stdout.WriteString("hello\n") }
