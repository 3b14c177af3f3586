import SystemCalls
import TranscriptIO

extension ArchiveWriter {
  /// Archives everything below the directory `root` (not `root` itself), in byte order of
  /// names, depth first. Entry names are `prefix` + the path relative to `root` (pass
  /// e.g. `Array("./".utf8)` or `[]`). A file seen again with the same device and inode is
  /// written as a hard link to its first name. Sockets, FIFOs and devices are skipped.
  /// Returns the number of entries written.
  @discardableResult
  package func addTree(at root: [UInt8], prefix: [UInt8] = []) throws(ArchiveError) -> Int {
    let rootFD = try sys { () throws(SystemCallError) in try Syscall.open(root, [.readOnly, .directory]) }
    var walker = TreeWalker(writer: self)
    defer { Syscall.closeQuietly(rootFD) }
    try walker.walk(directoryFD: rootFD, display: root, prefix: prefix)
    return walker.count
  }
}

private struct TreeWalker {
  let writer: ArchiveWriter
  var count = 0
  var firstNames = HardLinkTable<[UInt8]>()

  init(writer: ArchiveWriter) { self.writer = writer }

  /// Names in the directory, sorted bytewise, without "." and "..".
  func list(_ fd: CInt, display: [UInt8]) throws(ArchiveError) -> [[UInt8]] {
    let stream: DirectoryStream
    do { stream = try DirectoryStream(descriptor: try Syscall.dup(fd, path: display), shown: display) } catch {
      throw .systemCall(call: "opendir", path: displayPath(display), errno: error.errno)
    }
    return try sys { () throws(SystemCallError) in try stream.all() }.sorted { $0.lexicographicallyPrecedes($1) }
  }

  mutating func walk(directoryFD fd: CInt, display: [UInt8], prefix: [UInt8]) throws(ArchiveError) {
    for name in try list(fd, display: display) {
      let path = BytePath.child(name, of: prefix)
      let shown = BytePath.join(display, name)
      let info = try sys { () throws(SystemCallError) in try Syscall.fstatat(fd, name, shown: shown) }
      let metadata = EntryMetadata(info)
      switch info.fileType {
      case .directory:
        try writer.addDirectory(path: path, metadata: metadata)
        count += 1
        let child = try sys { () throws(SystemCallError) in
          try Syscall.openat(fd, name, [.readOnly, .directory, .noFollow], shown: shown)
        }
        defer { Syscall.closeQuietly(child) }
        try walk(directoryFD: child, display: shown, prefix: path)
      case .regular:
        if let first = firstNames.firstLink(InodeKey(info), links: UInt64(info.st_nlink), else: path) {
          try writer.addHardLink(path: path, target: first, metadata: metadata)
          count += 1
          continue
        }
        let file = try sys { () throws(SystemCallError) in try Syscall.openat(fd, name, [.readOnly, .noFollow], shown: shown) }
        defer { Syscall.closeQuietly(file) }
        try writer.addFile(path: path, fd: file, metadata: metadata)
        count += 1
      case .symlink:
        let target = try sys { () throws(SystemCallError) in try Syscall.readlinkat(fd, name, shown: shown) }
        try writer.addSymlink(path: path, target: target, metadata: metadata)
        count += 1
      default:
        continue
      }
    }
  }
}
