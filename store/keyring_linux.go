//go:build linux

package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/godbus/dbus/v5"
)

// keychainPreflight fails fast when there is no D-Bus session bus at all.
// Without this check godbus would try to autolaunch a bus with dbus-launch,
// which leaves a stray daemon behind and never reaches a keychain anyway.
//
// A bus found in the runtime directory is exported as
// DBUS_SESSION_BUS_ADDRESS: godbus looks only in /run/user/UID, not in
// $XDG_RUNTIME_DIR, and would otherwise autolaunch after all.
func keychainPreflight() error {
	if addr := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); addr != "" && addr != "autolaunch:" {
		return nil
	}
	dir := os.Getenv("XDG_RUNTIME_DIR")
	if dir == "" {
		dir = fmt.Sprintf("/run/user/%d", os.Getuid())
	}
	addr := ""
	if bus := filepath.Join(dir, "bus"); fileExists(bus) {
		addr = "unix:path=" + dbus.EscapeBusAddressValue(bus)
	} else if b, err := os.ReadFile(filepath.Join(dir, "dbus-session")); err == nil {
		// A text file: DBUS_SESSION_BUS_ADDRESS=unix:abstract=/tmp/dbus-…
		if a, ok := strings.CutPrefix(string(b), "DBUS_SESSION_BUS_ADDRESS="); ok {
			addr = strings.TrimRight(a, "\r\n")
		}
	}
	if addr == "" {
		return errors.New("no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)")
	}
	return os.Setenv("DBUS_SESSION_BUS_ADDRESS", addr)
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// platformKeychainCause turns a Secret Service failure into words.
func platformKeychainCause(err error) string {
	var dbusErr dbus.Error
	var dbusErrPtr *dbus.Error
	name := ""
	switch {
	case errors.As(err, &dbusErr):
		name = dbusErr.Name
	case errors.As(err, &dbusErrPtr):
		name = dbusErrPtr.Name
	}
	switch name {
	case "":
		return err.Error()
	case "org.freedesktop.DBus.Error.ServiceUnknown", "org.freedesktop.DBus.Error.NameHasNoOwner":
		return "no Secret Service is running on the D-Bus session bus"
	case "org.freedesktop.DBus.Error.NoReply", "org.freedesktop.DBus.Error.Timeout":
		return "the Secret Service did not reply"
	case "org.freedesktop.Secret.Error.IsLocked":
		return "the keyring is locked"
	case "org.freedesktop.DBus.Error.AccessDenied":
		return "access to the keyring was denied"
	default:
		return fmt.Sprintf("D-Bus error %s", name)
	}
}
