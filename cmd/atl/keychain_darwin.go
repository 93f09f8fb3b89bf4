//go:build darwin

package main

// keychainHint says what a working keychain is on this platform.
const keychainHint = "your login keychain is unlocked and atl may use it"

// keychainName names the platform's keychain.
const keychainName = "the macOS Keychain"
