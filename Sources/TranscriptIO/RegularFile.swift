import SystemCalls

/// Opening a file the store owns (a transcript, metadata, a stored file, a command file) for
/// reading, refusing anything that is not a regular file *before* reading from it: a FIFO or a
/// device would block `open` or `read` forever, and a symlink could lead outside the store.
///
/// `open` uses `O_NONBLOCK | O_NOFOLLOW` (so neither a FIFO nor a symlink can block or redirect
/// it), then `fstat` must say regular file; `O_NONBLOCK` is cleared again before returning.
///
///     let fd = try RegularFile.openForReading(Array("transcript/b.T".utf8))
///     // "transcript/b.T: is a FIFO, not a regular file" for a FIFO
public enum RegularFile {
  /// A read-only descriptor of the regular file at `path` (caller closes it).
  /// Throws with `errno` ENOENT when it does not exist, and with a ``SystemCallError`` whose reason
  /// names the file's type when it is not a regular file.
  public static func openForReading(_ path: [UInt8]) throws(SystemCallError) -> Int32 {
    let shown = String(decoding: path, as: UTF8.self)
    let fd: Int32
    do { fd = try Syscall.open(path, [.readOnly, .nonBlocking, .noFollow]) } catch {
      if error.errno == Errno.tooManyLinks, let st = Syscall.lstatIfPresent(path), st.fileType == .symlink {
        throw SystemCallError("open", path: shown, errno: error.errno, explanation: notRegular(st.st_mode))
      }
      throw SystemCallError("open", path: shown, errno: error.errno)
    }
    let st: FileStatus
    do { st = try Syscall.fstat(fd, path: shown) } catch {
      Syscall.closeQuietly(fd)
      throw error
    }
    if st.fileType != .regular {
      Syscall.closeQuietly(fd)
      throw SystemCallError("open", path: shown, errno: Errno.invalid, explanation: notRegular(st.st_mode))
    }
    Syscall.clearNonBlocking(fd)
    return fd
  }

  public static func openForReading(_ path: String) throws(SystemCallError) -> Int32 {
    try openForReading(Array(path.utf8))
  }

  /// `is a FIFO, not a regular file` (and so on for each type `st_mode` may hold).
  public static func notRegular(_ mode: FileMode) -> String {
    "is \(typeName(mode)), not a regular file"
  }

  /// `a FIFO`, `a symlink`, `a directory`, ... for a `st_mode`.
  public static func typeName(_ mode: FileMode) -> String {
    switch FileType(mode: mode) {
    case .regular: return "a regular file"
    case .directory: return "a directory"
    case .symlink: return "a symlink"
    case .fifo: return "a FIFO"
    case .characterDevice: return "a character device"
    case .blockDevice: return "a block device"
    case .socket: return "a socket"
    case .unknown: return "of an unknown type"
    }
  }
}

extension LineReader {
  /// Reads the regular file at `path` line by line; refuses a FIFO, device or symlink
  /// (``RegularFile/openForReading(_:)-(String)``) instead of blocking on it.
  public convenience init(regularFile path: String, bufferSize: Int = 1 << 20) throws(SystemCallError) {
    let fd = try RegularFile.openForReading(path)
    self.init(fd: fd, name: path, bufferSize: bufferSize, ownsDescriptor: true)
  }
}
