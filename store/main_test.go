package store

import (
	"os"
	"testing"

	"github.com/atl-cli/atl/internal/keyringtest"
)

// TestMain runs the tests with a kernel keyring of their own, and fails
// them if they leave a key of atl's there.
func TestMain(m *testing.M) { os.Exit(keyringtest.Main(m.Run)) }
