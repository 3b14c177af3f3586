import Glibc

extension Syscall {
  /// `fd`'s current file offset (`lseek(fd, 0, SEEK_CUR)`), or nil when it has none (a pipe).
  package static func currentOffset(_ fd: Int32) -> Int64? {
    let offset = lseek(fd, 0, SEEK_CUR)
    return offset < 0 ? nil : Int64(offset)
  }
}
