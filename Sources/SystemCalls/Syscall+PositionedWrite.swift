import Glibc

extension Syscall {
  /// One `pwrite(2)` of `buffer` at `offset`; may be short (its error names the call `write`).
  package static func pwrite(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, at offset: Int64, path: String) throws(SystemCallError) -> Int {
    guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
    return try retrying("write", path) { Glibc.pwrite(fd, base, buffer.count, off_t(offset)) }
  }

  /// Sets `fd`'s file offset to `offset` (`lseek(fd, offset, SEEK_SET)`).
  package static func seek(_ fd: Int32, to offset: Int64, path: String) throws(SystemCallError) {
    _ = try retrying("lseek", path) { Glibc.lseek(fd, off_t(offset), SEEK_SET) }
  }
}
