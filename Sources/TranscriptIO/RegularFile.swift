#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

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
  /// Throws with `errno` ENOENT when it does not exist, and with a ``SystemError`` whose reason
  /// names the file's type when it is not a regular file.
  public static func openForReading(_ path: [UInt8]) throws(SystemError) -> Int32 {
    var z = path
    z.append(0)
    let shown = String(decoding: path, as: UTF8.self)
    let fd = try z.withUnsafeBufferPointer { p throws(SystemError) -> Int32 in
      try p.withMemoryRebound(to: CChar.self) { c throws(SystemError) -> Int32 in
        while true {
          let fd = open(c.baseAddress!, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC)
          if fd >= 0 { return fd }
          let e = errno
          if e == EINTR { continue }
          var st = stat()
          if e == ELOOP, lstat(c.baseAddress!, &st) == 0, (st.st_mode & S_IFMT) == S_IFLNK {
            throw SystemError("open", path: shown, errno: e, explanation: notRegular(st.st_mode))
          }
          throw SystemError("open", path: shown, errno: e)
        }
      }
    }
    var st = stat()
    if fstat(fd, &st) != 0 {
      let e = errno
      close(fd)
      throw SystemError("fstat", path: shown, errno: e)
    }
    if (st.st_mode & S_IFMT) != S_IFREG {
      close(fd)
      throw SystemError("open", path: shown, errno: EINVAL, explanation: notRegular(st.st_mode))
    }
    let flags = fcntl(fd, F_GETFL)
    if flags >= 0 { _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) }
    return fd
  }

  public static func openForReading(_ path: String) throws(SystemError) -> Int32 {
    try openForReading(Array(path.utf8))
  }

  /// `is a FIFO, not a regular file` (and so on for each type `st_mode` may hold).
  public static func notRegular(_ mode: mode_t) -> String {
    "is \(typeName(mode)), not a regular file"
  }

  /// `a FIFO`, `a symlink`, `a directory`, ... for a `st_mode`.
  public static func typeName(_ mode: mode_t) -> String {
    switch mode & S_IFMT {
    case S_IFREG: return "a regular file"
    case S_IFDIR: return "a directory"
    case S_IFLNK: return "a symlink"
    case S_IFIFO: return "a FIFO"
    case S_IFCHR: return "a character device"
    case S_IFBLK: return "a block device"
    case S_IFSOCK: return "a socket"
    default: return "of an unknown type"
    }
  }
}

extension LineReader {
  /// Reads the regular file at `path` line by line; refuses a FIFO, device or symlink
  /// (``RegularFile/openForReading(_:)-(String)``) instead of blocking on it.
  public convenience init(regularFile path: String, bufferSize: Int = 1 << 20) throws(SystemError) {
    let fd = try RegularFile.openForReading(path)
    self.init(fd: fd, name: path, bufferSize: bufferSize, ownsDescriptor: true)
  }
}
