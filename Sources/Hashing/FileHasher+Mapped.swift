import SystemCalls

extension FileHasher {
  /// Regular files at least this large are hashed through mapped windows. Below it one `read(2)`
  /// costs less than a map and unmap; above it the mapping saves copying every byte out of the
  /// page cache (measured on /usr: about 0.35 s less system time, 0.25 s less CPU in all).
  static let mapThreshold: Int64 = 256 << 10
  /// Bytes mapped at a time: peak memory stays small, whatever the file's size.
  static let mapWindow: Int64 = 4 << 20

  /// Hashes the `st.st_size` bytes of `fd`'s file through mapped windows, then checks `fstat`
  /// again. A file that shrinks while mapped (SIGBUS on the page past its new end, caught by the
  /// guard), or whose size or mtime moves, yields ``FileHashError/changedWhileReading(expectedSize:bytesRead:)``,
  /// never a checksum. nil when the file cannot be mapped at all: read it instead.
  func hashMapped(_ fd: Int32, _ st: FileStatus) -> Result<FileDigest, FileHashError>? {
    let size = Int64(st.st_size)
    digester.reset()
    var offset: Int64 = 0
    while offset < size {
      let count = Int(min(FileHasher.mapWindow, size - offset))
      let window: UnsafeRawBufferPointer
      do { window = try Syscall.mapWindow(fd, offset: offset, count: count) } catch {
        if offset == 0 { return nil }
        return .failure(.system(call: "mmap", errno: error.errno))
      }
      afterMapping?()
      let hashed = digester.updateMapped(window)
      Syscall.unmapWindow(window)
      if !hashed {
        digester.reset()
        return .failure(.changedWhileReading(expectedSize: size, bytesRead: offset))
      }
      offset += Int64(count)
    }
    return finished(fd, since: st, bytes: size, checkAgain: true)
  }
}
