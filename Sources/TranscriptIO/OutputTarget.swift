#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

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
  public init(path: String) throws(SystemError) {
    self.path = path
    let bytes = Array(path.utf8)
    var st = stat()
    let exists = AtomicFile.withCPath(bytes) { stat($0, &st) } == 0
    if !exists && errno != ENOENT { throw SystemError("stat", path: path) }
    let type = st.st_mode & S_IFMT
    // A regular file (or a new one) is replaced where it is: the end of any symlink chain.
    var replaced: [UInt8]? = nil
    if !exists {
      replaced = try OutputTarget.followLinks(bytes, shownAs: path)
    } else if type == S_IFREG {
      let resolved = try OutputTarget.followLinks(bytes, shownAs: path)
      var end = stat()
      // A link the kernel resolves by magic (/dev/stdout, /proc/self/fd/N) may not lead to a
      // path naming the same file: write into it then, as radmind would.
      if AtomicFile.withCPath(resolved, { lstat($0, &end) }) == 0, end.st_dev == st.st_dev, end.st_ino == st.st_ino {
        replaced = resolved
      }
    }
    guard let replaced else {
      // A device, a FIFO, a socket, or a file reached through a magic link: written into.
      // (A directory fails here with radmind's EISDIR.)
      let flags = O_WRONLY | O_CLOEXEC | (type == S_IFREG ? O_TRUNC : 0)
      let fd = try retryingOnInterrupt("open", path) { AtomicFile.withCPath(bytes) { open($0, flags) } }
      atomic = nil
      buffer = OutputBuffer(fd: fd, name: path)
      return
    }
    if exists {
      // Writable as radmind's fopen would find it, checked without truncating anything.
      let fd = AtomicFile.withCPath(bytes) { open($0, O_WRONLY | O_CLOEXEC) }
      if fd < 0 { throw SystemError("open", path: path) }
      close(fd)
    }
    do {
      let file = try AtomicFile(pathBytes: replaced, mode: exists ? st.st_mode & 0o7777 : 0o666)
      atomic = file
      buffer = file.buffer
    } catch {
      throw SystemError(error.call, path: path, errno: error.errno)
    }
  }

  /// Writes everything out: flush (and for a file fsync, rename, fsync its directory).
  public func commit() throws(SystemError) {
    precondition(!finished, "OutputTarget committed twice")
    finished = true
    if let atomic {
      try atomic.commit()
      return
    }
    do { try buffer.flush() } catch {
      close(buffer.fd)
      throw error
    }
    if close(buffer.fd) != 0 && errno != EINTR { throw SystemError("close", path: path) }
  }

  /// A file target stays as it was; bytes already written to a device or FIFO stay written.
  public func abort() {
    guard !finished else { return }
    finished = true
    if let atomic { atomic.abort() } else { close(buffer.fd) }
  }

  deinit { abort() }

  /// The path a write through `path` reaches: each symlink replaced by its target (relative ones
  /// read from the link's directory), until a name that is not a symlink or does not exist.
  static func followLinks(_ path: [UInt8], shownAs shown: String) throws(SystemError) -> [UInt8] {
    var current = path
    for _ in 0..<40 {
      var st = stat()
      if AtomicFile.withCPath(current, { lstat($0, &st) }) != 0 || (st.st_mode & S_IFMT) != S_IFLNK {
        return current
      }
      var buf = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
      let n = AtomicFile.withCPath(current) { p in
        buf.withUnsafeMutableBufferPointer { b in
          b.baseAddress!.withMemoryRebound(to: CChar.self, capacity: b.count) { readlink(p, $0, b.count) }
        }
      }
      if n < 0 { throw SystemError("readlink", path: shown) }
      let target = Array(buf[..<n])
      if target.first == 0x2F {
        current = target
      } else if let slash = current.lastIndex(of: 0x2F) {
        current = Array(current[...slash]) + target
      } else {
        current = target
      }
    }
    throw SystemError("open", path: shown, errno: ELOOP)
  }
}
