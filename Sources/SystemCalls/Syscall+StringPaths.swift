/// What is at a path (not following a final symlink), in the few kinds the store tells apart.
package enum PathKind: Sendable, Equatable { case missing, file, directory, symlink, other }

/// Calls on `String` paths (the store's own names, always UTF-8), with the messages the store's
/// errors have always carried: a listing's failed open is `opendir`, a rename names `from -> to`.
extension Syscall {
  package static func kind(_ path: String) -> PathKind {
    guard let st = lstatIfPresent(path) else { return .missing }
    switch st.fileType {
    case .regular: return .file
    case .directory: return .directory
    case .symlink: return .symlink
    default: return .other
    }
  }

  package static func exists(_ path: String) -> Bool { lstatIfPresent(path) != nil }

  /// The target of the symlink at `path` (decoded as UTF-8), or nil when it is not a symlink.
  package static func symlinkTarget(_ path: String) -> String? {
    guard let target = try? readlink(Array(path.utf8)) else { return nil }
    return String(decoding: target, as: UTF8.self)
  }

  /// One `mkdir(2)`; something already at `path` is fine.
  package static func makeDirectoryIfMissing(_ path: String, mode: FileMode = 0o755) throws(SystemCallError) {
    do { try mkdir(path, mode: mode) } catch {
      if error.errno != Errno.exists { throw error }
    }
  }

  /// The names in the directory at `path` (not `.`/`..`), unsorted, as bytes; a failed open is
  /// named `opendir`, as radmind's messages name it.
  package static func listDirectory(_ path: [UInt8]) throws(SystemCallError) -> [[UInt8]] {
    do { return try names(in: path) } catch {
      throw SystemCallError(error.call == "open" ? "opendir" : error.call, pathBytes: path, errno: error.errno)
    }
  }

  package static func listDirectory(_ path: String) throws(SystemCallError) -> [[UInt8]] {
    try listDirectory(Array(path.utf8))
  }

  /// ``listDirectory(_:)`` decoded as UTF-8: only for directories whose names the store made.
  package static func listDirectoryNames(_ path: String) throws(SystemCallError) -> [String] {
    try listDirectory(path).map { String(decoding: $0, as: UTF8.self) }
  }

  /// `rename(2)`, the error naming both paths (`from -> to`).
  package static func renameShowingBoth(_ from: String, _ to: String) throws(SystemCallError) {
    do { try rename(Array(from.utf8), Array(to.utf8)) } catch {
      throw SystemCallError("rename", path: "\(from) -> \(to)", errno: error.errno)
    }
  }

  package static func syncDirectory(_ path: String) throws(SystemCallError) {
    try syncDirectory(Array(path.utf8))
  }

  /// Flushes every dirty page of the filesystem holding the directory `path` (`syncfs`): one call
  /// makes a whole staged tree durable, instead of an fsync per file.
  package static func syncFilesystem(containing path: String) throws(SystemCallError) {
    let fd = try open(path, [.readOnly, .directory])
    defer { closeQuietly(fd) }
    try syncfs(fd, path: path)
  }
}

/// `Array.withUnsafeBytes` keeping typed throws (the stdlib's `rethrows` loses them).
@inline(__always)
package func withBytes<R, E: Error>(_ array: [UInt8], _ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
  try array.withUnsafeBufferPointer { (p) throws(E) -> R in try body(UnsafeRawBufferPointer(p)) }
}
