//go:build linux

package main

// keychainHint says what a working keychain is on this platform.
const keychainHint = "a Secret Service (gnome-keyring, KeePassXC) runs and is unlocked in this D-Bus session"

// keychainName names the platform's keychain.
const keychainName = "Secret Service"
