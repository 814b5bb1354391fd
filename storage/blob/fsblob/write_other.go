//go:build !linux

package fsblob

import (
	"errors"
	"os"
)

var errNoDirect = errors.New("direct I/O is only used on Linux")

// setDirect does nothing here: writes go through the page cache.
func setDirect(f *os.File, on bool) error {
	if on {
		return errNoDirect
	}
	return nil
}

func isInvalid(error) bool { return false }
