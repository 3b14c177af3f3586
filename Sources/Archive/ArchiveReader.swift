import SystemCalls

/// Reads a gzip-compressed (or plain) tar archive from a descriptor, entry by entry.
///
///     let reader = try ArchiveReader(fd: input)
///     while let entry = try reader.next() {
///       while case let n = try reader.readData(into: buffer), n > 0 { ... }
///     }
///
/// `next()` skips whatever data of the previous entry was not read, and returns nil only
/// after the end-of-archive blocks, the gzip trailer (CRC32, ISIZE) and the absence of
/// trailing garbage have all been checked: a truncated or corrupt archive throws, it
/// never just ends early. With `checkingPaths` (the default) every entry passes
/// ``PathSafety/check(_:)`` first. Inflating runs on a background thread (`prefetch`).
/// The caller owns `fd`.
package final class ArchiveReader {
  private let tar: TarReader
  private let checkingPaths: Bool

  /// `chunkSize` is how much is inflated (and read) at a time; small ones suit small inputs
  /// (the fuzzer's).
  package init(fd: CInt, path: String = "", compressed: Bool = true, checkingPaths: Bool = true,
              prefetch: Bool = true, chunkSize: Int = 1 << 20) throws(ArchiveError) {
    let chunkSize = max(chunkSize, 512)
    let filler: BufferFiller = compressed ? try GzipDecoder(fd: fd, path: path, inputBufferSize: min(chunkSize, 256 << 10))
                                          : FileFiller(fd: fd, path: path)
    let source: ChunkSource = prefetch ? PrefetchingSource(filler, chunkSize: chunkSize) : DirectSource(filler, chunkSize: chunkSize)
    tar = TarReader(source: source)
    self.checkingPaths = checkingPaths
  }

  init(tar: TarReader, checkingPaths: Bool) {
    self.tar = tar
    self.checkingPaths = checkingPaths
  }

  /// The next entry, or nil at the verified end of the archive.
  package func next() throws(ArchiveError) -> TarEntry? {
    guard let entry = try tar.next() else { return nil }
    if checkingPaths { try PathSafety.check(entry) }
    return entry
  }

  /// Copies up to `buffer.count` bytes of the current entry's data; 0 once all is read.
  package func readData(into buffer: UnsafeMutableRawBufferPointer) throws(ArchiveError) -> Int {
    try tar.readData(into: buffer)
  }

  /// Lends the rest of the current entry's data without copying; each chunk is valid
  /// only during the call.
  package func forEachDataChunk(_ body: (UnsafeRawBufferPointer) throws(ArchiveError) -> Void) throws(ArchiveError) {
    try tar.forEachDataChunk(body)
  }
}

extension ArchiveReader {
  /// A reader over any chunk source (tests feed crafted streams through this).
  convenience init(source: ChunkSource, checkingPaths: Bool = true) {
    self.init(tar: TarReader(source: source), checkingPaths: checkingPaths)
  }
}
