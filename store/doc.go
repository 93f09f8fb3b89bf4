// Package store keeps what atl remembers between runs: secrets in the
// operating system's keychain (or, only when the user opts in, in a private
// file), non-secret metadata in a config directory, and the cross-process
// lock that serialises token refreshes.
//
// Everything is keyed by profile name so that several accounts can live side
// by side. The layout of a config directory is:
//
//	config.json              optional user settings (client id, callback URL)
//	profiles/NAME.json       non-secret metadata of profile NAME
//	profiles/NAME.lock       lock file taken while NAME's tokens change
//	profiles/NAME.tokens.json  tokens, only with insecure storage
//
// Secrets live in the keychain under service "atl", account "profile:NAME".
package store
