#if canImport(Glibc)
import Glibc
#endif

// Glibc functions that share a name with a struct (`stat`, `flock`): called from file scope,
// where the call's arguments pick the function.
@inline(__always) func cStat(_ path: UnsafePointer<CChar>, _ st: UnsafeMutablePointer<FileStatus>) -> Int32 { stat(path, st) }
@inline(__always) func cFlock(_ fd: Int32, _ op: Int32) -> Int32 { flock(fd, op) }

/// `mkostemp(3)` (mkstemp with O_CLOEXEC); Glibc declares it only under _GNU_SOURCE.
@_silgen_name("mkostemp")
func cMkostemp(_ template: UnsafeMutablePointer<CChar>, _ flags: Int32) -> Int32
