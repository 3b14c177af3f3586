import SystemCalls
import TranscriptIO

/// File operations with radmind's own rules and messages (its `mkdirs`, `copy_file`, realpath
/// failure text), on ``Syscall``. Paths are bytes; nothing here prints or exits.
enum RadmindFileOps {
  /// radmind's `mkdirs`: creates every directory named by a prefix of `path` that ends before a
  /// `/` (not `path` itself), `mode` (radmind's 0777) minus umask. Calls `created` for each one it made.
  static func mkdirs(_ path: [UInt8], mode: FileMode = 0o777, created: ([UInt8]) -> Void = { _ in }) -> Bool {
    var i = 0
    while i < path.count && path[i] == 0x2F { i += 1 }
    while i < path.count {
      guard let slash = path[i...].firstIndex(of: 0x2F) else { break }
      let prefix = Array(path[..<slash])
      do {
        try Syscall.mkdir(prefix, mode: mode)
        created(prefix)
      } catch {
        if error.errno != Errno.exists { return false }
      }
      i = slash + 1
    }
    return true
  }

  /// Recreates the tree at `source` under the new path `destination`: directories made with the
  /// source's permission bits, regular files hard-linked (so the clone costs one link per file
  /// and no data), symbolic links recreated. Calls `created` for each directory made.
  static func cloneTree(_ source: [UInt8], _ destination: [UInt8], created: ([UInt8]) -> Void) -> [UInt8]? {
    func failed(_ path: [UInt8], _ error: SystemCallError) -> [UInt8] {
      path + Array(": ".utf8) + SystemCallError.reasonBytes(error.errno)
    }
    let st: FileStatus
    do { st = try Syscall.lstat(source) } catch { return failed(source, error) }
    switch st.fileType {
    case .directory:
      do { try Syscall.mkdir(destination, mode: st.permissions) } catch {
        if error.errno != Errno.exists { return failed(destination, error) }
      }
      try? Syscall.chmod(destination, st.permissions)
      created(destination)
      let names: [[UInt8]]
      do { names = try Syscall.names(in: source) } catch { return failed(source, error) }
      for name in names {
        if let failure = cloneTree(BytePath.join(source, name), BytePath.join(destination, name), created: created) {
          return failure
        }
      }
      return nil
    case .symlink:
      let target: [UInt8]
      do { target = try Syscall.readlink(source) } catch { return failed(source, error) }
      do { try Syscall.symlink(target, at: destination) } catch { return failed(destination, error) }
      return nil
    default:
      do { try Syscall.link(source, destination) } catch {
        return Array("link ".utf8) + source + Array(" -> ".utf8) + destination + Array(": ".utf8)
          + SystemCallError.reasonBytes(error.errno)
      }
      return nil
    }
  }

  /// The absolute form of `path` against the current directory (no resolution).
  static func absolute(_ path: [UInt8]) -> [UInt8] {
    if path.first == 0x2F { return path }
    guard let cwd = Syscall.workingDirectory() else { return path }
    return BytePath.join(cwd, path)
  }

  /// glibc `realpath(3)`: on success the resolved path; on failure errno and the partial result
  /// glibc leaves in the caller's buffer (the path resolved so far, up to and including the
  /// component that failed), which radmind then passes to `perror`.
  static func realpath(_ path: [UInt8]) -> Result<[UInt8], RealpathFailure> {
    let code: Int32
    do { return .success(try Syscall.realpath(path)) } catch { code = error.errno }
    // Rebuild glibc's partial result: walk the absolute path lexically until a component fails.
    let abs = absolute(path)
    var partial: [UInt8] = []
    var i = 0
    while i < abs.count {
      while i < abs.count && abs[i] == 0x2F { i += 1 }
      if i >= abs.count { break }
      let end = abs[i...].firstIndex(of: 0x2F) ?? abs.count
      let comp = Array(abs[i..<end])
      i = end
      if comp == [0x2E] { continue }
      if comp == [0x2E, 0x2E] {
        partial = BytePath.directory(of: partial.isEmpty ? [0x2F] : partial)
        if partial == [0x2F] { partial = [] }
        continue
      }
      BytePath.append(comp, to: &partial)
      if !Syscall.exists(partial) { break }
    }
    if partial.isEmpty { partial = [0x2F] }
    return .failure(RealpathFailure(errno: code, partial: partial))
  }

  struct RealpathFailure: Error {
    var errno: Int32
    var partial: [UInt8]
  }

  /// Copies `source` to a new file `destination` (O_EXCL) with the source's permission bits
  /// (minus umask) and owner, as radmind's `copy_file` does, then fsyncs the copy.
  /// Returns nil on success, ENOENT when the destination's directory is missing (radmind then
  /// creates it and retries), or an error message.
  static func copyFile(_ source: [UInt8], _ destination: [UInt8]) -> CopyResult {
    func failed(_ what: String, _ path: [UInt8], _ error: SystemCallError) -> CopyResult {
      .failed(Array(what.utf8) + path + Array(" failed: ".utf8) + SystemCallError.reasonBytes(error.errno))
    }
    let src: Int32
    do { src = try Syscall.open(source, [.readOnly]) } catch { return failed("open ", source, error) }
    defer { Syscall.closeQuietly(src) }
    let st: FileStatus
    do { st = try Syscall.fstat(src, path: source) } catch { return failed("stat of ", source, error) }
    let dst: Int32
    do { dst = try Syscall.open(destination, [.writeOnly, .create, .exclusive], mode: st.permissions) } catch {
      if error.errno == Errno.noEntry { return .missingDirectory }
      return failed("open ", destination, error)
    }
    defer { Syscall.closeQuietly(dst) }
    let size = 1 << 17
    let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
    defer { buf.deallocate() }
    let shown = String(decoding: destination, as: UTF8.self)
    while true {
      let n: Int
      do { n = try Syscall.read(src, into: buf, path: source) } catch { return failed("read from ", source, error) }
      if n == 0 { break }
      do { try Syscall.writeAll(dst, UnsafeRawBufferPointer(rebasing: buf[0..<n]), path: shown) } catch {
        return failed("write to ", destination, error)
      }
    }
    do { try Syscall.fchown(dst, uid: st.st_uid, gid: st.st_gid, path: shown) } catch {
      return failed("chown \(st.st_uid):\(st.st_gid) ", destination, error)
    }
    try? Syscall.fsync(dst, path: destination)
    return .copied
  }

  enum CopyResult { case copied, missingDirectory, failed([UInt8]) }
}
