#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Byte-path filesystem calls for the soak harness: staging names may be anything but NUL and
/// `/`, so they never go through `String`.
enum SoakFS {
  static func withPath<T>(_ path: [UInt8], _ body: (UnsafePointer<CChar>) -> T) -> T {
    (path + [0]).withUnsafeBufferPointer { buffer in
      buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { body($0) }
    }
  }

  static func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

  @discardableResult
  static func mkdir(_ path: [UInt8], _ mode: mode_t = 0o755) -> Bool { withPath(path) { Glibc.mkdir($0, mode) } == 0 }

  @discardableResult
  static func writeFile(_ path: [UInt8], _ contents: [UInt8], mode: mode_t = 0o644) -> Bool {
    let fd = withPath(path) { open($0, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode) }
    guard fd >= 0 else { return false }
    defer { close(fd) }
    let written = contents.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
    _ = withPath(path) { chmod($0, mode) }
    return written == contents.count
  }

  /// A regular file's bytes (nil for anything else: never opens a FIFO or device).
  static func readRegular(_ path: [UInt8]) -> [UInt8]? {
    guard let st = lstat(path), (st.st_mode & S_IFMT) == S_IFREG else { return nil }
    let fd = withPath(path) { open($0, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC) }
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var result: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
      let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
      if n <= 0 { break }
      result += buffer[0..<n]
    }
    return result
  }

  static func lstat(_ path: [UInt8]) -> stat? {
    var st = stat()
    return withPath(path) { Glibc.lstat($0, &st) } == 0 ? st : nil
  }

  static func readlink(_ path: [UInt8]) -> [UInt8]? {
    var buffer = [CChar](repeating: 0, count: 4097)
    let n = withPath(path) { Glibc.readlink($0, &buffer, 4096) }
    guard n >= 0 else { return nil }
    return buffer[0..<n].map { UInt8(bitPattern: $0) }
  }

  @discardableResult
  static func symlink(_ target: [UInt8], _ path: [UInt8]) -> Bool {
    withPath(target) { t in withPath(path) { Glibc.symlink(t, $0) } } == 0
  }

  @discardableResult
  static func link(_ existing: [UInt8], _ path: [UInt8]) -> Bool {
    withPath(existing) { e in withPath(path) { Glibc.link(e, $0) } } == 0
  }

  @discardableResult
  static func unlink(_ path: [UInt8]) -> Bool { withPath(path) { Glibc.unlink($0) } == 0 }

  @discardableResult
  static func mkfifo(_ path: [UInt8]) -> Bool { withPath(path) { Glibc.mkfifo($0, 0o644) } == 0 }

  /// The names in a directory (without `.` and `..`), sorted bytewise; empty if it cannot be read.
  static func list(_ dir: [UInt8]) -> [[UInt8]] {
    guard let d = withPath(dir, { opendir($0) }) else { return [] }
    defer { closedir(d) }
    var names: [[UInt8]] = []
    while let entry = readdir(d) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix(while: { $0 != 0 })) }
      if name == [0x2E] || name == [0x2E, 0x2E] { continue }
      names.append(name)
    }
    return names.sorted { $0.lexicographicallyPrecedes($1) }
  }

  /// Every path below `root` (relative, bytes), depth first, without following symlinks.
  static func walk(_ root: [UInt8], _ prefix: [UInt8] = []) -> [[UInt8]] {
    var out: [[UInt8]] = []
    for name in list(root + (prefix.isEmpty ? [] : [0x2F] + prefix)) {
      let rel = prefix.isEmpty ? name : prefix + [0x2F] + name
      out.append(rel)
      if let st = lstat(root + [0x2F] + rel), (st.st_mode & S_IFMT) == S_IFDIR { out += walk(root, rel) }
    }
    return out
  }
}
