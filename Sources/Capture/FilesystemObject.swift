#if canImport(Glibc)
import Glibc
#endif
import RadmindFormat

/// One object as `lstat` saw it (never following symlinks), with its link text for symlinks.
public struct FilesystemObject {
  public var path: [UInt8]
  public var kind: Entry.Kind
  public var mode: UInt32
  public var uid: Int32
  public var gid: Int32
  public var mtime: Int64
  public var size: Int64
  public var nlink: UInt64
  public var device: UInt64
  public var inode: UInt64
  public var rdevMajor: Int32
  public var rdevMinor: Int32
  /// Symlink text (`l`) or first path of the hard-link group (`h`).
  public var target: [UInt8] = []
  /// base64 checksum once computed (nil: not yet).
  public var checksum: [UInt8]?

  /// Classifies `st` (spec §7.2). Returns nil for a type radmind does not know.
  init?(path: [UInt8], stat st: stat) {
    self.path = path
    switch st.st_mode & S_IFMT {
    case S_IFREG: kind = .file
    case S_IFDIR: kind = .directory
    case S_IFLNK: kind = .symbolicLink
    case S_IFCHR: kind = .characterDevice
    case S_IFBLK: kind = .blockDevice
    case S_IFIFO: kind = .pipe
    case S_IFSOCK: kind = .socket
    default: return nil
    }
    mode = UInt32(st.st_mode)
    uid = Int32(bitPattern: st.st_uid)
    gid = Int32(bitPattern: st.st_gid)
    mtime = Int64(st.st_mtim.tv_sec)
    size = Int64(st.st_size)
    nlink = UInt64(st.st_nlink)
    device = UInt64(st.st_dev)
    inode = UInt64(st.st_ino)
    let rdev = UInt64(st.st_rdev)
    rdevMajor = Int32(truncatingIfNeeded: ((rdev >> 8) & 0xfff) | ((rdev >> 32) & ~UInt64(0xfff)))
    rdevMinor = Int32(truncatingIfNeeded: (rdev & 0xff) | ((rdev >> 12) & ~UInt64(0xff)))
  }

  public var permissions: UInt32 { mode & 0o7777 }

  /// The object as a transcript entry (checksum `-` until computed).
  public var entry: Entry {
    var e = Entry(kind: kind, path: path)
    e.mode = mode & 0o7777
    e.uid = uid
    e.gid = gid
    e.mtime = mtime
    e.size = size
    e.major = rdevMajor
    e.minor = rdevMinor
    e.target = target
    if let checksum { e.checksum = checksum }
    return e
  }

  public enum StatResult {
    case found(FilesystemObject)
    /// ENOENT or ENOTDIR: treated as absent.
    case absent
    case unknownType
    /// Any other `lstat` failure, with its errno.
    case failed(Int32)
  }

  /// `lstat`s `path` (plus `readlink` for symlinks). Other failures throw their errno.
  public static func stat(_ path: [UInt8], dirfd: Int32 = AT_FDCWD, name: [UInt8]? = nil) -> StatResult {
    var st = Glibc.stat()
    var c = name ?? path
    c.append(0)
    let r = c.withUnsafeBufferPointer { buf in
      buf.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buf.count) { fstatat(dirfd, $0, &st, AT_SYMLINK_NOFOLLOW) }
    }
    if r != 0 {
      let e = errno
      return (e == ENOENT || e == ENOTDIR) ? .absent : .failed(e)
    }
    guard var obj = FilesystemObject(path: path, stat: st) else { return .unknownType }
    if obj.kind == .symbolicLink {
      var buf = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
      let n = c.withUnsafeBufferPointer { cb in
        cb.baseAddress!.withMemoryRebound(to: CChar.self, capacity: cb.count) { cp in
          buf.withUnsafeMutableBufferPointer { b in
            b.baseAddress!.withMemoryRebound(to: CChar.self, capacity: b.count) { readlinkat(dirfd, cp, $0, b.count - 1) }
          }
        }
      }
      if n > 0 { obj.target = Array(buf[0..<n]) }
    }
    return .found(obj)
  }

  // Walk helper shared by fsdiff and TreeCapture.
  /// Every entry of the directory except `.` and `..`, `lstat`ed, sorted by name (spec §7.2).
  public static func readDirectory(_ path: [UInt8], order: PathOrder) throws(CaptureError) -> [FilesystemObject] {
    let fd = try withCPath(path) { p throws(CaptureError) in open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
    if fd < 0 { throw CaptureError.system(path, errno: errno) }
    guard let dir = fdopendir(fd) else {
      let e = errno
      close(fd)
      throw CaptureError.system(path, errno: e)
    }
    defer { closedir(dir) }
    var names: [[UInt8]] = []
    while let de = readdir(dir) {
      let name: [UInt8] = withUnsafeBytes(of: &de.pointee.d_name) { raw in
        let len = strnlen(raw.baseAddress!.assumingMemoryBound(to: CChar.self), raw.count)
        return Array(raw[0..<len])
      }
      if name == [0x2E] || name == [0x2E, 0x2E] { continue }
      names.append(name)
    }
    names.sort { order.compare($0, $1) < 0 }
    let base = path.last == 0x2F ? path : path + [0x2F]
    var result: [FilesystemObject] = []
    result.reserveCapacity(names.count)
    for name in names {
      let full = base + name
      if full.count >= RadmindLimits.maxPathLength {
        throw CaptureError(full + Array(": path too long".utf8))
      }
      switch FilesystemObject.stat(full, dirfd: fd, name: name) {
      case .found(let o): result.append(o)
      case .absent: continue  // vanished since readdir: absent
      case .failed(let e): throw CaptureError.system(path, errno: e)
      case .unknownType: throw CaptureError(path + Array(" is of an unknown type".utf8))
      }
    }
    return result
  }

}
