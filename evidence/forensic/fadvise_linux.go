package forensic

import (
	"os"

	"golang.org/x/sys/unix"
)

// adviseSequential tells the kernel that f will be read once, from start to
// end, so that it reads further ahead on a cold file. It is only advice: an
// error changes nothing and is ignored.
func adviseSequential(f *os.File) {
	_ = unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_SEQUENTIAL)
}
