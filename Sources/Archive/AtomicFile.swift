#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Creates `path` so that it appears complete or not at all.
///
/// `body` writes into a new `.<name>.<random>.tmp` in the directory of `path` (so the
/// rename stays on one filesystem). When `body` returns, the file gets `permissions`, is
/// fsynced, closed and renamed over `path`, and the directory is fsynced. If `body` or
/// any step throws (ENOSPC included, which may surface only at `fsync` or `close`), the
/// temporary file is removed, `path` is left as it was, and the error is rethrown.
///
/// - Parameter body: Writes through the descriptor; must not close it.
/// - Important: One writer per `path`. A crash (not an error) can leave a `.tmp` file.
public func writeAtomically(at path: [UInt8], permissions: mode_t = 0o644,
                            _ body: (CInt) throws -> Void) throws {
  var slash = path.count
  while slash > 0 && path[slash - 1] != 0x2F { slash -= 1 }
  let directory: [UInt8] = slash == 0 ? [0x2E] : Array(path[0..<max(slash - 1, 1)])
  let name = path[slash...]
  if name.isEmpty { throw ArchiveError.invalidEntry(path: path, reason: "the destination has no file name") }
  let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 36)
  let temp = Array(path[0..<slash]) + [0x2E] + Array(name) + [0x2E] + Array(suffix.utf8) + Array(".tmp".utf8)
  let display = displayPath(path)
  let tempDisplay = displayPath(temp)

  let fd = try withCPath(temp) { (p) throws(ArchiveError) -> CInt in
    try retryingOnInterrupt("open", tempDisplay) { open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600) }
  }
  var isOpen = true
  do {
    try body(fd)
    _ = try retryingOnInterrupt("fchmod", tempDisplay) { fchmod(fd, permissions) }
    _ = try retryingOnInterrupt("fsync", tempDisplay) { fsync(fd) }
    isOpen = false
    if close(fd) != 0 { throw ArchiveError.systemCall(call: "close", path: tempDisplay, errno: errno) }
    try withCPath(temp) { (from) throws(ArchiveError) in
      try withCPath(path) { (to) throws(ArchiveError) in
        _ = try retryingOnInterrupt("rename", display) { rename(from, to) }
      }
    }
  } catch {
    if isOpen { close(fd) }
    _ = try? withCPath(temp) { (p) throws(ArchiveError) in _ = unlink(p) }
    throw error
  }
  // The rename is done; make it durable.
  let dirFD = try withCPath(directory) { (p) throws(ArchiveError) -> CInt in
    try retryingOnInterrupt("open", displayPath(directory)) { open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
  }
  defer { close(dirFD) }
  _ = try retryingOnInterrupt("fsync", displayPath(directory)) { fsync(dirFD) }
}
