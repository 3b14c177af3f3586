import SystemCalls
import TranscriptIO

/// The store's names for ``Syscall``'s calls on `String` paths, each failure a ``StoreError``
/// naming the call and the path (as before). A thin adapter: the retry loops, the C strings and
/// the directory reading live in SystemCalls alone. They never print and never exit.
enum FileSystem {
  enum Kind { case missing, file, directory, symlink, other }

  static func kind(_ path: String) -> Kind {
    guard let st = Syscall.lstatIfPresent(path) else { return .missing }
    switch FileType(mode: st.st_mode) {
    case .regular: return .file
    case .directory: return .directory
    case .symlink: return .symlink
    default: return .other
    }
  }

  static func exists(_ path: String) -> Bool { kind(path) != .missing }

  static func lstatOrThrow(_ path: String) throws(StoreError) -> FileStatus {
    do { return try Syscall.lstat(path) } catch { throw .system(error) }
  }

  /// The target of the symlink at `path`, or nil when it is not a symlink.
  static func readLink(_ path: String) -> String? {
    guard let target = try? Syscall.readlink(Array(path.utf8)) else { return nil }
    return String(decoding: target, as: UTF8.self)
  }

  static func makeDirectory(_ path: String, mode: FileMode = 0o755) throws(StoreError) {
    do { try Syscall.mkdir(path, mode: mode) } catch {
      if error.errno != Errno.exists { throw .system(error) }
    }
  }

  /// Creates `path` and its missing parents (bytes, so any file name works).
  static func makeDirectories(_ path: [UInt8], mode: FileMode = 0o755) throws(StoreError) {
    do { try Syscall.makeDirectories(path, mode: mode) } catch { throw .system(error) }
  }

  /// Names in a directory, without `.` and `..`, as raw bytes, unsorted.
  static func listRaw(_ path: String) throws(StoreError) -> [[UInt8]] {
    try listRaw(bytes: Array(path.utf8))
  }

  static func listRaw(bytes path: [UInt8]) throws(StoreError) -> [[UInt8]] {
    do { return try Syscall.names(in: path) } catch {
      throw .system(SystemError(error.call == "open" ? "opendir" : error.call, pathBytes: path, errno: error.errno))
    }
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
    do { try Syscall.rename(Array(from.utf8), Array(to.utf8)) } catch {
      throw .system(SystemError("rename", path: "\(from) -> \(to)", errno: error.errno))
    }
  }

  /// fsyncs the directory at `path`, best effort (callers have always ignored its failure).
  static func syncDirectory(_ path: String) {
    try? Syscall.syncDirectory(Array(path.utf8))
  }

  /// Flushes every dirty page of the filesystem holding `path` (Linux `syncfs`): one call makes a
  /// whole staged loadset durable before it is published, instead of an fsync per file.
  static func syncFilesystem(_ path: String) throws(StoreError) {
    do {
      let fd = try Syscall.open(path, [.readOnly, .directory])
      defer { Syscall.closeQuietly(fd) }
      try Syscall.syncfs(fd, path: path)
    } catch { throw .system(error) }
  }

  /// Reads a small file whole (metadata, pointers' records); nil when it does not exist.
  /// Anything but a regular file (a FIFO, a device, a symlink) is refused, never waited on.
  static func readSmallFile(_ path: String) throws(StoreError) -> String? {
    let fd: Int32
    do { fd = try RegularFile.openForReading(path) } catch {
      if error.errno == Errno.noEntry { return nil }
      throw .system(error)
    }
    defer { Syscall.closeQuietly(fd) }
    var out: [UInt8] = []
    let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 1)
    defer { buf.deallocate() }
    while true {
      let n: Int
      do { n = try Syscall.read(fd, into: buf, path: path) } catch { throw .system(error) }
      if n == 0 { break }
      out.append(contentsOf: buf[0..<n])
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// Replaces `path` with `text` atomically (temp file next to it, fsync, rename, fsync dir).
  static func writeAtomically(_ path: String, _ text: String, mode: FileMode = 0o644) throws(StoreError) {
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
    do { try Syscall.writeAll(fd, bytes, path: path) } catch { throw .system(error) }
  }

  static func withCString<R>(_ bytes: [UInt8], _ body: (UnsafePointer<CChar>) -> R) -> R {
    Syscall.withCString(bytes, body)
  }

  static var userName: String { Syscall.userName }

  static var hostName: String { Syscall.hostName }

  /// Now as an ISO-8601 UTC timestamp with milliseconds (``Clock``).
  static func timestamp() -> String { Clock.timestamp(milliseconds: true) }

  static func randomHex(_ bytes: Int = 8) -> String {
    var out = ""
    for _ in 0..<bytes {
      let b = UInt8.random(in: 0...255)
      out += String(b >> 4, radix: 16) + String(b & 15, radix: 16)
    }
    return out
  }
}
