import SystemCalls

/// Writes a POSIX tar stream (ustar, pax 'x' headers where ustar cannot hold a value)
/// into a ``ByteSink``. Data of regular files is read from their descriptor straight into
/// the sink's buffers; nothing is buffered per file.
final class TarWriter {
  private let sink: ByteSink
  private var zeros = [UInt8](repeating: 0, count: 1024)
  private var failed = false

  init(sink: ByteSink) { self.sink = sink }

  func writeHeader(_ entry: TarEntry) throws(ArchiveError) {
    let headers = try encodeHeaders(for: entry)
    try withBytes(headers) { (bytes) throws(ArchiveError) in try sink.write(bytes) }
  }

  /// Appends a regular file whose `metadata.size` bytes are read from `fd` (from its
  /// current offset). `observe` sees each chunk of data, e.g. to hash it on the way.
  func addFile(path: [UInt8], fd: CInt, metadata: EntryMetadata,
               observe: ((UnsafeRawBufferPointer) -> Void)? = nil) throws(ArchiveError) {
    try guarded { () throws(ArchiveError) in
      try writeHeader(TarEntry(path: path, kind: .regular, size: metadata.size, mode: metadata.mode,
                               uid: metadata.uid, gid: metadata.gid, mtime: metadata.mtime,
                               userName: metadata.userName, groupName: metadata.groupName))
      var remaining = metadata.size
      let display = displayPath(path)
      while remaining > 0 {
        let n = try sink.fill(limit: Int(min(remaining, Int64(Int.max)))) { (space) throws(ArchiveError) -> Int in
          let n = try sys { () throws(SystemCallError) in try Syscall.read(fd, into: space, path: display) }
          if n > 0, let observe { observe(UnsafeRawBufferPointer(rebasing: space[0..<n])) }
          return n
        }
        if n == 0 { throw .fileShrank(path: path, expected: metadata.size, actual: metadata.size - remaining) }
        remaining -= Int64(n)
      }
      try writeZeros(paddingAfter(metadata.size))
    }
  }

  func addDirectory(path: [UInt8], metadata: EntryMetadata) throws(ArchiveError) {
    try guarded { () throws(ArchiveError) in
      try writeHeader(TarEntry(path: path, kind: .directory, mode: metadata.mode, uid: metadata.uid,
                               gid: metadata.gid, mtime: metadata.mtime,
                               userName: metadata.userName, groupName: metadata.groupName))
    }
  }

  func addSymlink(path: [UInt8], target: [UInt8], metadata: EntryMetadata) throws(ArchiveError) {
    try guarded { () throws(ArchiveError) in
      try writeHeader(TarEntry(path: path, kind: .symbolicLink, mode: metadata.mode, uid: metadata.uid,
                               gid: metadata.gid, mtime: metadata.mtime, linkTarget: target,
                               userName: metadata.userName, groupName: metadata.groupName))
    }
  }

  func addHardLink(path: [UInt8], target: [UInt8], metadata: EntryMetadata) throws(ArchiveError) {
    try guarded { () throws(ArchiveError) in
      try writeHeader(TarEntry(path: path, kind: .hardLink, mode: metadata.mode, uid: metadata.uid,
                               gid: metadata.gid, mtime: metadata.mtime, linkTarget: target,
                               userName: metadata.userName, groupName: metadata.groupName))
    }
  }

  /// Writes the two zero blocks that end the archive and flushes the sink.
  func finish() throws(ArchiveError) {
    try guarded { () throws(ArchiveError) in
      try writeZeros(1024)
      try sink.finish()
    }
    failed = true  // closed: further use is an error
  }

  private func writeZeros(_ count: Int) throws(ArchiveError) {
    if count == 0 { return }
    try withBytes(zeros) { (bytes) throws(ArchiveError) in
      try sink.write(UnsafeRawBufferPointer(rebasing: bytes[0..<count]))
    }
  }

  /// A failed entry leaves the stream mid-member, so the writer refuses further use.
  private func guarded(_ body: () throws(ArchiveError) -> Void) throws(ArchiveError) {
    if failed { throw .writerClosed }
    do { try body() } catch {
      // A value rejected before any byte was written leaves the stream intact.
      if case .invalidEntry = error { throw error }
      failed = true
      throw error
    }
  }
}
