import SystemCalls
import TranscriptIO

/// What hashing one file produced.
public struct FileDigest: Sendable, Equatable {
  /// Bytes read and hashed.
  public var bytesHashed: Int64
  /// The base64 digest (empty for a known-but-unavailable digest, spec §4.1).
  public var checksum: [UInt8]
  /// `st_size` and `st_mtime` of the open file, taken before reading.
  public var size: Int64
  public var mtime: Int64

  public init(bytesHashed: Int64, checksum: [UInt8], size: Int64, mtime: Int64) {
    self.bytesHashed = bytesHashed
    self.checksum = checksum
    self.size = size
    self.mtime = mtime
  }
}

/// Why a file could not be hashed. Never a wrong checksum: any doubt is an error.
public enum FileHashError: Error, Sendable, Equatable, CustomStringConvertible {
  /// A system call failed (`open`, `fstat`, `read`) with this errno.
  case system(call: String, errno: Int32)
  /// The file's size or modification time changed while it was being read.
  case changedWhileReading(expectedSize: Int64, bytesRead: Int64)
  /// With ``FileHasher/regularFilesOnly``: the path is not a regular file (`a FIFO`, `a symlink`).
  case notRegularFile(kind: String)

  /// The errno to report; `changedWhileReading` reports EAGAIN (try again once it is stable).
  public var errno: Int32 {
    switch self {
    case .system(_, let e): return e
    case .changedWhileReading: return Errno.tryAgain
    case .notRegularFile: return Errno.invalid
    }
  }

  /// The reason as radmind's tools print it: `strerror(errno)`, or a sentence for a change.
  public var reason: String {
    switch self {
    case .system(_, let e): return SystemCallError.reason(e)
    case .changedWhileReading(let expected, let read):
      return "file changed while being read (size \(expected), read \(read) bytes)"
    case .notRegularFile(let kind): return "is \(kind), not a regular file"
    }
  }

  public var description: String {
    switch self {
    case .system(let call, _): return "\(call): \(reason)"
    case .changedWhileReading, .notRegularFile: return reason
    }
  }
}

/// Hashes files with one thread's digester and one large reusable buffer.
///
///     let hasher = FileHasher(algorithm: sha1)
///     switch hasher.hash(path: Array("/etc/passwd".utf8)) { ... }
///
/// A small file is read with a single `read(2)`; a large one is mapped window by window (no copy
/// out of the page cache) or, from a given offset, read sequentially with `POSIX_FADV_SEQUENTIAL`. The byte count is checked against `fstat` (and for multi-read files
/// `fstat` is repeated at the end), so a file that grows, shrinks or is rewritten while it is
/// read yields ``FileHashError/changedWhileReading(expectedSize:bytesRead:)``, never a checksum.
/// Not thread-safe: make one per thread.
public final class FileHasher {
  public let digester: Digester
  private let buffer: UnsafeMutableRawBufferPointer
  private var tryNoAtime = true
  /// Refuse anything but a regular file, without blocking or following a final symlink (a store's
  /// own files: a FIFO there must not hang `verify`). Off for radmind's tools, which open as radmind does.
  public var regularFilesOnly = false

  /// Files at least this large get `POSIX_FADV_SEQUENTIAL`.
  static let adviseThreshold: Int64 = 1 << 20

  /// Tests only: runs after each window is mapped and before it is hashed.
  var afterMapping: (() -> Void)?

  public init(algorithm: DigestAlgorithm, bufferSize: Int = 1 << 20) {
    digester = algorithm.makeDigester()
    buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bufferSize, 4096), alignment: 4096)
  }

  deinit { buffer.deallocate() }

  /// Opens `path` (raw bytes, no NUL) read-only and hashes it.
  public func hash(path: [UInt8]) -> Result<FileDigest, FileHashError> {
    let fd: Int32
    do {
      fd = try openReadOnly(path)
    } catch {
      if regularFilesOnly && error.errno == Errno.tooManyLinks { return .failure(.notRegularFile(kind: "a symlink")) }
      return .failure(.system(call: "open", errno: error.errno))
    }
    defer { Syscall.closeQuietly(fd) }
    return hash(openedFile: fd)
  }

  /// Hashes an open descriptor from its current offset to end of file. Does not close it.
  public func hash(fd: Int32) -> Result<FileDigest, FileHashError> { hash(fd: fd, fromStart: false) }

  /// Hashes a file just opened (at offset 0), through mapped windows when it is large (see
  /// ``hashMapped(_:_:)``). Does not close it.
  public func hash(openedFile fd: Int32) -> Result<FileDigest, FileHashError> { hash(fd: fd, fromStart: true) }

  private func hash(fd: Int32, fromStart: Bool) -> Result<FileDigest, FileHashError> {
    let st: FileStatus
    do { st = try Syscall.fstat(fd, path: []) } catch { return .failure(.system(call: "fstat", errno: error.errno)) }
    if regularFilesOnly && st.fileType != .regular { return .failure(.notRegularFile(kind: RegularFile.typeName(st.st_mode))) }
    let size = Int64(st.st_size)
    if fromStart && st.fileType == .regular && size >= FileHasher.mapThreshold, let mapped = hashMapped(fd, st) {
      return mapped
    }
    if size >= FileHasher.adviseThreshold { Syscall.adviseSequential(fd) }
    digester.reset()
    var total: Int64 = 0
    var reads = 0
    let cap = buffer.count
    while true {
      let r: Int
      do { r = try Syscall.read(fd, into: buffer, path: []) } catch { return .failure(.system(call: "read", errno: error.errno)) }
      if r == 0 { break }
      reads += 1
      digester.update(UnsafeRawBufferPointer(rebasing: buffer[0..<r]))
      total += Int64(r)
      // A short read of a regular file means end of file: skip the extra read(2) that would
      // return 0. Growth after this point is indistinguishable from growth after we finished.
      if r < cap && total == size && st.fileType == .regular { break }
    }
    if total != size { return .failure(.changedWhileReading(expectedSize: size, bytesRead: total)) }
    return finished(fd, since: st, bytes: total, checkAgain: reads > 1)
  }

  /// The digest of `bytes` hashed from `fd`'s whole file. With `checkAgain`, `fstat` is taken
  /// again first, so that a size or mtime change since `st` is an error, never a checksum.
  func finished(_ fd: Int32, since st: FileStatus, bytes: Int64, checkAgain: Bool) -> Result<FileDigest, FileHashError> {
    let size = Int64(st.st_size)
    if checkAgain {
      switch unchanged(fd, since: st) {
      case .failure(let e): return .failure(e)
      case .success(false): return .failure(.changedWhileReading(expectedSize: size, bytesRead: bytes))
      case .success(true): break
      }
    }
    let checksum = digester.finalizeBase64()
    return .success(FileDigest(bytesHashed: bytes, checksum: checksum, size: size, mtime: Int64(st.st_mtim.tv_sec)))
  }

  /// Whether `st` (taken before reading) still describes `fd`'s file: same size and mtime.
  func unchanged(_ fd: Int32, since st: FileStatus) -> Result<Bool, FileHashError> {
    let after: FileStatus
    do { after = try Syscall.fstat(fd, path: []) } catch { return .failure(.system(call: "fstat", errno: error.errno)) }
    return .success(after.st_size == st.st_size && after.st_mtim.tv_sec == st.st_mtim.tv_sec
      && after.st_mtim.tv_nsec == st.st_mtim.tv_nsec)
  }

  /// Hashes everything `fd` yields (a pipe or a file) without size checks; returns bytes and base64.
  public func hashStream(fd: Int32) -> Result<(bytes: Int64, checksum: [UInt8]), FileHashError> {
    digester.reset()
    return continueStream(fd: fd).map { ($0, digester.finalizeBase64()) }
  }

  /// Feeds everything `fd` yields into the current message (no reset, no finalize).
  func continueStream(fd: Int32) -> Result<Int64, FileHashError> {
    var total: Int64 = 0
    while true {
      let r: Int
      do { r = try Syscall.read(fd, into: buffer, path: []) } catch { return .failure(.system(call: "read", errno: error.errno)) }
      if r == 0 { return .success(total) }
      digester.update(UnsafeRawBufferPointer(rebasing: buffer[0..<r]))
      total += Int64(r)
    }
  }

  /// `open(O_RDONLY)`, with `O_NOATIME` while it is permitted (it saves an inode update per
  /// file when we own the files or are root; EPERM otherwise, after which we stop asking).
  private func openReadOnly(_ path: [UInt8]) throws(SystemCallError) -> Int32 {
    let flags: OpenFlags = regularFilesOnly ? [.readOnly, .noFollow, .nonBlocking] : .readOnly
    if tryNoAtime {
      do {
        return try Syscall.open(path, flags.union(.noAtime))
      } catch {
        if error.errno != Errno.permission { throw error }
        tryNoAtime = false
      }
    }
    return try Syscall.open(path, flags)
  }
}
