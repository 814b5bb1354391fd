package fsblob

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// setDirect turns direct I/O (O_DIRECT) on or off for f. Turning it on
// fails on file systems without direct I/O (tmpfs on older kernels), and
// the Put then writes through the page cache.
func setDirect(f *os.File, on bool) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	err = rc.Control(func(fd uintptr) {
		flags, err := unix.FcntlInt(fd, unix.F_GETFL, 0)
		if err != nil {
			ferr = err
			return
		}
		if on {
			flags |= unix.O_DIRECT
		} else {
			flags &^= unix.O_DIRECT
		}
		_, ferr = unix.FcntlInt(fd, unix.F_SETFL, flags)
	})
	if err != nil {
		return err
	}
	return ferr
}

// isInvalid reports whether err is EINVAL, what a file system that cannot
// do a direct write answers.
func isInvalid(err error) bool { return errors.Is(err, unix.EINVAL) }
