#if canImport(Glibc)
import Glibc
#endif
import CLoadsetShims

/// Calls on open descriptors. `path` names the file in an error message only.
extension Syscall {
  package static func open(_ path: [UInt8], _ flags: OpenFlags, mode: FileMode = 0o666) throws(SystemCallError) -> Int32 {
    try withCString(path) { (c) throws(SystemCallError) in
      try retrying("open", path) { Glibc.open(c, flags.rawValue | O_CLOEXEC, mode) }
    }
  }

  package static func open(_ path: String, _ flags: OpenFlags, mode: FileMode = 0o666) throws(SystemCallError) -> Int32 {
    try open(Array(path.utf8), flags, mode: mode)
  }

  /// `openat(dirfd, name, ...)`; `shown` is the full path for messages.
  package static func openat(_ dirfd: Int32, _ name: [UInt8], _ flags: OpenFlags, mode: FileMode = 0o666,
                            shown: [UInt8]? = nil) throws(SystemCallError) -> Int32 {
    try withCString(name) { (c) throws(SystemCallError) in
      try retrying("open", shown ?? name) { Glibc.openat(dirfd, c, flags.rawValue | O_CLOEXEC, mode) }
    }
  }

  /// `close(2)`: an error here can be the first report of a full disk, so it is thrown. No retry
  /// on EINTR (Linux has closed the descriptor already).
  package static func close(_ fd: Int32, path: [UInt8]) throws(SystemCallError) {
    if Glibc.close(fd) != 0 { throw SystemCallError("close", pathBytes: path) }
  }

  package static func close(_ fd: Int32, path: String) throws(SystemCallError) {
    try close(fd, path: Array(path.utf8))
  }

  /// `close(2)` where nothing was written (or the error is already being reported).
  package static func closeQuietly(_ fd: Int32) { _ = Glibc.close(fd) }

  /// Reads up to `buffer.count` bytes; 0 only at end of file.
  package static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, path: [UInt8]) throws(SystemCallError) -> Int {
    guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
    return try retrying("read", path) { Glibc.read(fd, base, buffer.count) }
  }

  package static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, path: String) throws(SystemCallError) -> Int {
    guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
    return try retrying("read", path) { Glibc.read(fd, base, buffer.count) }
  }

  /// `pread(2)` at `offset` (its error names the call `read`, as the reads it stands for).
  package static func pread(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64, path: String) throws(SystemCallError) -> Int {
    guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
    return try retrying("read", path) { Glibc.pread(fd, base, buffer.count, off_t(offset)) }
  }

  /// Reads until `buffer` is full or end of file; returns the bytes read.
  package static func readFully(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, path: String) throws(SystemCallError) -> Int {
    var total = 0
    while total < buffer.count {
      let n = try read(fd, into: UnsafeMutableRawBufferPointer(rebasing: buffer[total...]), path: path)
      if n == 0 { break }
      total += n
    }
    return total
  }

  /// One `write(2)`; may be short.
  package static func write(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, path: String) throws(SystemCallError) -> Int {
    guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
    return try retrying("write", path) { Glibc.write(fd, base, buffer.count) }
  }

  /// Writes every byte of `buffer`, looping over short writes and EINTR.
  package static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, path: String) throws(SystemCallError) {
    guard var base = buffer.baseAddress else { return }
    var left = buffer.count
    while left > 0 {
      let n = try retrying("write", path) { Glibc.write(fd, base, left) }
      if n == 0 { throw SystemCallError("write", path: path, errno: EIO) }
      base += n
      left -= n
    }
  }

  package static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(SystemCallError) {
    let result: Result<Void, SystemCallError> = bytes.withUnsafeBytes { raw in
      do throws(SystemCallError) { try writeAll(fd, raw, path: path); return .success(()) } catch { return .failure(error) }
    }
    try result.get()
  }

  package static func fsync(_ fd: Int32, path: String) throws(SystemCallError) {
    _ = try retrying("fsync", path) { Glibc.fsync(fd) }
  }

  package static func fsync(_ fd: Int32, path: [UInt8]) throws(SystemCallError) {
    _ = try retrying("fsync", path) { Glibc.fsync(fd) }
  }

  /// Linux `syncfs(2)`: flushes the whole filesystem holding `fd`.
  package static func syncfs(_ fd: Int32, path: String) throws(SystemCallError) {
    _ = try retrying("syncfs", path) { loadsmith_syncfs(fd) }
  }

  package static func fstat(_ fd: Int32, path: String) throws(SystemCallError) -> FileStatus {
    var st = FileStatus()
    _ = try retrying("fstat", path) { Glibc.fstat(fd, &st) }
    return st
  }

  package static func fstat(_ fd: Int32, path: [UInt8]) throws(SystemCallError) -> FileStatus {
    var st = FileStatus()
    _ = try retrying("fstat", path) { Glibc.fstat(fd, &st) }
    return st
  }

  /// `flock(2)`; `nonBlocking` makes a held lock fail with EWOULDBLOCK instead of waiting.
  package static func flock(_ fd: Int32, exclusive: Bool, nonBlocking: Bool = false, path: String) throws(SystemCallError) {
    let op = (exclusive ? LOCK_EX : LOCK_SH) | (nonBlocking ? LOCK_NB : 0)
    _ = try retrying("flock", path) { cFlock(fd, op) }
  }

  package static func unlock(_ fd: Int32) { _ = cFlock(fd, LOCK_UN) }

  package static func fchmod(_ fd: Int32, _ mode: FileMode, path: String) throws(SystemCallError) {
    _ = try retrying("fchmod", path) { Glibc.fchmod(fd, mode) }
  }

  package static func fchown(_ fd: Int32, uid: UInt32, gid: UInt32, path: String) throws(SystemCallError) {
    _ = try retrying("fchown", path) { Glibc.fchown(fd, uid, gid) }
  }

  /// Sets access and modification times of an open file (`futimens`).
  package static func futimens(_ fd: Int32, access: TimeSpec, modification: TimeSpec, path: String) throws(SystemCallError) {
    var times = (access, modification)
    _ = try withUnsafePointer(to: &times) { (p) throws(SystemCallError) in
      try p.withMemoryRebound(to: TimeSpec.self, capacity: 2) { (t) throws(SystemCallError) in
        try retrying("futimens", path) { Glibc.futimens(fd, t) }
      }
    }
  }

  package static func ftruncate(_ fd: Int32, _ length: Int64, path: String) throws(SystemCallError) {
    _ = try retrying("ftruncate", path) { Glibc.ftruncate(fd, off_t(length)) }
  }

  /// Clears `O_NONBLOCK` (after an open that used it to avoid blocking on a FIFO).
  package static func clearNonBlocking(_ fd: Int32) {
    let flags = fcntl(fd, F_GETFL)
    if flags >= 0 { _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) }
  }

  /// `dup2(2)`.
  package static func dup2(_ fd: Int32, _ target: Int32) throws(SystemCallError) {
    _ = try retrying("dup2", "") { Glibc.dup2(fd, target) }
  }

  package static func isTerminal(_ fd: Int32) -> Bool { isatty(fd) == 1 }

  /// `posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)`: a hint only, so its result is ignored.
  package static func adviseSequential(_ fd: Int32) { _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL) }
}

/// Linux `syncfs(2)`; Glibc declares it only under _GNU_SOURCE.
@_silgen_name("syncfs")
func loadsmith_syncfs(_ fd: Int32) -> Int32

extension Syscall {
  /// Moves `fd`'s offset back to the start (`lseek(fd, 0, SEEK_SET)`).
  package static func rewind(_ fd: Int32, path: String) throws(SystemCallError) {
    _ = try retrying("lseek", path) { Glibc.lseek(fd, 0, SEEK_SET) }
  }

  /// The environment variable `name`, if set.
  package static func environment(_ name: String) -> String? {
    getenv(name).map { String(cString: $0) }
  }
}
