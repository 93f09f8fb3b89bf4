//go:build darwin

package cli

// KeychainHint says what a working keychain is on this platform.
const KeychainHint = "your login keychain is unlocked and atl may use it"

// KeychainName names the platform's keychain.
const KeychainName = "the macOS Keychain"
