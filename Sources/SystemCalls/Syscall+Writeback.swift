#if canImport(Glibc)
import Glibc
#endif

extension Syscall {
  /// Linux `sync_file_range(2)` with `SYNC_FILE_RANGE_WRITE`: starts writing back the dirty pages
  /// of `length` bytes at `offset` without waiting; with `waitForOlder`, first waits for the range
  /// to finish any writeback already under way (bounding how much stays dirty). Returns false where
  /// the file does not support it (a pipe, some filesystems): then callers just stop asking.
  /// Durability still comes from a final `fsync`: this only makes that one cheap.
  @discardableResult
  package static func startWriteback(_ fd: Int32, offset: Int64, length: Int64, waitForOlder: Bool = false) -> Bool {
    // SYNC_FILE_RANGE_WAIT_BEFORE 1, SYNC_FILE_RANGE_WRITE 2, SYNC_FILE_RANGE_WAIT_AFTER 4.
    let flags: UInt32 = waitForOlder ? 1 | 2 | 4 : 2
    while true {
      if cSyncFileRange(fd, offset, length, flags) == 0 { return true }
      if Glibc.errno != EINTR { return false }
    }
  }
}

/// `sync_file_range(2)`; Glibc declares it only under _GNU_SOURCE.
@_silgen_name("sync_file_range")
func cSyncFileRange(_ fd: Int32, _ offset: Int64, _ length: Int64, _ flags: UInt32) -> Int32
