import SystemCalls

/// Where a tool's `-o FILE` goes (lsort, fsdiff): into the file it names, as radmind's
/// `fopen(FILE, "w")` would, but atomically wherever a rename can do that.
///
/// * A regular file or a new name: written as an ``AtomicFile`` beside it (temp, fsync, rename),
///   so a failed run leaves the old file as it was. An existing file keeps its permission bits.
/// * A symlink: followed (through a chain, even a dangling one); the file it names is replaced
///   as above, in that file's directory. The symlink itself stays.
/// * Anything else that exists (a character or block device, a FIFO, what `/dev/stdout` names):
///   opened for writing and written directly, never renamed over: `-o /dev/null` must not turn
///   the null device into a file. Opening a FIFO waits for its reader, as radmind does.
///
///     let out = try OutputTarget(path: "sorted.T")   // at option time: reports an unusable target
///     try out.buffer.append(bytes)
///     try out.commit()
public final class OutputTarget {
  public let path: String
  public let buffer: OutputBuffer
  private let atomic: AtomicFile?
  private var finished = false

  /// Opens the target: a device or FIFO at once, a file through a temporary beside it.
  /// Errors name `path` as given (radmind's `PATH: reason`).
  public init(path: String) throws(SystemCallError) {
    self.path = path
    let bytes = Array(path.utf8)
    var st = FileStatus()
    var exists = true
    do { st = try Syscall.stat(bytes) } catch {
      if error.errno != Errno.noEntry { throw SystemCallError("stat", path: path, errno: error.errno) }
      exists = false
    }
    let type = st.fileType
    // A regular file (or a new one) is replaced where it is: the end of any symlink chain.
    var replaced: [UInt8]? = nil
    if !exists {
      replaced = try OutputTarget.followLinks(bytes, shownAs: path)
    } else if type == .regular {
      let resolved = try OutputTarget.followLinks(bytes, shownAs: path)
      // A link the kernel resolves by magic (/dev/stdout, /proc/self/fd/N) may not lead to a
      // path naming the same file: write into it then, as radmind would.
      if let end = Syscall.lstatIfPresent(resolved), end.st_dev == st.st_dev, end.st_ino == st.st_ino {
        replaced = resolved
      }
    }
    guard let replaced else {
      // A device, a FIFO, a socket, or a file reached through a magic link: written into.
      // (A directory fails here with radmind's EISDIR.)
      let flags: OpenFlags = type == .regular ? [.writeOnly, .truncate] : .writeOnly
      let fd: Int32
      do { fd = try Syscall.open(bytes, flags) } catch { throw SystemCallError("open", path: path, errno: error.errno) }
      atomic = nil
      buffer = OutputBuffer(fd: fd, name: path)
      return
    }
    if exists {
      // Writable as radmind's fopen would find it, checked without truncating anything.
      do { Syscall.closeQuietly(try Syscall.open(bytes, .writeOnly)) } catch {
        throw SystemCallError("open", path: path, errno: error.errno)
      }
    }
    do {
      let file = try AtomicFile(pathBytes: replaced, mode: exists ? st.permissions : 0o666)
      atomic = file
      buffer = file.buffer
    } catch {
      throw SystemCallError(error.call, path: path, errno: error.errno)
    }
  }

  /// Writes everything out: flush (and for a file fsync, rename, fsync its directory).
  public func commit() throws(SystemCallError) {
    precondition(!finished, "OutputTarget committed twice")
    finished = true
    if let atomic {
      try atomic.commit()
      return
    }
    do { try buffer.flush() } catch {
      buffer.closeQuietly()
      throw error
    }
    do { try buffer.close(shownAs: path) } catch {
      if error.errno != Errno.interrupted { throw error }
    }
  }

  /// A file target stays as it was; bytes already written to a device or FIFO stay written.
  public func abort() {
    guard !finished else { return }
    finished = true
    if let atomic { atomic.abort() } else { buffer.closeQuietly() }
  }

  deinit { abort() }

  /// The path a write through `path` reaches: each symlink replaced by its target (relative ones
  /// read from the link's directory), until a name that is not a symlink or does not exist.
  static func followLinks(_ path: [UInt8], shownAs shown: String) throws(SystemCallError) -> [UInt8] {
    var current = path
    for _ in 0..<40 {
      guard let st = Syscall.lstatIfPresent(current), st.fileType == .symlink else { return current }
      let target: [UInt8]
      do { target = try Syscall.readlink(current) } catch { throw SystemCallError("readlink", path: shown, errno: error.errno) }
      if target.first == 0x2F {
        current = target
      } else if current.contains(0x2F) {
        current = BytePath.child(target, of: BytePath.directory(of: current))
      } else {
        current = target
      }
    }
    throw SystemCallError("open", path: shown, errno: Errno.tooManyLinks)
  }
}
