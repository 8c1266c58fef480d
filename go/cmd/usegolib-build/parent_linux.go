package main

import (
	"os"
	"strconv"
	"syscall"
)

// dieWithParent makes the kernel kill this process when the process that
// started it dies (PR_SET_PDEATHSIG). The loader runs the tool in its own
// process group so that Ctrl-C reaches only Python, and kills the group
// itself on cancellation; this covers the case it cannot: the Python
// process killed outright, which must not leave a build running that writes
// an artifact after its lock is gone. USEGOLIB_PARENT_PID, set by the
// loader, closes the race of a parent that died before prctl ran.
func dieWithParent() {
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_PDEATHSIG, uintptr(syscall.SIGKILL), 0); errno != 0 {
		return
	}
	if want, err := strconv.Atoi(os.Getenv("USEGOLIB_PARENT_PID")); err == nil && want > 0 && os.Getppid() != want {
		os.Exit(1) // the loader is gone already
	}
}
