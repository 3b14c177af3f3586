import SystemCalls

// How TreeCapture stays inside its tree while the tree changes under it: nodes are reached one
// component at a time with O_NOFOLLOW, and every directory it opens must still be the one it
// listed (device and inode). Anything else is an error naming the path, never a silent detour.

extension TreeCapture {
  /// The node at transcript path `node`, `lstat`ed through real directories only: from ``root``,
  /// each component but the last is opened with `O_DIRECTORY | O_NOFOLLOW`.
  func statBeneathRoot(_ node: [UInt8]) throws -> FilesystemObject {
    let disk = diskPath(node)
    var dirfd = try sys(root) { () throws(SystemCallError) in try Syscall.open(root, [.readOnly, .directory]) }
    defer { Syscall.closeQuietly(dirfd) }
    var components = node.split(separator: 0x2F).map(Array.init)
    guard let last = components.popLast() else {
      let st = try sys(disk) { () throws(SystemCallError) in try Syscall.fstat(dirfd, path: disk) }
      guard let o = FilesystemObject(path: disk, stat: st) else { throw CaptureError(disk + Array(" is of an unknown type".utf8)) }
      return o
    }
    var reached = root
    for component in components {
      BytePath.append(component, to: &reached)
      let next: Int32
      do { next = try Syscall.openat(dirfd, component, [.readOnly, .directory, .noFollow]) } catch {
        let e = error.errno
        if e == Errno.tooManyLinks || e == Errno.notDirectory { throw TreeCapture.leftTheTree(reached) }
        throw CaptureError.system(reached, errno: e)
      }
      Syscall.closeQuietly(dirfd)
      dirfd = next
    }
    switch FilesystemObject.stat(disk, dirfd: dirfd, name: last) {
    case .found(let o): return o
    case .absent: throw CaptureError.system(disk, errno: Errno.noEntry)
    case .failed(let e): throw CaptureError.system(disk, errno: e)
    case .unknownType: throw CaptureError(disk + Array(" is of an unknown type".utf8))
    }
  }

  /// `PATH: is no longer the directory listed (replaced by a symlink or moved while it was
  /// captured); nothing outside the tree is read: capture again once the tree is quiet`.
  static func leftTheTree(_ path: [UInt8]) -> CaptureError {
    CaptureError(path + Array(": is no longer the directory that was listed (replaced by a symlink or moved while it was captured); nothing outside the tree is read: capture again once the staging tree is quiet".utf8))
  }
}

extension FilesystemObject {
  /// Opens the directory at `path` for listing; with `expected`, without following a final
  /// symlink and only if it is still that directory (device and inode).
  static func openDirectory(_ path: [UInt8], expecting expected: TreeCapture.InodeKey?) throws(CaptureError) -> Int32 {
    let flags: OpenFlags = expected == nil ? [.readOnly, .directory] : [.readOnly, .directory, .noFollow]
    let fd: Int32
    do { fd = try Syscall.open(path, flags) } catch {
      let e = error.errno
      if expected != nil && (e == Errno.tooManyLinks || e == Errno.notDirectory) { throw TreeCapture.leftTheTree(path) }
      throw CaptureError.system(path, errno: e)
    }
    guard let expected else { return fd }
    let st: FileStatus
    do { st = try Syscall.fstat(fd, path: path) } catch {
      Syscall.closeQuietly(fd)
      throw CaptureError.system(path, errno: error.errno)
    }
    if UInt64(st.st_dev) != expected.device || UInt64(st.st_ino) != expected.inode {
      Syscall.closeQuietly(fd)
      throw TreeCapture.leftTheTree(path)
    }
    return fd
  }
}
