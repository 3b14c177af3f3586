import Glibc

extension Syscall {
  /// Maps `count` bytes of `fd` from `offset` read-only and shared, with its pages populated from
  /// the page cache at once (`MAP_POPULATE`: one call instead of a fault per few pages). Touching a
  /// page past a truncated file's end raises SIGBUS: read it only inside a guard.
  package static func mapWindow(_ fd: Int32, offset: Int64, count: Int) throws(SystemCallError) -> UnsafeRawBufferPointer {
    let p = mmap(nil, count, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, off_t(offset))
    guard let p, p != MAP_FAILED else { throw SystemCallError("mmap", pathBytes: [], errno: Glibc.errno) }
    return UnsafeRawBufferPointer(start: p, count: count)
  }

  /// Unmaps a window from ``mapWindow(_:offset:count:)``.
  package static func unmapWindow(_ window: UnsafeRawBufferPointer) {
    _ = munmap(UnsafeMutableRawPointer(mutating: window.baseAddress), window.count)
  }
}
