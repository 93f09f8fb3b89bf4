//go:build !atl_gendocs

package main

import "github.com/spf13/cobra"

// docsCommands has nothing to add: `atl __gen-docs` is only in a build
// with -tags atl_gendocs (gendocs.go).
func docsCommands() []*cobra.Command { return nil }
