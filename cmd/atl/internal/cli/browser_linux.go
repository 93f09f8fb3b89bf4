//go:build linux

package cli

import (
	"errors"
	"os"
	"os/exec"
	"strings"
)

// underWSL reports whether atl runs in the Windows Subsystem for Linux.
func underWSL(getenv func(string) string) bool {
	if getenv("WSL_DISTRO_NAME") != "" || getenv("WSL_INTEROP") != "" {
		return true
	}
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	return err == nil && strings.Contains(strings.ToLower(string(b)), "microsoft")
}

// windowsBrowser opens url in Windows' default browser from WSL: with
// wslview (wslu) when it is there, else through cmd.exe. url is atl's
// sign-in link without its key, which holds nothing cmd.exe would
// interpret.
func windowsBrowser(url string) error {
	for _, args := range [][]string{{"wslview", url}, {"cmd.exe", "/c", "start", `""`, url}} {
		path, err := exec.LookPath(args[0])
		if err != nil {
			continue
		}
		cmd := exec.Command(path, args[1:]...)
		cmd.Env = childEnv(os.Environ())
		if err := cmd.Start(); err != nil {
			return err
		}
		go func() { _ = cmd.Wait() }()
		return nil
	}
	return errors.New("no Linux browser, and neither wslview nor cmd.exe to open Windows' browser")
}
