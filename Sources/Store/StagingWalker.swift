#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import RadmindFormat

/// INTERIM: a minimal ordered tree walk of one node of a staging root, standing in for the
/// `Capture` module's "capture a directory as if mounted at /" API until branch `fsdiff` lands;
/// replace it then (the store only needs entries in transcript order plus each file's real path).
///
/// It does what `fsdiff -C NODE` does on a staging tree with an empty command file: `lstat` every
/// object (symlinks are recorded, never followed), children sorted by name with the one path
/// comparator (``PathOrder``), hard links as `h` lines after the group's first path. The node's own
/// line comes first; its parents are not listed.
struct StagingWalker {
  struct Item {
    var entry: Entry
    /// The object's path on disk (staging root + node path), raw bytes.
    var source: [UInt8]
  }

  let root: [UInt8]
  let relative: Bool
  let order = PathOrder.caseSensitive
  /// `x` patterns of a `-K` command file, matched (fnmatch, no FNM_PATHNAME, so `*` crosses `/`
  /// as radmind's does) against the transcript-form path. INTERIM until the wildcard matcher of
  /// RadmindFormat exists.
  var excludes: [[UInt8]] = []
  private var links: [DeviceInode: [UInt8]] = [:]

  struct DeviceInode: Hashable { var device: UInt64; var inode: UInt64 }

  init(root: [UInt8], relative: Bool) {
    self.root = root
    self.relative = relative
  }

  /// Walks `node` (absolute, normalized: `/usr/local/apache`) below the root.
  mutating func walk(node: [UInt8], _ visit: (Item) throws(StoreError) -> Void) throws(StoreError) {
    links = [:]
    let transcriptPath = relative ? [0x2E] + node : node
    try visitObject(source: root + node, path: transcriptPath, visit)
  }

  private func isExcluded(_ path: [UInt8]) -> Bool {
    for pattern in excludes {
      let hit = FileSystem.withCString(pattern) { p in FileSystem.withCString(path) { s in fnmatch(p, s, 0) == 0 } }
      if hit { return true }
    }
    return false
  }

  private mutating func visitObject(source: [UInt8], path: [UInt8],
                                    _ visit: (Item) throws(StoreError) -> Void) throws(StoreError) {
    var st = stat()
    guard FileSystem.withCString(source, { lstat($0, &st) }) == 0 else {
      throw StoreError(.system, "\(String(decoding: source, as: UTF8.self)): lstat: \(String(cString: strerror(errno)))")
    }
    let type = st.st_mode & S_IFMT
    var entry: Entry
    switch type {
    case S_IFDIR: entry = Entry(kind: .directory, path: path)
    case S_IFREG: entry = Entry(kind: .file, path: path)
    case S_IFLNK: entry = Entry(kind: .symbolicLink, path: path)
    case S_IFCHR: entry = Entry(kind: .characterDevice, path: path)
    case S_IFBLK: entry = Entry(kind: .blockDevice, path: path)
    case S_IFIFO: entry = Entry(kind: .pipe, path: path)
    case S_IFSOCK: entry = Entry(kind: .socket, path: path)
    default:
      throw StoreError(.usage, "\(String(decoding: source, as: UTF8.self)) is of an unknown type")
    }
    entry.mode = UInt32(st.st_mode & 0o7777)
    entry.uid = Int32(bitPattern: st.st_uid)
    entry.gid = Int32(bitPattern: st.st_gid)
    if type != S_IFDIR && st.st_nlink > 1 {
      let key = DeviceInode(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
      if let first = links[key] {
        var h = Entry(kind: .hardLink, path: path)
        h.target = first
        try visit(Item(entry: h, source: source))
        return
      }
      links[key] = path
    }
    switch type {
    case S_IFREG:
      entry.mtime = Int64(st.st_mtim.tv_sec)
      entry.size = Int64(st.st_size)
    case S_IFLNK:
      var buf = [UInt8](repeating: 0, count: 4097)
      let n = FileSystem.withCString(source) { p in buf.withUnsafeMutableBytes { readlink(p, $0.baseAddress!.assumingMemoryBound(to: CChar.self), 4096) } }
      guard n >= 0 else { throw StoreError(.system, "\(String(decoding: source, as: UTF8.self)): readlink: \(String(cString: strerror(errno)))") }
      entry.target = Array(buf[0..<n])
    case S_IFCHR, S_IFBLK:
      let dev = UInt64(st.st_rdev)
      entry.major = Int32(truncatingIfNeeded: ((dev >> 8) & 0xfff) | ((dev >> 32) & ~0xfff))
      entry.minor = Int32(truncatingIfNeeded: (dev & 0xff) | ((dev >> 12) & ~0xff))
    default:
      break
    }
    try visit(Item(entry: entry, source: source))
    guard type == S_IFDIR else { return }
    var names = try FileSystem.listRaw(bytes: source)
    names.sort { order.compare($0, $1) < 0 }
    for name in names {
      let childPath = path == [0x2F] ? path + name : path + [0x2F] + name
      if !excludes.isEmpty && isExcluded(childPath) { continue }
      try visitObject(source: source + [0x2F] + name, path: childPath, visit)
    }
  }
}
