#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A file written under a temporary name in its target's directory and renamed into place only
/// when complete: readers see the old file or the whole new one, never a part.
///
///     let out = try AtomicFile(path: "sorted.T")
///     try out.buffer.append(bytes)
///     try out.commit()          // flush, fsync, rename, fsync the directory
///
/// If ``commit()`` is never reached (an error, `abort()`, deinit, or SIGINT once
/// ``TemporaryFiles/installSignalHandlers()`` ran) the temporary file is removed and the target
/// is untouched.
public final class AtomicFile {
  public let path: String
  public let temporaryPath: String
  public let buffer: OutputBuffer
  private var slot: Int
  private var finished = false

  /// - Parameter mode: permission bits of the new file (before umask).
  public init(path: String, mode: mode_t = 0o666) throws(SystemError) {
    self.path = path
    let (dir, base) = AtomicFile.split(path)
    var template = Array("\(dir)/.\(base).tmp.XXXXXX".utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    if fd < 0 { throw SystemError("mkstemp", path: path) }
    temporaryPath = String(cString: template)
    slot = TemporaryFiles.register(temporaryPath)
    // mkstemp creates 0600; give the file the mode a plain creat() would have.
    let mask = umask(0); umask(mask)
    fchmod(fd, mode & ~mask)
    buffer = OutputBuffer(fd: fd, name: path)
  }

  /// Flushes, fsyncs and renames the temporary file over `path`, then fsyncs the directory.
  public func commit() throws(SystemError) {
    precondition(!finished, "AtomicFile committed twice")
    do {
      try buffer.flush()
      _ = try retryingOnInterrupt("fsync", temporaryPath) { fsync(buffer.fd) }
      close(buffer.fd)
      _ = try retryingOnInterrupt("rename", path) { rename(temporaryPath, path) }
    } catch {
      abort()
      throw error
    }
    finished = true
    TemporaryFiles.forget(slot)
    AtomicFile.syncDirectory(of: path)
  }

  /// Removes the temporary file; the target stays as it was.
  public func abort() {
    guard !finished else { return }
    finished = true
    close(buffer.fd)
    unlink(temporaryPath)
    TemporaryFiles.forget(slot)
  }

  deinit { abort() }

  /// Directory and last component of `path` ("." for a bare name).
  public static func split(_ path: String) -> (directory: String, name: String) {
    let bytes = Array(path.utf8)
    guard let slash = bytes.lastIndex(of: 0x2F) else { return (".", path) }
    let dir = slash == 0 ? "/" : String(decoding: bytes[..<slash], as: UTF8.self)
    return (dir, String(decoding: bytes[(slash + 1)...], as: UTF8.self))
  }

  /// fsyncs the directory holding `path`, making a rename in it durable.
  public static func syncDirectory(of path: String) {
    let dir = split(path).directory
    let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if fd >= 0 {
      fsync(fd)
      close(fd)
    }
  }
}
