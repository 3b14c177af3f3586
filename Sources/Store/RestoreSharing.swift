import SystemCalls
import Hashing
import RadmindFormat
import TranscriptIO

extension LoadsetStore {
  /// A restored loadset shares content as a capture does: each extracted non-empty file whose
  /// content the store already holds is replaced by a hard link to the stored copy (a link under
  /// a temporary name renamed over it); the others are made read-only and entered in the staged
  /// index segment. The archive checker has already matched every file to its transcript line.
  func shareRestoredContent(staged: String, name: LoadsetName) throws(StoreError) {
    guard name.series.type != .neg else { return }
    let digest = Metadata(text: (try sys(RegularFile.readText(staged + "/meta"))) ?? "").digest
    let index = try contentIndexForCapture()
    let st = (try? Syscall.stat(root)) ?? FileStatus()
    let fileTree = Array((staged + "/file").utf8)
    let share = try ContentShare(algorithm: digest, index: index, storeDevice: UInt64(st.st_dev),
                                 fileTree: fileTree, segmentPath: staged + "/content")
    // Streamed line by line: a restored transcript may be far larger than memory should hold.
    let reader: LineReader
    do { reader = try LineReader(regularFile: staged + "/transcript") } catch { throw .system(error) }
    var parser = TranscriptLineParser()
    while true {
      let line: UnsafeRawBufferPointer?
      do { line = try reader.next() } catch { throw .system(error) }
      guard let line else { break }
      if isCommentOrBlank(line) { continue }
      guard let e = try? parser.parse(line), e.kind == .file, e.prefix != .minus, e.storePathProblem == nil else { continue }
      let path = BytePath.join(fileTree, e.path)
      let key = ContentKey(algorithm: digest, size: e.size, checksum: e.checksum)
      let temporary = Array((staged + "/share.tmp").utf8)  // outside the file tree: no loadset path
      try? Syscall.unlink(Array((staged + "/share.tmp").utf8))
      if e.size > 0, share.link(key, to: temporary) {
        do { try Syscall.rename(temporary, path) } catch { throw .system(error) }
        continue
      }
      guard let fd = try? Syscall.open(path, [.readOnly, .noFollow]) else { continue }  // verify reports a missing file; the checker already did
      defer { Syscall.closeQuietly(fd) }
      try? Syscall.fchmod(fd, 0o444, path: "")
      if share.stored(key, at: path, fd: fd) == .failed { throw StoreError(.system, "\(staged)/content: write failed") }
    }
    try share.finish()
    FaultInjection.checkpoint("restore.shared")
  }
}
