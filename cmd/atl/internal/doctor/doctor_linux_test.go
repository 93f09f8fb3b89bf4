package doctor

import (
	"testing"

	"github.com/atl-cli/atl/cmd/atl/internal/cli/clitest"
	"golang.org/x/sys/unix"
)

// A full key quota and a refused keyctl are told apart, each with its
// fix: warnings, exit 0.
func TestRunDoctorKernelKeyring(t *testing.T) {
	for _, tc := range []struct {
		name  string
		errno unix.Errno
	}{
		{"token cache full", unix.EDQUOT},
		{"token cache refused", unix.EACCES},
		{"token cache not permitted", unix.EPERM},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runDoctorCase(t, doctorCase{name: tc.name, setup: func(t *testing.T, e *clitest.Env) []string {
				stored(t, e)
				failCache(e, tc.errno)
				return nil
			}})
		})
	}
}
