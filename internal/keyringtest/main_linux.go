package keyringtest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
)

// envStage says where a test binary runs: unset in the process go test
// started, "top" in the one Main starts in a user namespace of its own,
// "in" in the processes that one starts (helper processes, atl).
const envStage = "ATL_TEST_KEYRING_NS"

// Main runs a package's tests (run: m.Run, or a TestMain's own work
// around it) in a user namespace of their own,
// where the user keyring is a new one (Linux keeps one per user
// namespace): nothing the tests or the processes they start put there
// reaches the developer's keyring, and what they leave there is theirs
// alone. After the tests it fails the run if that keyring still holds a
// key of atl's (described "atl…"), naming each. Where no user namespace
// can be made (a container's seccomp profile, a system that forbids them),
// the tests run as they are, in the user's keyring, and the check is off:
// other programs' keys are there too.
func Main(run func() int) int {
	switch os.Getenv(envStage) {
	case "":
		code, err := runInNamespace()
		if err == nil {
			return code
		}
		fmt.Fprintf(os.Stderr, "keyringtest: no user namespace (%v): the tests use your own kernel keyring, unchecked\n", err)
		os.Setenv(envStage, "in")
		return run()
	case "top":
		os.Setenv(envStage, "in") // what the tests start stays here and checks nothing
		code := run()
		if left := atlKeys(); len(left) > 0 {
			for _, k := range left {
				fmt.Fprintf(os.Stderr, "keyringtest: the tests left key %d (%s) in the user keyring\n", k.ID, k.Description)
			}
			fmt.Println("FAIL: the tests left keys of atl's in the user keyring")
			return 1
		}
		return code
	}
	return run()
}

// atlKeys lists the keys of atl's in the user keyring; one it cannot list
// is a key it cannot vouch for.
func atlKeys() []Key {
	keys, err := UserKeys()
	if err != nil {
		return []Key{{ID: -1, Description: err.Error()}}
	}
	var atl []Key
	for _, k := range keys {
		if strings.HasPrefix(k.Description, "atl") {
			atl = append(atl, k)
		}
	}
	return atl
}

// runInNamespace runs this test binary again, with the same arguments,
// in a new user namespace that maps the user (every user, for root) to
// itself, and returns its exit code.
func runInNamespace() (int, error) {
	uid, gid := os.Getuid(), os.Getgid()
	attr := &syscall.SysProcAttr{
		Cloneflags:  syscall.CLONE_NEWUSER,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: uid, HostID: uid, Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: gid, HostID: gid, Size: 1}},
		Pdeathsig:   syscall.SIGKILL,
	}
	if uid == 0 { // root may map every user, so files keep their owners
		attr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 1<<32 - 1}}
		attr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 1<<32 - 1}}
		attr.GidMappingsEnableSetgroups = true
	}
	exe, err := os.Executable()
	if err != nil {
		return 0, err
	}
	cmd := exec.Command(exe, os.Args[1:]...)
	cmd.Env = append(os.Environ(), envStage+"=top")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.SysProcAttr = attr
	// Interrupts reach the child from the terminal; a SIGQUIT (go test's
	// timeout) is passed on, so that it prints its goroutines.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGQUIT)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		select {
		case s := <-sigs:
			_ = cmd.Process.Signal(s)
		case err := <-done:
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				if ee.ExitCode() < 0 {
					return 1, nil // killed by a signal
				}
				return ee.ExitCode(), nil
			}
			if err != nil {
				return 1, nil
			}
			return 0, nil
		}
	}
}
