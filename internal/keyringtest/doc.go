// Package keyringtest reads the user's Linux kernel keyring for tests
// that check what atl leaves there: the keys linked into it, without the
// keyctl program. It is Linux only.
package keyringtest
