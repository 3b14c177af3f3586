#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CLoadsetShims
import TranscriptIO

/// Byte-string file system helpers for the loadset tools. Paths are `[UInt8]` (no UTF-8
/// assumption); each call NUL-terminates a copy. Nothing here prints or exits.
enum PosixFS {
  /// Calls `body` with a NUL-terminated copy of `path`.
  @inline(__always)
  static func withCPath<T>(_ path: [UInt8], _ body: (UnsafePointer<CChar>) throws -> T) rethrows -> T {
    var z = path
    z.append(0)
    return try z.withUnsafeBufferPointer { buf in
      try buf.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buf.count) { try body($0) }
    }
  }

  static func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

  static func string(_ b: [UInt8]) -> String { String(decoding: b, as: UTF8.self) }

  /// `strerror(errno)` as bytes.
  static func reason(_ code: Int32) -> [UInt8] { Array(String(cString: strerror(code)).utf8) }

  static func exists(_ path: [UInt8]) -> Bool {
    var st = stat()
    return withCPath(path) { lstat($0, &st) } == 0
  }

  /// (st_dev, st_ino) of `path` (not following a final symlink), or nil when it does not exist.
  static func identity(_ path: [UInt8]) -> (UInt64, UInt64)? {
    var st = stat()
    guard withCPath(path, { lstat($0, &st) }) == 0 else { return nil }
    return (UInt64(st.st_dev), UInt64(st.st_ino))
  }

  static func isDirectory(_ path: [UInt8]) -> Bool {
    var st = stat()
    guard withCPath(path, { lstat($0, &st) }) == 0 else { return false }
    return (st.st_mode & S_IFMT) == S_IFDIR
  }

  /// True when `path` is a directory holding nothing but `.` and `..`.
  static func isEmptyDirectory(_ path: [UInt8]) -> Bool {
    guard let dir = withCPath(path, { opendir($0) }) else { return false }
    defer { closedir(dir) }
    while let ent = readdir(dir) {
      let name = withUnsafeBytes(of: ent.pointee.d_name) { raw -> [UInt8] in
        Array(raw.prefix(while: { $0 != 0 }))
      }
      if name != [0x2E] && name != [0x2E, 0x2E] { return false }
    }
    return true
  }

  /// The entries of a directory (without `.` and `..`), or nil if it cannot be read.
  static func list(_ path: [UInt8]) -> [[UInt8]]? {
    guard let dir = withCPath(path, { opendir($0) }) else { return nil }
    defer { closedir(dir) }
    var names: [[UInt8]] = []
    while let ent = readdir(dir) {
      let name = withUnsafeBytes(of: ent.pointee.d_name) { raw -> [UInt8] in
        Array(raw.prefix(while: { $0 != 0 }))
      }
      if name != [0x2E] && name != [0x2E, 0x2E] { names.append(name) }
    }
    return names
  }

  /// radmind's `mkdirs`: creates every directory named by a prefix of `path` that ends before a
  /// `/` (not `path` itself), `mode` (radmind's 0777) minus umask. Calls `created` for each one it made.
  static func mkdirs(_ path: [UInt8], mode: mode_t = 0o777, created: ([UInt8]) -> Void = { _ in }) -> Bool {
    var i = 0
    while i < path.count && path[i] == 0x2F { i += 1 }
    while i < path.count {
      guard let slash = path[i...].firstIndex(of: 0x2F) else { break }
      let prefix = Array(path[..<slash])
      if withCPath(prefix, { mkdir($0, mode) }) == 0 {
        created(prefix)
      } else if errno != EEXIST {
        return false
      }
      i = slash + 1
    }
    return true
  }

  /// fsyncs a file or directory by path; errors are ignored (best effort, e.g. on read-only mounts).
  static func sync(_ path: [UInt8], directory: Bool) {
    let fd = withCPath(path) { open($0, (directory ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC) }
    if fd >= 0 {
      fsync(fd)
      close(fd)
    }
  }

  static func directoryOf(_ path: [UInt8]) -> [UInt8] {
    guard let slash = path.lastIndex(of: 0x2F) else { return [0x2E] }
    return slash == 0 ? [0x2F] : Array(path[..<slash])
  }

  static func lastComponent(_ path: [UInt8]) -> [UInt8] {
    guard let slash = path.lastIndex(of: 0x2F) else { return path }
    return Array(path[(slash + 1)...])
  }

  /// Removes `path` and, if it is a directory, everything below it (like `rm -rf`). Hard links
  /// inside only lose one name. Returns false on the first failure other than "not there".
  /// Names are bytes relative to directory descriptors, never followed (``DirectoryTree``).
  @discardableResult
  static func removeTree(_ path: [UInt8]) -> Bool {
    (try? DirectoryTree.remove(path)) != nil
  }

  /// Recreates the tree at `source` under the new path `destination`: directories made with the
  /// source's permission bits, regular files hard-linked (so the clone costs one link per file
  /// and no data), symbolic links recreated. Calls `created` for each directory made.
  static func cloneTree(_ source: [UInt8], _ destination: [UInt8], created: ([UInt8]) -> Void) -> [UInt8]? {
    var st = stat()
    guard withCPath(source, { lstat($0, &st) }) == 0 else { return source + Array(": ".utf8) + reason(errno) }
    switch st.st_mode & S_IFMT {
    case S_IFDIR:
      if withCPath(destination, { mkdir($0, st.st_mode & 0o7777) }) != 0 && errno != EEXIST {
        return destination + Array(": ".utf8) + reason(errno)
      }
      _ = withCPath(destination) { chmod($0, st.st_mode & 0o7777) }
      created(destination)
      guard let names = list(source) else { return source + Array(": ".utf8) + reason(errno) }
      for name in names {
        if let failure = cloneTree(source + [0x2F] + name, destination + [0x2F] + name, created: created) {
          return failure
        }
      }
      return nil
    case S_IFLNK:
      var buf = [CChar](repeating: 0, count: 4097)
      let n = withCPath(source) { readlink($0, &buf, 4096) }
      if n < 0 { return source + Array(": ".utf8) + reason(errno) }
      buf[n] = 0
      if withCPath(destination, { symlink(buf, $0) }) != 0 { return destination + Array(": ".utf8) + reason(errno) }
      return nil
    default:
      if withCPath(source, { s in withCPath(destination) { link(s, $0) } }) != 0 {
        return Array("link ".utf8) + source + Array(" -> ".utf8) + destination + Array(": ".utf8) + reason(errno)
      }
      return nil
    }
  }

  /// renameat2(2) flags.
  static let renameNoReplace: UInt32 = 1
  static let renameExchange: UInt32 = 2

  /// `renameat2(AT_FDCWD, from, AT_FDCWD, to, flags)`; returns 0 or -1 with errno set.
  static func rename2(_ from: [UInt8], _ to: [UInt8], flags: UInt32) -> Int32 {
    withCPath(from) { f in withCPath(to) { t in loadsmith_renameat2(AT_FDCWD, f, AT_FDCWD, t, flags) } }
  }

  /// The absolute form of `path` against the current directory (no resolution).
  static func absolute(_ path: [UInt8]) -> [UInt8] {
    if path.first == 0x2F { return path }
    var buf = [CChar](repeating: 0, count: 4097)
    guard getcwd(&buf, buf.count) != nil else { return path }
    let cwd = buf.withUnsafeBufferPointer { Array(UnsafeRawBufferPointer($0).prefix(while: { $0 != 0 })) }
    return cwd + [0x2F] + path
  }

  /// glibc `realpath(3)`: on success the resolved path; on failure errno and the partial result
  /// glibc leaves in the caller's buffer (the path resolved so far, up to and including the
  /// component that failed), which radmind then passes to `perror`.
  static func realpath(_ path: [UInt8]) -> Result<[UInt8], RealpathFailure> {
    var out = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let ok = withCPath(path) { Glibc.realpath($0, &out) } != nil
    if ok {
      return .success(out.withUnsafeBufferPointer { Array(UnsafeRawBufferPointer($0).prefix(while: { $0 != 0 })) })
    }
    let code = errno
    // Rebuild glibc's partial result: walk the absolute path lexically until a component fails.
    let abs = absolute(path)
    var partial: [UInt8] = []
    var i = 0
    while i < abs.count {
      while i < abs.count && abs[i] == 0x2F { i += 1 }
      if i >= abs.count { break }
      let end = abs[i...].firstIndex(of: 0x2F) ?? abs.count
      let comp = Array(abs[i..<end])
      i = end
      if comp == [0x2E] { continue }
      if comp == [0x2E, 0x2E] {
        partial = directoryOf(partial.isEmpty ? [0x2F] : partial)
        if partial == [0x2F] { partial = [] }
        continue
      }
      partial += [0x2F] + comp
      if !exists(partial) { break }
    }
    if partial.isEmpty { partial = [0x2F] }
    return .failure(RealpathFailure(errno: code, partial: partial))
  }

  struct RealpathFailure: Error {
    var errno: Int32
    var partial: [UInt8]
  }

  /// Copies `source` to a new file `destination` (O_EXCL) with the source's permission bits
  /// (minus umask) and owner, as radmind's `copy_file` does, then fsyncs the copy.
  /// Returns nil on success, ENOENT when the destination's directory is missing (radmind then
  /// creates it and retries), or an error message.
  static func copyFile(_ source: [UInt8], _ destination: [UInt8]) -> CopyResult {
    let src = withCPath(source) { open($0, O_RDONLY | O_CLOEXEC) }
    if src < 0 {
      return .failed(Array("open ".utf8) + source + Array(" failed: ".utf8) + reason(errno))
    }
    defer { close(src) }
    var st = stat()
    if fstat(src, &st) != 0 {
      return .failed(Array("stat of ".utf8) + source + Array(" failed: ".utf8) + reason(errno))
    }
    let dst = withCPath(destination) { open($0, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st.st_mode & 0o7777) }
    if dst < 0 {
      if errno == ENOENT { return .missingDirectory }
      return .failed(Array("open ".utf8) + destination + Array(" failed: ".utf8) + reason(errno))
    }
    defer { close(dst) }
    let size = 1 << 17
    let buf = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
    defer { buf.deallocate() }
    while true {
      let n = read(src, buf, size)
      if n < 0 {
        if errno == EINTR { continue }
        return .failed(Array("read from ".utf8) + source + Array(" failed: ".utf8) + reason(errno))
      }
      if n == 0 { break }
      var done = 0
      while done < n {
        let w = write(dst, buf + done, n - done)
        if w < 0 {
          if errno == EINTR { continue }
          return .failed(Array("write to ".utf8) + destination + Array(" failed: ".utf8) + reason(errno))
        }
        done += w
      }
    }
    if fchown(dst, st.st_uid, st.st_gid) != 0 {
      return .failed(Array("chown \(st.st_uid):\(st.st_gid) ".utf8) + destination + Array(" failed: ".utf8) + reason(errno))
    }
    fsync(dst)
    return .copied
  }

  enum CopyResult { case copied, missingDirectory, failed([UInt8]) }
}
