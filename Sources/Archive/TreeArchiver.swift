#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension ArchiveWriter {
  /// Archives everything below the directory `root` (not `root` itself), in byte order of
  /// names, depth first. Entry names are `prefix` + the path relative to `root` (pass
  /// e.g. `Array("./".utf8)` or `[]`). A file seen again with the same device and inode is
  /// written as a hard link to its first name. Sockets, FIFOs and devices are skipped.
  /// Returns the number of entries written.
  @discardableResult
  public func addTree(at root: [UInt8], prefix: [UInt8] = []) throws(ArchiveError) -> Int {
    let rootFD = try withCPath(root) { (p) throws(ArchiveError) -> CInt in
      try retryingOnInterrupt("open", displayPath(root)) { open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
    }
    var walker = TreeWalker(writer: self)
    defer { Glibc.close(rootFD) }
    try walker.walk(directoryFD: rootFD, display: root, prefix: prefix)
    return walker.count
  }
}

private struct InodeKey: Hashable { var device: UInt64; var inode: UInt64 }

private struct TreeWalker {
  let writer: ArchiveWriter
  var count = 0
  var firstNames: [InodeKey: [UInt8]] = [:]

  init(writer: ArchiveWriter) { self.writer = writer }

  /// Names in the directory, sorted bytewise, without "." and "..".
  func list(_ fd: CInt, display: [UInt8]) throws(ArchiveError) -> [[UInt8]] {
    let dupFD = dup(fd)
    guard dupFD >= 0, let dir = fdopendir(dupFD) else {
      throw .systemCall(call: "opendir", path: displayPath(display), errno: errno)
    }
    defer { closedir(dir) }
    var names: [[UInt8]] = []
    while let entry = readdir(dir) {
      let name = withUnsafeBytes(of: &entry.pointee.d_name) { raw -> [UInt8] in
        let length = strnlen(raw.baseAddress!.assumingMemoryBound(to: CChar.self), raw.count)
        return Array(raw[0..<length])
      }
      if name == [0x2E] || name == [0x2E, 0x2E] { continue }
      names.append(name)
    }
    return names.sorted { $0.lexicographicallyPrecedes($1) }
  }

  mutating func walk(directoryFD fd: CInt, display: [UInt8], prefix: [UInt8]) throws(ArchiveError) {
    for name in try list(fd, display: display) {
      let path = prefix.isEmpty || prefix.last == 0x2F ? prefix + name : prefix + [0x2F] + name
      let shown = display + [0x2F] + name
      var info = stat()
      _ = try withCPath(name) { (p) throws(ArchiveError) -> CInt in
        try retryingOnInterrupt("lstat", displayPath(shown)) { fstatat(fd, p, &info, AT_SYMLINK_NOFOLLOW) }
      }
      let metadata = EntryMetadata(info)
      switch info.st_mode & S_IFMT {
      case S_IFDIR:
        try writer.addDirectory(path: path, metadata: metadata)
        count += 1
        let child = try withCPath(name) { (p) throws(ArchiveError) -> CInt in
          try retryingOnInterrupt("open", displayPath(shown)) { openat(fd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
        }
        defer { Glibc.close(child) }
        try walk(directoryFD: child, display: shown, prefix: path)
      case S_IFREG:
        let key = InodeKey(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
        if info.st_nlink > 1 {
          if let first = firstNames[key] {
            try writer.addHardLink(path: path, target: first, metadata: metadata)
            count += 1
            continue
          }
          firstNames[key] = path
        }
        let file = try withCPath(name) { (p) throws(ArchiveError) -> CInt in
          try retryingOnInterrupt("open", displayPath(shown)) { openat(fd, p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) }
        }
        defer { Glibc.close(file) }
        try writer.addFile(path: path, fd: file, metadata: metadata)
        count += 1
      case S_IFLNK:
        var buffer = [UInt8](repeating: 0, count: Int(info.st_size) + 1)
        let n = try withCPath(name) { (p) throws(ArchiveError) -> Int in
          try retryingOnInterrupt("readlink", displayPath(shown)) {
            buffer.withUnsafeMutableBufferPointer { b in
              readlinkat(fd, p, UnsafeMutableRawPointer(b.baseAddress!).assumingMemoryBound(to: CChar.self), b.count)
            }
          }
        }
        try writer.addSymlink(path: path, target: Array(buffer[0..<min(n, buffer.count)]), metadata: metadata)
        count += 1
      default:
        continue
      }
    }
  }
}
