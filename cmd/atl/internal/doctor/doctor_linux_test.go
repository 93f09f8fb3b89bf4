package doctor

import (
	"strings"
	"testing"

	"github.com/atl-cli/atl/cmd/atl/internal/cli/clitest"
	"github.com/atl-cli/atl/store/storetest"
	"golang.org/x/sys/unix"
)

// A full key quota and a refused keyctl are told apart, each with its fix.
func TestDoctorSaysWhyTheKernelKeyringCannotBeWritten(t *testing.T) {
	for errno, want := range map[unix.Errno][2]string{
		unix.EDQUOT: {"is full: the kernel's key quota", "raise the quota (sysctl kernel.keys.maxkeys"},
		unix.EACCES: {"is refused here", "allow the add_key and keyctl system calls"},
		unix.EPERM:  {"is refused here", "allow the add_key and keyctl system calls"},
	} {
		f, out, _, _ := clitest.NewFactory(t, noServers())
		cache := storetest.NewMemoryCache()
		cache.Fail(errno)
		f.TokenCache = cache
		clitest.Execute(f, NewCmd(f, nil))
		if !strings.Contains(out.String(), "warn  token cache: the memory cache "+want[0]) || !strings.Contains(out.String(), "      fix: ") || !strings.Contains(out.String(), want[1]) {
			t.Errorf("%v: doctor:\n%s", errno, out)
		}
	}
}
