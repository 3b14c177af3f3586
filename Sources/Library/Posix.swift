#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Archive
import Hashing
import TranscriptIO

/// The few POSIX calls the DSL makes outside the archive writer and extractor, each failure a
/// ``LibraryError`` naming the call and the path.
enum Posix {
  static func failure(_ call: String, _ path: String, _ code: Int32 = errno) -> LibraryError {
    LibraryError(.system, "\(path): \(call): \(String(cString: strerror(code)))")
  }

  static func isDirectory(_ path: String) -> Bool {
    var st = stat()
    return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
  }

  static func exists(_ path: String) -> Bool {
    var st = stat()
    return lstat(path, &st) == 0
  }

  /// Creates `path` and missing parents with `mode`.
  static func makeDirectories(_ path: String, mode: mode_t = 0o755) throws(LibraryError) {
    if isDirectory(path) { return }
    var prefix = path.hasPrefix("/") ? "/" : ""
    for part in path.split(separator: "/") {
      prefix += (prefix.isEmpty || prefix == "/" ? "" : "/") + part
      if mkdir(prefix, mode) != 0 && errno != EEXIST { throw failure("mkdir", prefix) }
    }
  }

  /// Names in a directory (not `.`/`..`), sorted; empty when it does not exist.
  static func list(_ path: String) throws(LibraryError) -> [String] {
    guard let dir = opendir(path) else {
      if errno == ENOENT || errno == ENOTDIR { return [] }
      throw failure("opendir", path)
    }
    defer { closedir(dir) }
    var names: [String] = []
    while let ent = readdir(dir) {
      let name = withUnsafeBytes(of: ent.pointee.d_name) { raw in
        String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
      }
      if name != "." && name != ".." { names.append(name) }
    }
    return names.sorted()
  }

  /// The whole file; nil when it does not exist. Anything but a regular file (a FIFO, a
  /// device, a symlink) is refused, never waited on. With a `limit`, a longer file is refused
  /// as corrupt before more of it is read.
  static func readFile(_ path: String, limit: Int? = nil) throws(LibraryError) -> [UInt8]? {
    let fd: Int32
    do { fd = try RegularFile.openForReading(path) } catch {
      if error.errno == ENOENT { return nil }
      throw LibraryError(.system, error.detailed)
    }
    defer { close(fd) }
    var out: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
      if n < 0 { if errno == EINTR { continue }; throw failure("read", path) }
      if n == 0 { return out }
      out.append(contentsOf: buffer[0..<n])
      if let limit, out.count > limit { throw LibraryError(.corrupt, "\(path): larger than \(limit) bytes") }
    }
  }

  /// Replaces `path` with `bytes` so that it appears whole or not at all.
  static func writeFileAtomically(_ path: String, _ bytes: [UInt8], permissions: mode_t = 0o644) throws(LibraryError) {
    do {
      try writeAtomically(at: Array(path.utf8), permissions: permissions) { fd in
        var offset = 0
        while offset < bytes.count {
          let n = bytes.withUnsafeBytes { raw in write(fd, raw.baseAddress! + offset, raw.count - offset) }
          if n < 0 { if errno == EINTR { continue }; throw failure("write", path) }
          offset += n
        }
      }
    } catch let error as LibraryError {
      throw error
    } catch let error as ArchiveError {
      throw LibraryError(error, in: path)
    } catch {
      throw LibraryError(.system, "\(path): \(error)")
    }
  }

  /// sha256 of the file at `path`, lowercase hex, and its length.
  /// A FIFO or device is refused by type (an archive is checked here before anything reads it).
  static func sha256(ofFile path: String) throws(LibraryError) -> (hex: String, bytes: Int64) {
    let fd: Int32
    do { fd = try RegularFile.openForReading(path) } catch { throw LibraryError(.system, error.detailed) }
    defer { close(fd) }
    let algorithm: DigestAlgorithm
    do { algorithm = try DigestAlgorithm(named: "sha256") } catch { throw LibraryError(.system, "\(error)") }
    let digester = algorithm.makeDigester()
    digester.reset()
    var st = stat()
    WorkProgress.begin("sha256 \(path.split(separator: "/").last ?? "")", bytes: fstat(fd, &st) == 0 ? Int64(st.st_size) : nil)
    defer { WorkProgress.end() }
    let size = 1 << 20
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 64)
    defer { buffer.deallocate() }
    var total: Int64 = 0
    while true {
      let n = read(fd, buffer.baseAddress!, size)
      if n < 0 { if errno == EINTR { continue }; throw failure("read", path) }
      if n == 0 { break }
      digester.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
      total += Int64(n)
      WorkProgress.advance(bytes: Int64(n))
    }
    return (Hex.encode(digester.finalizeRaw()), total)
  }

  static var who: String {
    var user = String(geteuid())
    if let pw = getpwuid(geteuid()), let name = pw.pointee.pw_name { user = String(cString: name) }
    var buf = [UInt8](repeating: 0, count: 256)
    buf.withUnsafeMutableBufferPointer { b in _ = b.withMemoryRebound(to: CChar.self) { gethostname($0.baseAddress!, 255) } }
    return user + "@" + String(decoding: buf.prefix(while: { $0 != 0 }), as: UTF8.self)
  }

  static func pad(_ v: Int32, _ width: Int) -> String {
    let s = String(v)
    return String(repeating: "0", count: max(0, width - s.count)) + s
  }

  /// Now as ISO-8601 UTC with seconds.
  static func timestamp() -> String {
    var t = time(nil)
    var tmv = tm()
    gmtime_r(&t, &tmv)
    return "\(pad(tmv.tm_year + 1900, 4))-\(pad(tmv.tm_mon + 1, 2))-\(pad(tmv.tm_mday, 2))T\(pad(tmv.tm_hour, 2)):\(pad(tmv.tm_min, 2)):\(pad(tmv.tm_sec, 2))Z"
  }

  /// Today's local date as `yyyymmdd`, the tags' date.
  static func today() -> String {
    var t = time(nil)
    var tmv = tm()
    localtime_r(&t, &tmv)
    return pad(tmv.tm_year + 1900, 4) + pad(tmv.tm_mon + 1, 2) + pad(tmv.tm_mday, 2)
  }
}
