import SystemCalls

// Small files read or replaced whole (store metadata, pointers' records, tags).

extension RegularFile {
  /// The regular file at `path`, whole, decoded as UTF-8; nil when nothing is there. Anything
  /// but a regular file (a FIFO, a device, a symlink) is refused, never waited on.
  package static func readText(_ path: String) throws(SystemCallError) -> String? {
    let fd: Int32
    do { fd = try openForReading(path) } catch {
      if error.errno == Errno.noEntry { return nil }
      throw error
    }
    defer { Syscall.closeQuietly(fd) }
    var out: [UInt8] = []
    let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 1)
    defer { buf.deallocate() }
    while true {
      let n = try Syscall.read(fd, into: buf, path: path)
      if n == 0 { break }
      out.append(contentsOf: buf[0..<n])
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// `a FIFO`, `a symlink`, ... when something that is not a regular file is at `path`; nil when
  /// a regular file or nothing is there.
  package static func typeIfNotRegular(_ path: String) -> String? {
    guard let st = Syscall.lstatIfPresent(path), st.fileType != .regular else { return nil }
    return typeName(st.st_mode)
  }
}

extension AtomicFile {
  /// Replaces `path` with `text` atomically (temporary file next to it, fsync, rename, fsync of
  /// the directory).
  package static func replace(_ path: String, with text: String, mode: FileMode = 0o644) throws(SystemCallError) {
    let file = try AtomicFile(path: path, mode: mode)
    try file.buffer.append(text)
    try file.commit()
  }
}

extension DirectoryTree {
  package static func remove(_ path: String) throws(SystemCallError) { try remove(Array(path.utf8)) }
}
