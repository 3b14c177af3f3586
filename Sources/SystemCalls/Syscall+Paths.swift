#if canImport(Glibc)
import Glibc
#endif
import CLoadsetShims

/// Calls on names: stat, create, link, rename, remove. Each takes the path as bytes and names it
/// in its error; the `*at` forms take a directory descriptor and a name in it (`shown` is the full
/// path for the message).
extension Syscall {
  package static func lstat(_ path: [UInt8]) throws(SystemCallError) -> FileStatus {
    var st = FileStatus()
    _ = try withCString(path) { (c) throws(SystemCallError) in try retrying("lstat", path) { Glibc.lstat(c, &st) } }
    return st
  }

  package static func lstat(_ path: String) throws(SystemCallError) -> FileStatus { try lstat(Array(path.utf8)) }

  /// `stat(2)`, following symlinks.
  package static func stat(_ path: [UInt8]) throws(SystemCallError) -> FileStatus {
    var st = FileStatus()
    _ = try withCString(path) { (c) throws(SystemCallError) in try retrying("stat", path) { cStat(c, &st) } }
    return st
  }

  package static func stat(_ path: String) throws(SystemCallError) -> FileStatus { try stat(Array(path.utf8)) }

  /// `lstat`, or nil when nothing is there (any error counts as nothing).
  package static func lstatIfPresent(_ path: [UInt8]) -> FileStatus? { try? lstat(path) }
  package static func lstatIfPresent(_ path: String) -> FileStatus? { try? lstat(Array(path.utf8)) }

  /// `fstatat(dirfd, name)`, not following a final symlink unless `followLinks`.
  package static func fstatat(_ dirfd: Int32, _ name: [UInt8], followLinks: Bool = false,
                             shown: [UInt8]? = nil) throws(SystemCallError) -> FileStatus {
    var st = FileStatus()
    let flags = followLinks ? 0 : AT_SYMLINK_NOFOLLOW
    _ = try withCString(name) { (c) throws(SystemCallError) in
      try retrying("lstat", shown ?? name) { Glibc.fstatat(dirfd, c, &st, flags) }
    }
    return st
  }

  /// One `mkdir(2)`; throws EEXIST like any other error.
  package static func mkdir(_ path: [UInt8], mode: FileMode = 0o777) throws(SystemCallError) {
    _ = try withCString(path) { (c) throws(SystemCallError) in try retrying("mkdir", path) { Glibc.mkdir(c, mode) } }
  }

  package static func mkdir(_ path: String, mode: FileMode = 0o777) throws(SystemCallError) { try mkdir(Array(path.utf8), mode: mode) }

  /// `mkdirat(dirfd, name)`.
  package static func mkdirat(_ dirfd: Int32, _ name: [UInt8], mode: FileMode, shown: [UInt8]? = nil) throws(SystemCallError) {
    _ = try withCString(name) { (c) throws(SystemCallError) in
      try retrying("mkdir", shown ?? name) { Glibc.mkdirat(dirfd, c, mode) }
    }
  }

  /// `mkdir -p`: creates `path` and its missing parents; an existing directory is fine. Calls
  /// `created` for each directory it made, parents first.
  package static func makeDirectories(_ path: [UInt8], mode: FileMode = 0o755,
                                     created: ([UInt8]) -> Void = { _ in }) throws(SystemCallError) {
    var p = path
    while p.count > 1 && p.last == 0x2F { p.removeLast() }
    if p.isEmpty { return }
    do {
      try mkdir(p, mode: mode)
      created(p)
      return
    } catch {
      if error.errno == EEXIST { return }
      guard error.errno == ENOENT, let parent = BytePath.parent(p) else { throw error }
      try makeDirectories(parent, mode: mode, created: created)
    }
    do {
      try mkdir(p, mode: mode)
      created(p)
    } catch {
      if error.errno != EEXIST { throw error }
    }
  }

  package static func rename(_ from: [UInt8], _ to: [UInt8]) throws(SystemCallError) {
    _ = try withCString(from) { (f) throws(SystemCallError) in
      try withCString(to) { (t) throws(SystemCallError) in try retrying("rename", to) { Glibc.rename(f, t) } }
    }
  }

  /// `renameat2(2)` flags.
  package struct RenameFlags: OptionSet, Sendable {
    package var rawValue: UInt32
    package init(rawValue: UInt32) { self.rawValue = rawValue }
    package static let noReplace = RenameFlags(rawValue: 1)
    package static let exchange = RenameFlags(rawValue: 2)
  }

  /// `renameat2(AT_FDCWD, from, AT_FDCWD, to, flags)`: the publish step's atomic no-replace and
  /// exchange renames. The error names `to`.
  package static func renameat2(_ from: [UInt8], _ to: [UInt8], flags: RenameFlags) throws(SystemCallError) {
    _ = try withCString(from) { (f) throws(SystemCallError) in
      try withCString(to) { (t) throws(SystemCallError) in
        try retrying("renameat2", to) { loadsmith_renameat2(AT_FDCWD, f, AT_FDCWD, t, flags.rawValue) }
      }
    }
  }

  /// `link(2)`: a new name `to` for the file `from`. The error names `to`.
  package static func link(_ from: [UInt8], _ to: [UInt8]) throws(SystemCallError) {
    try linkat(AT_FDCWD, from, AT_FDCWD, to)
  }

  package static func linkat(_ fromDir: Int32, _ from: [UInt8], _ toDir: Int32, _ to: [UInt8],
                            shown: [UInt8]? = nil) throws(SystemCallError) {
    _ = try withCString(from) { (f) throws(SystemCallError) in
      try withCString(to) { (t) throws(SystemCallError) in
        try retrying("link", shown ?? to) { Glibc.linkat(fromDir, f, toDir, t, 0) }
      }
    }
  }

  /// `symlink(2)`: a symlink at `path` holding `target`.
  package static func symlink(_ target: [UInt8], at path: [UInt8]) throws(SystemCallError) {
    try symlinkat(target, AT_FDCWD, path)
  }

  package static func symlinkat(_ target: [UInt8], _ dirfd: Int32, _ name: [UInt8], shown: [UInt8]? = nil) throws(SystemCallError) {
    _ = try withCString(target) { (t) throws(SystemCallError) in
      try withCString(name) { (n) throws(SystemCallError) in
        try retrying("symlink", shown ?? name) { Glibc.symlinkat(t, dirfd, n) }
      }
    }
  }

  /// The target of the symlink at `path`, byte for byte (any length).
  package static func readlink(_ path: [UInt8]) throws(SystemCallError) -> [UInt8] {
    try readlinkat(AT_FDCWD, path)
  }

  package static func readlinkat(_ dirfd: Int32, _ name: [UInt8], shown: [UInt8]? = nil) throws(SystemCallError) -> [UInt8] {
    var capacity = 4096
    while true {
      let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 1)
      defer { buffer.deallocate() }
      let n = try withCString(name) { (c) throws(SystemCallError) in
        try retrying("readlink", shown ?? name) {
          Glibc.readlinkat(dirfd, c, buffer.baseAddress!.assumingMemoryBound(to: CChar.self), capacity)
        }
      }
      if n < capacity { return Array(buffer[0..<n]) }
      capacity *= 4
    }
  }

  package static func unlink(_ path: [UInt8]) throws(SystemCallError) {
    try unlinkat(AT_FDCWD, path)
  }

  package static func rmdir(_ path: [UInt8]) throws(SystemCallError) {
    try unlinkat(AT_FDCWD, path, directory: true)
  }

  /// `unlinkat(2)`; `directory` removes an empty directory (`AT_REMOVEDIR`).
  package static func unlinkat(_ dirfd: Int32, _ name: [UInt8], directory: Bool = false, shown: [UInt8]? = nil) throws(SystemCallError) {
    _ = try withCString(name) { (c) throws(SystemCallError) in
      try retrying(directory ? "rmdir" : "unlink", shown ?? name) { Glibc.unlinkat(dirfd, c, directory ? AT_REMOVEDIR : 0) }
    }
  }

  /// `utimensat(dirfd, name, times, AT_SYMLINK_NOFOLLOW)`: sets a name's times without following it.
  package static func utimensat(_ dirfd: Int32, _ name: [UInt8], access: TimeSpec, modification: TimeSpec,
                               shown: [UInt8]? = nil) throws(SystemCallError) {
    var times = (access, modification)
    _ = try withCString(name) { (c) throws(SystemCallError) in
      try withUnsafePointer(to: &times) { (p) throws(SystemCallError) in
        try p.withMemoryRebound(to: TimeSpec.self, capacity: 2) { (t) throws(SystemCallError) in
          try retrying("utimensat", shown ?? name) { Glibc.utimensat(dirfd, c, t, AT_SYMLINK_NOFOLLOW) }
        }
      }
    }
  }

  package static func chmod(_ path: [UInt8], _ mode: FileMode) throws(SystemCallError) {
    _ = try withCString(path) { (c) throws(SystemCallError) in try retrying("chmod", path) { Glibc.chmod(c, mode) } }
  }

  /// `mkstemp(3)` on `template` (ending in `XXXXXX`, no NUL); fills in the name it made.
  package static func mkstemp(_ template: inout [UInt8]) throws(SystemCallError) -> Int32 {
    var z = template + [0]
    let shown = template
    let fd = try z.withUnsafeMutableBufferPointer { (buf) throws(SystemCallError) -> Int32 in
      try buf.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buf.count) { (c) throws(SystemCallError) -> Int32 in
        try retrying("mkstemp", shown) { cMkostemp(c, O_CLOEXEC) }
      }
    }
    z.removeLast()
    template = z
    return fd
  }

  /// fsyncs the directory at `path`, making a rename or create in it durable. Unlike the copies it
  /// replaces, it reports a failure (EIO on the directory means the rename may be lost).
  package static func syncDirectory(_ path: [UInt8]) throws(SystemCallError) {
    let fd = try open(path, [.readOnly, .directory])
    defer { Glibc.close(fd) }
    try fsync(fd, path: path)
  }

  /// The process's file creation mask (read without changing it).
  package static var umask: FileMode {
    let mask = Glibc.umask(0)
    Glibc.umask(mask)
    return mask
  }
}
