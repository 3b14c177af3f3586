import Archive
import Hashing
import SystemCalls
import TranscriptIO

extension LibraryError {
  /// A failed system call, worded `PATH: CALL: reason` (the DSL's system errors).
  init(_ error: SystemCallError, shown path: String, call: String? = nil) {
    self.init(.system, "\(path): \(call ?? error.call): \(error.reason)")
  }
}

/// Runs ``Syscall`` calls; a failure becomes a ``LibraryError`` naming `path` (and `call`, or
/// the call that failed).
@inline(__always)
func sys<R>(_ path: String, call: String? = nil, _ body: () throws(SystemCallError) -> R) throws(LibraryError) -> R {
  do { return try body() } catch { throw LibraryError(error, shown: path, call: call) }
}

/// The DSL's file helpers on ``Syscall``: whole small files, sorted listings, `mkdir -p`, and the
/// sha256 of an archive. Each failure is a ``LibraryError`` naming the call and the path.
enum LibraryFiles {
  /// True when `path` is a directory (following a symlink).
  static func isDirectory(_ path: String) -> Bool { (try? Syscall.stat(path))?.fileType == .directory }

  static func exists(_ path: String) -> Bool { Syscall.lstatIfPresent(path) != nil }

  /// Creates `path` and missing parents with `mode`.
  static func makeDirectories(_ path: String, mode: FileMode = 0o755) throws(LibraryError) {
    if isDirectory(path) { return }
    var prefix = path.hasPrefix("/") ? "/" : ""
    for part in path.split(separator: "/") {
      prefix += (prefix.isEmpty || prefix == "/" ? "" : "/") + part
      do { try Syscall.mkdir(prefix, mode: mode) } catch {
        if error.errno != Errno.exists { throw LibraryError(error, shown: prefix) }
      }
    }
  }

  /// Names in a directory (not `.`/`..`), sorted; empty when it does not exist.
  static func list(_ path: String) throws(LibraryError) -> [String] {
    let names: [[UInt8]]
    do { names = try Syscall.listDirectory(path) } catch {
      if error.errno == Errno.noEntry || error.errno == Errno.notDirectory { return [] }
      throw LibraryError(error, shown: path)
    }
    return names.map { String(decoding: $0, as: UTF8.self) }.sorted()
  }

  /// The whole file; nil when it does not exist. Anything but a regular file (a FIFO, a
  /// device, a symlink) is refused, never waited on. With a `limit`, a longer file is refused
  /// as corrupt before more of it is read.
  static func readFile(_ path: String, limit: Int? = nil) throws(LibraryError) -> [UInt8]? {
    let fd: Int32
    do { fd = try RegularFile.openForReading(path) } catch {
      if error.errno == Errno.noEntry { return nil }
      throw LibraryError(.system, error.detailed)
    }
    defer { Syscall.closeQuietly(fd) }
    var out: [UInt8] = []
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 1)
    defer { buffer.deallocate() }
    while true {
      let n = try sys(path) { () throws(SystemCallError) in try Syscall.read(fd, into: buffer, path: path) }
      if n == 0 { return out }
      out.append(contentsOf: buffer[0..<n])
      if let limit, out.count > limit { throw LibraryError(.corrupt, "\(path): larger than \(limit) bytes") }
    }
  }

  /// Replaces `path` with `bytes` so that it appears whole or not at all.
  static func writeFileAtomically(_ path: String, _ bytes: [UInt8], permissions: FileMode = 0o644) throws(LibraryError) {
    do {
      try writeAtomically(at: Array(path.utf8), permissions: permissions) { fd in
        try sys(path) { () throws(SystemCallError) in try Syscall.writeAll(fd, bytes, path: path) }
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
    defer { Syscall.closeQuietly(fd) }
    let algorithm: DigestAlgorithm
    do { algorithm = try DigestAlgorithm(named: "sha256") } catch { throw LibraryError(.system, "\(error)") }
    let digester = algorithm.makeDigester()
    digester.reset()
    let size = (try? Syscall.fstat(fd, path: path)).map { Int64($0.st_size) }
    WorkProgress.begin("sha256 \(path.split(separator: "/").last ?? "")", bytes: size)
    defer { WorkProgress.end() }
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
    defer { buffer.deallocate() }
    var total: Int64 = 0
    while true {
      let n = try sys(path) { () throws(SystemCallError) in try Syscall.read(fd, into: buffer, path: path) }
      if n == 0 { break }
      digester.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
      total += Int64(n)
      WorkProgress.advance(bytes: Int64(n))
    }
    return (Hex.encode(digester.finalizeRaw()), total)
  }
}
