// Command keychainread is the keychain floor of scripts/bench: one
// go-keyring read of an item, built as atl is.
//
//	keychainread SERVICE ACCOUNT
package main

import (
	"fmt"
	"os"

	"github.com/zalando/go-keyring"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: keychainread SERVICE ACCOUNT")
		os.Exit(2)
	}
	v, err := keyring.Get(os.Args[1], os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, "keychainread:", err)
		os.Exit(1)
	}
	fmt.Println(len(v))
}
