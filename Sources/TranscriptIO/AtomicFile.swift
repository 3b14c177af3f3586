import SystemCalls

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
  /// The target, for messages (non-UTF-8 bytes shown replaced).
  public let path: String
  public let temporaryPath: String
  public let buffer: OutputBuffer
  /// The target and temporary paths as bytes: what the system calls use.
  private let pathBytes: [UInt8]
  private let temporaryBytes: [UInt8]
  private var slot: Int
  private var finished = false

  /// - Parameter mode: permission bits of the new file (before umask).
  public convenience init(path: String, mode: FileMode = 0o666) throws(SystemCallError) {
    try self.init(pathBytes: Array(path.utf8), mode: mode)
  }

  /// For paths that are raw bytes (any byte but NUL; never assumed UTF-8).
  public init(pathBytes: [UInt8], mode: FileMode = 0o666) throws(SystemCallError) {
    self.pathBytes = pathBytes
    path = String(decoding: pathBytes, as: UTF8.self)
    let (dir, base) = BytePath.split(pathBytes)
    var template = dir + [0x2F, 0x2E] + base + Array(".tmp.XXXXXX".utf8)
    let fd: Int32
    do { fd = try Syscall.mkstemp(&template) } catch { throw SystemCallError("mkstemp", path: path, errno: error.errno) }
    temporaryBytes = template
    temporaryPath = String(decoding: template, as: UTF8.self)
    slot = TemporaryFiles.register(bytes: template)
    // mkstemp creates 0600; give the file the mode a plain creat() would have.
    try? Syscall.fchmod(fd, mode & ~Syscall.umask, path: temporaryPath)
    buffer = OutputBuffer(fd: fd, name: path)
  }

  /// Flushes, fsyncs and renames the temporary file over `path`, then fsyncs the directory.
  /// A failing `close` (where some filesystems report a full disk) is an error too.
  public func commit() throws(SystemCallError) {
    precondition(!finished, "AtomicFile committed twice")
    do throws(SystemCallError) {
      try buffer.flush()
      try Syscall.fsync(buffer.fd, path: temporaryPath)
      finished = true
      try buffer.close(shownAs: temporaryPath)
      do { try Syscall.rename(temporaryBytes, pathBytes) } catch { throw SystemCallError("rename", path: path, errno: error.errno) }
    } catch {
      buffer.closeQuietly()  // a failed flush or fsync left it open
      try? Syscall.unlink(temporaryBytes)
      TemporaryFiles.forget(slot)
      finished = true
      throw error
    }
    TemporaryFiles.forget(slot)
    try AtomicFile.syncDirectory(of: pathBytes)
  }

  /// Removes the temporary file; the target stays as it was.
  public func abort() {
    guard !finished else { return }
    finished = true
    buffer.closeQuietly()
    try? Syscall.unlink(temporaryBytes)
    TemporaryFiles.forget(slot)
  }

  deinit { abort() }

  /// fsyncs the directory holding `path`, making a rename in it durable; a failure is reported
  /// (the rename is done, but a crash could still lose it).
  public static func syncDirectory(of path: [UInt8]) throws(SystemCallError) {
    try Syscall.syncDirectory(BytePath.directory(of: path))
  }
}
