#if canImport(Glibc)
import Glibc
#endif

// How TreeCapture stays inside its tree while the tree changes under it: nodes are reached one
// component at a time with O_NOFOLLOW, and every directory it opens must still be the one it
// listed (device and inode). Anything else is an error naming the path, never a silent detour.

extension TreeCapture {
  /// The node at transcript path `node`, `lstat`ed through real directories only: from ``root``,
  /// each component but the last is opened with `O_DIRECTORY | O_NOFOLLOW`.
  func statBeneathRoot(_ node: [UInt8]) throws -> FilesystemObject {
    let disk = diskPath(node)
    var dirfd = try withCPath(root) { p throws(CaptureError) in open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
    if dirfd < 0 { throw CaptureError.system(root, errno: errno) }
    defer { close(dirfd) }
    var components = node.split(separator: 0x2F).map(Array.init)
    guard let last = components.popLast() else {
      var st = Glibc.stat()
      if fstat(dirfd, &st) != 0 { throw CaptureError.system(disk, errno: errno) }
      guard let o = FilesystemObject(path: disk, stat: st) else { throw CaptureError(disk + Array(" is of an unknown type".utf8)) }
      return o
    }
    var reached = root
    for component in components {
      reached += [0x2F] + component
      let next = try withCPath(component) { p throws(CaptureError) in
        openat(dirfd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
      }
      if next < 0 {
        let e = errno
        if e == ELOOP || e == ENOTDIR { throw TreeCapture.leftTheTree(reached) }
        throw CaptureError.system(reached, errno: e)
      }
      close(dirfd)
      dirfd = next
    }
    switch FilesystemObject.stat(disk, dirfd: dirfd, name: last) {
    case .found(let o): return o
    case .absent: throw CaptureError.system(disk, errno: ENOENT)
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
    let flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | (expected == nil ? 0 : O_NOFOLLOW)
    let fd = try withCPath(path) { p throws(CaptureError) in open(p, flags) }
    if fd < 0 {
      let e = errno
      if expected != nil && (e == ELOOP || e == ENOTDIR) { throw TreeCapture.leftTheTree(path) }
      throw CaptureError.system(path, errno: e)
    }
    guard let expected else { return fd }
    var st = Glibc.stat()
    if fstat(fd, &st) != 0 {
      let e = errno
      close(fd)
      throw CaptureError.system(path, errno: e)
    }
    if UInt64(st.st_dev) != expected.device || UInt64(st.st_ino) != expected.inode {
      close(fd)
      throw TreeCapture.leftTheTree(path)
    }
    return fd
  }
}
