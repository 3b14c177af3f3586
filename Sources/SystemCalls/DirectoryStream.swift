#if canImport(Glibc)
import Glibc
#endif

/// The names in one directory, as the bytes `readdir` gives (never `.` or `..`). The one readdir loop.
///
///     for name in try Syscall.names(in: path) { ... }
package final class DirectoryStream {
  private let dir: OpaquePointer
  private let shown: [UInt8]

  /// Opens the directory at `path`.
  package convenience init(_ path: [UInt8]) throws(SystemCallError) {
    let fd = try Syscall.open(path, [.readOnly, .directory])
    try self.init(descriptor: fd, shown: path)
  }

  /// Takes ownership of `fd` (an open directory); it is closed with the stream.
  package init(descriptor fd: Int32, shown: [UInt8]) throws(SystemCallError) {
    guard let dir = fdopendir(fd) else {
      let error = SystemCallError("fdopendir", pathBytes: shown)
      Glibc.close(fd)
      throw error
    }
    self.dir = dir
    self.shown = shown
  }

  deinit { closedir(dir) }

  var dirPointer: OpaquePointer { dir }
  var shownPath: [UInt8] { shown }

  /// The descriptor, for `*at` calls on the names.
  package var descriptor: Int32 { dirfd(dir) }

  /// The next name, or nil at the end.
  package func next() throws(SystemCallError) -> [UInt8]? {
    while true {
      Glibc.errno = 0
      guard let ent = readdir(dir) else {
        if Glibc.errno != 0 { throw SystemCallError("readdir", pathBytes: shown) }
        return nil
      }
      let name: [UInt8] = withUnsafeBytes(of: ent.pointee.d_name) { raw in
        let len = strnlen(raw.baseAddress!.assumingMemoryBound(to: CChar.self), raw.count)
        return Array(raw[0..<len])
      }
      if name != [0x2E] && name != [0x2E, 0x2E] { return name }
    }
  }

  /// Every remaining name, unsorted.
  package func all() throws(SystemCallError) -> [[UInt8]] {
    var names: [[UInt8]] = []
    while let name = try next() { names.append(name) }
    return names
  }
}

extension Syscall {
  /// The names in the directory at `path` (not `.`/`..`), unsorted.
  package static func names(in path: [UInt8]) throws(SystemCallError) -> [[UInt8]] {
    try DirectoryStream(path).all()
  }
}
