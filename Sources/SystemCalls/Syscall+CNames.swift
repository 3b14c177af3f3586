#if canImport(Glibc)
import Glibc
#endif

/// Forms for hot loops that already hold a NUL-terminated name (a directory listing's arena):
/// no copy per call. `shown` is built only when the call fails.
extension Syscall {
  /// `open(2)` of a C string.
  package static func open(cString path: UnsafePointer<CChar>, _ flags: OpenFlags, mode: FileMode = 0o666,
                          shown: @autoclosure () -> [UInt8]) throws(SystemCallError) -> Int32 {
    try retrying("open", shown()) { Glibc.open(path, flags.rawValue | O_CLOEXEC, mode) }
  }

  /// `fstatat(dirfd, name, AT_SYMLINK_NOFOLLOW)` of a C string.
  package static func lstatat(_ dirfd: Int32, cName: UnsafePointer<CChar>,
                             shown: @autoclosure () -> [UInt8]) throws(SystemCallError) -> FileStatus {
    var st = FileStatus()
    _ = try retrying("lstat", shown()) { Glibc.fstatat(dirfd, cName, &st, AT_SYMLINK_NOFOLLOW) }
    return st
  }

  /// `readlinkat(dirfd, name)` of a C string, into a buffer of `capacity` bytes on the stack
  /// (a longer target is cut at `capacity`, as a fixed PATH_MAX buffer would).
  package static func readlinkat(_ dirfd: Int32, cName: UnsafePointer<CChar>, capacity: Int = 4096,
                                shown: @autoclosure () -> [UInt8]) throws(SystemCallError) -> [UInt8] {
    let result: Result<[UInt8], SystemCallError> = withUnsafeTemporaryAllocation(of: CChar.self, capacity: capacity) { b in
      do throws(SystemCallError) {
        let n = try retrying("readlink", shown()) { Glibc.readlinkat(dirfd, cName, b.baseAddress!, capacity) }
        return .success(Array(UnsafeRawBufferPointer(start: b.baseAddress!, count: n)))
      } catch { return .failure(error) }
    }
    return try result.get()
  }
}

extension DirectoryStream {
  /// Calls `body` with each remaining name's bytes (not `.`/`..`), valid only during the call:
  /// no allocation per name.
  package func forEachName(_ body: (UnsafeRawBufferPointer) -> Void) throws(SystemCallError) {
    while true {
      Glibc.errno = 0
      guard let ent = readdir(dirPointer) else {
        if Glibc.errno != 0 { throw SystemCallError("readdir", pathBytes: shownPath) }
        return
      }
      withUnsafeBytes(of: &ent.pointee.d_name) { raw in
        let len = strnlen(raw.baseAddress!.assumingMemoryBound(to: CChar.self), raw.count)
        if raw[0] == 0x2E && (len == 1 || (len == 2 && raw[1] == 0x2E)) { return }
        body(UnsafeRawBufferPointer(rebasing: raw[0..<len]))
      }
    }
  }
}
