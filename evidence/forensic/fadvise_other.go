//go:build !linux

package forensic

import "os"

// adviseSequential does nothing where posix_fadvise is not available.
func adviseSequential(*os.File) {}
