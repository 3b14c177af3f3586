#if canImport(Glibc)
import Glibc
#endif

extension Syscall {
  /// CPU seconds the calling thread has used (`CLOCK_THREAD_CPUTIME_ID`): for measuring one
  /// phase's work where wall time is disturbed by other load on the machine.
  package static func threadCPUSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
  }
}
