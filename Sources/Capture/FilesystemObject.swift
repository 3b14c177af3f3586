import SystemCalls
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
  init?(path: [UInt8], stat st: FileStatus) {
    self.path = path
    switch st.fileType {
    case .regular: kind = .file
    case .directory: kind = .directory
    case .symlink: kind = .symbolicLink
    case .characterDevice: kind = .characterDevice
    case .blockDevice: kind = .blockDevice
    case .fifo: kind = .pipe
    case .socket: kind = .socket
    case .unknown: return nil
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
    rdevMajor = Int32(truncatingIfNeeded: DeviceNumber.major(rdev))
    rdevMinor = Int32(truncatingIfNeeded: DeviceNumber.minor(rdev))
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
  public static func stat(_ path: [UInt8], dirfd: Int32 = currentDirectory, name: [UInt8]? = nil) -> StatResult {
    Syscall.withCString(name ?? path) { stat(path, dirfd: dirfd, cName: $0) }
  }

  /// `lstat`s `cName` (NUL-terminated, relative to `dirfd`), recording `path` as the object's path.
  static func stat(_ path: [UInt8], dirfd: Int32, cName: UnsafePointer<CChar>) -> StatResult {
    let st: FileStatus
    do { st = try Syscall.lstatat(dirfd, cName: cName, shown: path) } catch {
      let e = error.errno
      return (e == Errno.noEntry || e == Errno.notDirectory) ? .absent : .failed(e)
    }
    guard var obj = FilesystemObject(path: path, stat: st) else { return .unknownType }
    if obj.kind == .symbolicLink, let target = try? Syscall.readlinkat(dirfd, cName: cName, shown: path) {
      obj.target = target
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
    let dir = try sys(path) { () throws(SystemCallError) in try DirectoryStream(descriptor: fd, shown: path) }
    var arena: [UInt8] = []
    arena.reserveCapacity(4096)
    var spans: [(start: Int32, count: Int32)] = []
    try sys(path) { () throws(SystemCallError) in
      try dir.forEachName { name in
        spans.append((Int32(arena.count), Int32(name.count)))
        arena.append(contentsOf: name)
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
        switch FilesystemObject.stat(full, dirfd: dir.descriptor, cName: (base + Int(s.start)).assumingMemoryBound(to: CChar.self)) {
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
