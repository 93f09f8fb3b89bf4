//go:build windows

package main

// keychainHint says what a working keychain is on this platform.
const keychainHint = "Windows Credential Manager is available to your account"

// keychainName names the platform's keychain.
const keychainName = "Windows Credential Manager"
