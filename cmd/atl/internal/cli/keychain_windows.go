//go:build windows

package cli

// KeychainHint says what a working keychain is on this platform.
const KeychainHint = "Windows Credential Manager is available to your account"

// KeychainName names the platform's keychain.
const KeychainName = "Windows Credential Manager"
