//go:build windows

package store

import (
	"io/fs"
	"os"

	"golang.org/x/sys/windows"
)

// unixPermissions says that files have Unix permission bits.
const unixPermissions = false

// noFollow makes an open fail on a symbolic link: Windows has no such
// flag, so openPrivate checks with Lstat first.
const noFollow = 0

func runningAsRoot() bool { return false }

// checkOwned is notOwned without an owner check: Windows protects the
// user's profile with ACLs, and atl's directories get an owner-only DACL.
func checkOwned(path string, fi fs.FileInfo, wantDir bool) error {
	return notOwned(path, fi, wantDir, 0, false)
}

func checkParents(string) error { return nil }

// openPrivate opens path for reading, refusing a symbolic link.
func openPrivate(path string) (*os.File, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return nil, &TrustError{Path: path, Problem: "is a symbolic link"}
	}
	return os.Open(path)
}

// restrictToOwner gives a directory atl created an explicit DACL that
// grants the current user full control and nobody else anything,
// inherited by what is created in it.
func restrictToOwner(path string) error {
	user, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return err
	}
	acl, err := windows.ACLFromEntries([]windows.EXPLICIT_ACCESS{{
		AccessPermissions: windows.GENERIC_ALL,
		AccessMode:        windows.SET_ACCESS,
		Inheritance:       windows.SUB_CONTAINERS_AND_OBJECTS_INHERIT,
		Trustee: windows.TRUSTEE{
			TrusteeForm:  windows.TRUSTEE_IS_SID,
			TrusteeType:  windows.TRUSTEE_IS_USER,
			TrusteeValue: windows.TrusteeValueFromSID(user.User.Sid),
		},
	}}, nil)
	if err != nil {
		return err
	}
	return windows.SetNamedSecurityInfo(path, windows.SE_FILE_OBJECT,
		windows.DACL_SECURITY_INFORMATION|windows.PROTECTED_DACL_SECURITY_INFORMATION, nil, nil, acl, nil)
}
