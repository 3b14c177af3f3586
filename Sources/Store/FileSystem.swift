#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import TranscriptIO

/// The POSIX calls the store makes, each turning failure into a ``StoreError`` that names the call
/// and the path. Only Store calls these; they never print and never exit.
enum FileSystem {
  enum Kind { case missing, file, directory, symlink, other }

  static func kind(_ path: String) -> Kind {
    var st = stat()
    guard lstat(path, &st) == 0 else { return .missing }
    switch st.st_mode & S_IFMT {
    case S_IFREG: return .file
    case S_IFDIR: return .directory
    case S_IFLNK: return .symlink
    default: return .other
    }
  }

  static func exists(_ path: String) -> Bool { kind(path) != .missing }

  static func lstatOrThrow(_ path: String) throws(StoreError) -> stat {
    var st = stat()
    guard lstat(path, &st) == 0 else { throw .system(SystemError("lstat", path: path)) }
    return st
  }

  /// The target of the symlink at `path`, or nil when it is not a symlink.
  static func readLink(_ path: String) -> String? {
    var buf = [CChar](repeating: 0, count: 4097)
    let n = readlink(path, &buf, 4096)
    guard n >= 0 else { return nil }
    return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  static func makeDirectory(_ path: String, mode: mode_t = 0o755) throws(StoreError) {
    if mkdir(path, mode) != 0 && errno != EEXIST { throw .system(SystemError("mkdir", path: path)) }
  }

  /// Creates `path` and its missing parents (bytes, so any file name works).
  static func makeDirectories(_ path: [UInt8], mode: mode_t = 0o755) throws(StoreError) {
    var p = path
    while p.count > 1 && p.last == 0x2F { p.removeLast() }
    if p.isEmpty { return }
    let r = withCString(p) { mkdir($0, mode) }
    if r == 0 { return }
    let e = errno
    if e == EEXIST { return }
    if e == ENOENT, let slash = p.lastIndex(of: 0x2F), slash > 0 {
      try makeDirectories(Array(p[..<slash]), mode: mode)
      if withCString(p, { mkdir($0, mode) }) == 0 || errno == EEXIST { return }
    }
    throw .system(SystemError("mkdir", path: String(decoding: p, as: UTF8.self), errno: errno))
  }

  /// Names in a directory, without `.` and `..`, as raw bytes, unsorted.
  static func listRaw(_ path: String) throws(StoreError) -> [[UInt8]] {
    try listRaw(bytes: Array(path.utf8))
  }

  static func listRaw(bytes path: [UInt8]) throws(StoreError) -> [[UInt8]] {
    guard let dir = withCString(path, { opendir($0) }) else {
      throw .system(SystemError("opendir", path: String(decoding: path, as: UTF8.self)))
    }
    defer { closedir(dir) }
    var names: [[UInt8]] = []
    while let ent = readdir(dir) {
      let name: [UInt8] = withUnsafeBytes(of: ent.pointee.d_name) { raw in
        let len = strnlen(raw.baseAddress!.assumingMemoryBound(to: CChar.self), raw.count)
        return Array(raw[0..<len])
      }
      if name == [0x2E] || name == [0x2E, 0x2E] { continue }
      names.append(name)
    }
    return names
  }

  static func list(_ path: String) throws(StoreError) -> [String] {
    try listRaw(path).map { String(decoding: $0, as: UTF8.self) }
  }

  /// Removes `path` and everything below it; missing is fine. Symlinks are removed, not followed;
  /// names are handled as bytes (see ``DirectoryTree``).
  static func removeTree(_ path: String) throws(StoreError) {
    try removeTree(bytes: Array(path.utf8))
  }

  static func removeTree(bytes path: [UInt8]) throws(StoreError) {
    do { try DirectoryTree.remove(path) } catch { throw .system(error) }
  }

  static func rename(_ from: String, _ to: String) throws(StoreError) {
    if Glibc.rename(from, to) != 0 { throw .system(SystemError("rename", path: "\(from) -> \(to)")) }
  }

  static func syncDirectory(_ path: String) {
    let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if fd >= 0 { fsync(fd); close(fd) }
  }

  /// Flushes every dirty page of the filesystem holding `path` (Linux `syncfs`): one call makes a
  /// whole staged loadset durable before it is published, instead of an fsync per file.
  static func syncFilesystem(_ path: String) throws(StoreError) {
    let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard fd >= 0 else { throw .system(SystemError("open", path: path)) }
    defer { close(fd) }
    if loadsmith_syncfs(fd) != 0 { throw .system(SystemError("syncfs", path: path)) }
  }

  /// Reads a small file whole (metadata, pointers' records); nil when it does not exist.
  /// Anything but a regular file (a FIFO, a device, a symlink) is refused, never waited on.
  static func readSmallFile(_ path: String) throws(StoreError) -> String? {
    let fd: Int32
    do { fd = try RegularFile.openForReading(path) } catch {
      if error.errno == ENOENT { return nil }
      throw .system(error)
    }
    defer { close(fd) }
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 65536)
    while true {
      let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
      if n < 0 { if errno == EINTR { continue }; throw .system(SystemError("read", path: path)) }
      if n == 0 { break }
      out.append(contentsOf: buf[0..<n])
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// Replaces `path` with `text` atomically (temp file next to it, fsync, rename, fsync dir).
  static func writeAtomically(_ path: String, _ text: String, mode: mode_t = 0o644) throws(StoreError) {
    do {
      let file = try AtomicFile(path: path, mode: mode)
      try file.buffer.append(text)
      try file.commit()
    } catch {
      throw .system(error)
    }
  }

  /// Writes every byte (looping over short writes and EINTR).
  static func writeAll(fd: Int32, _ bytes: [UInt8], path: String) throws(StoreError) {
    var failure: SystemError?
    bytes.withUnsafeBytes { raw in
      do throws(SystemError) { try TranscriptIO.writeAll(fd: fd, raw, name: path) } catch { failure = error }
    }
    if let failure { throw .system(failure) }
  }

  static func withCString<R>(_ bytes: [UInt8], _ body: (UnsafePointer<CChar>) -> R) -> R {
    var z = bytes
    z.append(0)
    return z.withUnsafeBufferPointer { $0.withMemoryRebound(to: CChar.self) { body($0.baseAddress!) } }
  }

  static var userName: String {
    if let pw = getpwuid(geteuid()), let name = pw.pointee.pw_name { return String(cString: name) }
    return String(geteuid())
  }

  static var hostName: String {
    var buf = [CChar](repeating: 0, count: 256)
    gethostname(&buf, 255)
    return String(cString: buf)
  }

  /// Seconds since the epoch, as an ISO-8601 UTC timestamp with milliseconds.
  static func timestamp() -> String {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    var t = ts.tv_sec
    var tmv = tm()
    gmtime_r(&t, &tmv)
    func p(_ v: Int32, _ w: Int) -> String {
      let s = String(v)
      return String(repeating: "0", count: max(0, w - s.count)) + s
    }
    return "\(p(tmv.tm_year + 1900, 4))-\(p(tmv.tm_mon + 1, 2))-\(p(tmv.tm_mday, 2))T\(p(tmv.tm_hour, 2)):\(p(tmv.tm_min, 2)):\(p(tmv.tm_sec, 2)).\(p(Int32(ts.tv_nsec / 1_000_000), 3))Z"
  }

  static func randomHex(_ bytes: Int = 8) -> String {
    var out = ""
    for _ in 0..<bytes {
      let b = UInt8.random(in: 0...255)
      out += String(b >> 4, radix: 16) + String(b & 15, radix: 16)
    }
    return out
  }
}

/// Linux `syncfs(2)`; Glibc declares it only under _GNU_SOURCE.
@_silgen_name("syncfs")
func loadsmith_syncfs(_ fd: Int32) -> Int32
