import SystemCalls

/// Writes a gzip-compressed POSIX tar archive to a descriptor, compressing on `threads`
/// threads into one standard gzip member that `gzip -t` and `tar -xzf` accept.
///
///     let writer = try ArchiveWriter(fd: out, level: 6, threads: 2)
///     try writer.addDirectory(path: Array("etc".utf8), stat: dirInfo)
///     try writer.addFile(path: Array("etc/hosts".utf8), fd: fileFD, stat: fileInfo)
///     try writer.finish()
///
/// Paths are bytes as they should appear in the archive (no leading "/" is added or
/// removed). Values ustar cannot hold (long or non-UTF-8 names, sizes ≥ 8 GiB, large
/// ids, negative or far mtimes) go into pax headers. Memory stays bounded: about
/// `(2 * threads + 2) * 2.1 * blockSize`. The caller owns `fd` and closes it; use
/// ``writeAtomically(at:permissions:_:)`` so that a failure leaves no partial archive.
/// After any error but an ``ArchiveError/invalidEntry`` the writer refuses further use.
package final class ArchiveWriter {
  private let tar: TarWriter

  /// - Parameters:
  ///   - level: zlib level 0...9; 6 matches gzip's default.
  ///   - threads: compression threads; 2 suits this machine class.
  ///   - blockSize: bytes compressed per task (default 256 KiB).
  package init(fd: CInt, level: Int = 6, threads: Int = 2, blockSize: Int = 256 << 10) throws(ArchiveError) {
    tar = TarWriter(sink: try ParallelGzipWriter(fd: fd, level: level, threads: threads, blockSize: blockSize))
  }

  /// A writer of an uncompressed tar stream.
  package init(uncompressedFD fd: CInt) {
    tar = TarWriter(sink: PlainFileSink(fd: fd, path: ""))
  }

  /// Appends a regular file: `metadata.size` bytes read from `fd` at its current offset.
  /// `observe` sees every chunk of data on the way (e.g. to hash it).
  /// - Throws: ``ArchiveError/fileShrank`` if `fd` ends early; read/write errors.
  package func addFile(path: [UInt8], fd: CInt, metadata: EntryMetadata,
                      observe: ((UnsafeRawBufferPointer) -> Void)? = nil) throws(ArchiveError) {
    try tar.addFile(path: path, fd: fd, metadata: metadata, observe: observe)
  }

  package func addFile(path: [UInt8], fd: CInt, stat info: FileStatus,
                      observe: ((UnsafeRawBufferPointer) -> Void)? = nil) throws(ArchiveError) {
    try tar.addFile(path: path, fd: fd, metadata: EntryMetadata(info), observe: observe)
  }

  package func addDirectory(path: [UInt8], metadata: EntryMetadata) throws(ArchiveError) {
    try tar.addDirectory(path: path, metadata: metadata)
  }

  package func addDirectory(path: [UInt8], stat info: FileStatus) throws(ArchiveError) {
    try tar.addDirectory(path: path, metadata: EntryMetadata(info))
  }

  package func addSymlink(path: [UInt8], target: [UInt8], metadata: EntryMetadata) throws(ArchiveError) {
    try tar.addSymlink(path: path, target: target, metadata: metadata)
  }

  /// `target` is the archived path of the file this one links to (written earlier).
  package func addHardLink(path: [UInt8], target: [UInt8], metadata: EntryMetadata) throws(ArchiveError) {
    try tar.addHardLink(path: path, target: target, metadata: metadata)
  }

  /// Writes the end-of-archive blocks and the gzip trailer; does not fsync or close `fd`.
  package func finish() throws(ArchiveError) {
    try tar.finish()
  }
}

extension EntryMetadata {
  /// Mode bits, ids, whole-second mtime and size from `stat`.
  package init(_ info: FileStatus) {
    self.init(mode: UInt32(info.st_mode) & 0o7777, uid: info.st_uid, gid: info.st_gid,
              mtime: Int64(info.st_mtim.tv_sec), size: Int64(info.st_size))
  }
}
