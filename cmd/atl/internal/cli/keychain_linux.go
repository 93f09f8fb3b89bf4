//go:build linux

package cli

// KeychainHint says what a working keychain is on this platform.
const KeychainHint = "a Secret Service (gnome-keyring, KeePassXC) runs and is unlocked in this D-Bus session"

// KeychainName names the platform's keychain.
const KeychainName = "Secret Service"
