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
  /// Modification and status-change times in nanoseconds since the epoch (incremental capture's
  /// stat signature).
  public var mtimeNanoseconds: Int64
  public var ctimeNanoseconds: Int64
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
    mtimeNanoseconds = Int64(st.st_mtim.tv_sec) &* 1_000_000_000 &+ Int64(st.st_mtim.tv_nsec)
    ctimeNanoseconds = Int64(st.st_ctim.tv_sec) &* 1_000_000_000 &+ Int64(st.st_ctim.tv_nsec)
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
    var c = name ?? path
    c.append(0)
    return c.withUnsafeBufferPointer { buf in
      buf.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buf.count) { stat(path, dirfd: dirfd, cName: $0) }
    }
  }

  /// `lstat`s `cName` (NUL-terminated, relative to `dirfd`), recording `path` as the object's path.
  static func stat(_ path: [UInt8], dirfd: Int32, cName: UnsafePointer<CChar>) -> StatResult {
    var st = Glibc.stat()
    if fstatat(dirfd, cName, &st, AT_SYMLINK_NOFOLLOW) != 0 {
      let e = errno
      return (e == ENOENT || e == ENOTDIR) ? .absent : .failed(e)
    }
    guard var obj = FilesystemObject(path: path, stat: st) else { return .unknownType }
    if obj.kind == .symbolicLink {
      let capacity = Int(PATH_MAX) + 1
      withUnsafeTemporaryAllocation(of: CChar.self, capacity: capacity) { b in
        let n = readlinkat(dirfd, cName, b.baseAddress!, capacity - 1)
        if n > 0 {
          obj.target = Array(UnsafeRawBufferPointer(start: b.baseAddress!, count: n))
        }
      }
    }
    return .found(obj)
  }

  // Walk helper shared by fsdiff and TreeCapture.
  /// Every entry of the directory except `.` and `..`, `lstat`ed, sorted by name (spec §7.2).
  ///
  /// Names are kept NUL-terminated in one byte arena and sorted as offsets, each `lstat` is relative
  /// to the directory's descriptor, and the only allocation per object is its path.
  /// With `expected` (TreeCapture), the directory must still be the one listed (see `openDirectory`).
  public static func readDirectory(_ path: [UInt8], order: PathOrder,
                                   expecting expected: TreeCapture.InodeKey? = nil) throws(CaptureError) -> [FilesystemObject] {
    let fd = try openDirectory(path, expecting: expected)
    guard let dir = fdopendir(fd) else {
      let e = errno
      close(fd)
      throw CaptureError.system(path, errno: e)
    }
    defer { closedir(dir) }
    var arena: [UInt8] = []
    arena.reserveCapacity(4096)
    var spans: [(start: Int32, count: Int32)] = []
    while let de = readdir(dir) {
      withUnsafeBytes(of: &de.pointee.d_name) { raw in
        let len = strnlen(raw.baseAddress!.assumingMemoryBound(to: CChar.self), raw.count)
        if raw[0] == 0x2E && (len == 1 || (len == 2 && raw[1] == 0x2E)) { return }
        spans.append((Int32(arena.count), Int32(len)))
        arena.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[0..<len]))
        arena.append(0)
      }
    }
    var result: [FilesystemObject] = []
    result.reserveCapacity(spans.count)
    let slash = path.last == 0x2F ? 0 : 1
    var failure: CaptureError?
    arena.withUnsafeBytes { names in
      let base = names.baseAddress!
      func name(_ s: (start: Int32, count: Int32)) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base + Int(s.start), count: Int(s.count))
      }
      spans.sort { order.compare(name($0), name($1)) < 0 }
      for s in spans {
        let n = name(s)
        let full = [UInt8](unsafeUninitializedCapacity: path.count + slash + n.count) { buf, count in
          var o = 0
          path.withUnsafeBytes { p in
            if p.count > 0 { UnsafeMutableRawPointer(buf.baseAddress!).copyMemory(from: p.baseAddress!, byteCount: p.count) }
          }
          o = path.count
          if slash == 1 { buf[o] = 0x2F; o += 1 }
          if n.count > 0 { UnsafeMutableRawPointer(buf.baseAddress! + o).copyMemory(from: n.baseAddress!, byteCount: n.count) }
          count = o + n.count
        }
        if full.count >= RadmindLimits.maxPathLength {
          failure = CaptureError(full + Array(": path too long".utf8))
          return
        }
        switch FilesystemObject.stat(full, dirfd: fd, cName: (base + Int(s.start)).assumingMemoryBound(to: CChar.self)) {
        case .found(let o): result.append(o)
        case .absent: continue  // vanished since readdir: absent
        case .failed(let e): failure = CaptureError.system(path, errno: e); return
        case .unknownType: failure = CaptureError(path + Array(" is of an unknown type".utf8)); return
        }
      }
    }
    if let failure { throw failure }
    return result
  }

}
