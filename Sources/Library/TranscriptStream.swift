import SystemCalls
import Archive
import Hashing
import RadmindFormat

/// Splits a transcript delivered in chunks into lines, holding at most one line (radmind's
/// limit) between chunks: memory does not grow with the transcript, however it is cut.
final class TranscriptLineSplitter {
  private let carry = UnsafeMutableRawBufferPointer.allocate(byteCount: RadmindLimits.maxLineLength, alignment: 8)
  private var carried = 0
  private(set) var lineNumber = 0
  let describe: (Int) -> String  // "SUBJECT: transcript NAME line N"

  init(describe: @escaping (Int) -> String) { self.describe = describe }
  deinit { carry.deallocate() }

  private func tooLong(_ number: Int) -> LibraryError {
    LibraryError(.corrupt, "\(describe(number)): \(LineError.lineTooLong)")
  }

  /// Calls `body` with every line the chunk completes (bytes before the LF) and its number.
  func feed(_ chunk: UnsafeRawBufferPointer,
            _ body: (UnsafeRawBufferPointer, Int) throws(LibraryError) -> Void) throws(LibraryError) {
    guard let base = chunk.baseAddress else { return }
    var start = 0
    while start < chunk.count {
      let rest = chunk.count - start
      guard let nl = Bytes.find(0x0A, in: base + start, count: rest) else {
        if carried + rest > carry.count { throw tooLong(lineNumber + 1) }
        (carry.baseAddress! + carried).copyMemory(from: base + start, byteCount: rest)
        carried += rest
        return
      }
      let length = UnsafeRawPointer(nl) - UnsafeRawPointer(base + start)
      lineNumber += 1
      if carried + length > carry.count { throw tooLong(lineNumber) }
      if carried == 0 {
        try body(UnsafeRawBufferPointer(start: base + start, count: length), lineNumber)
      } else {
        (carry.baseAddress! + carried).copyMemory(from: base + start, byteCount: length)
        let line = UnsafeRawBufferPointer(start: carry.baseAddress!, count: carried + length)
        carried = 0
        try body(line, lineNumber)
      }
      start += length + 1
    }
  }

  /// At the end of the transcript: a last line without its LF is refused, as radmind does.
  func finish() throws(LibraryError) {
    if carried > 0 { throw LibraryError(.corrupt, "\(describe(lineNumber + 1)): \(LineError.missingFinalNewline)") }
  }
}

/// Checks an archived transcript as it streams past, before anything is published: every line
/// parses, every path (and every `h` target) passes ``StorePathRule``, paths are strictly in
/// order (so none is listed twice); counts the entries, stored files and their bytes, and
/// digests the bytes.
final class TranscriptScan {
  private let lines: TranscriptLineSplitter
  private let describe: (Int) -> String
  private let digester: Digester
  private var parser = TranscriptLineParser()
  private var previous: [UInt8]?
  private let order = PathOrder(caseInsensitive: false)
  private(set) var entries = 0
  private(set) var files = 0
  private(set) var bytes: Int64 = 0

  init(loadset: String, subject: String, algorithm: DigestAlgorithm) {
    let describe = { (n: Int) in "\(subject): transcript \(loadset) line \(n)" }
    self.describe = describe
    lines = TranscriptLineSplitter(describe: describe)
    digester = algorithm.makeDigester()
    digester.reset()
  }

  func feed(_ chunk: UnsafeRawBufferPointer) throws(LibraryError) {
    digester.update(chunk)
    try lines.feed(chunk) { (line, number) throws(LibraryError) in try check(line, number) }
  }

  /// The transcript's digest (base64), once all of it has been fed.
  func finish() throws(LibraryError) -> String {
    try lines.finish()
    return String(decoding: digester.finalizeBase64(), as: UTF8.self)
  }

  private func check(_ line: UnsafeRawBufferPointer, _ number: Int) throws(LibraryError) {
    if isCommentOrBlank(line) { return }
    func fail(_ reason: String) -> LibraryError { LibraryError(.corrupt, "\(describe(number)): \(reason)") }
    let entry: Entry
    do throws(LineError) { entry = try parser.parse(line) } catch { throw fail("\(error)") }
    if let problem = StorePathRule.problem(in: entry.path) { throw fail("path '\(show(entry.path))' \(problem)") }
    if entry.kind == .hardLink, let problem = StorePathRule.problem(in: entry.target) {
      throw fail("hard link target '\(show(entry.target))' \(problem)")
    }
    if let previous {
      let c = order.compare(previous, entry.path)
      if c == 0 { throw fail("path '\(show(entry.path))' listed twice") }
      if c > 0 { throw fail("\(LineError.badSortOrder)") }
    }
    previous = entry.path
    entries += 1
    guard entry.kind.hasContent, entry.prefix != .minus else { return }
    files += 1
    let (sum, overflow) = bytes.addingReportingOverflow(entry.size)
    if overflow || entry.size < 0 { throw fail("sizes add up past 2^63 bytes") }
    bytes = sum
  }
}

/// The stored files (`f`/`a` lines, not `-`) of the transcript inside an archive, read again in
/// order from a second reader of the archive, chunk by chunk, while the first reader streams the
/// files past: the archiver writes them in transcript order, so no index of the transcript is
/// ever held. The transcript was checked by ``TranscriptScan`` first; its digest is computed
/// again here, so a transcript that changed between the two reads is caught.
final class TranscriptCursor {
  private let fd: CInt
  private let reader: ArchiveReader
  private let archivePath: String
  private let lines: TranscriptLineSplitter
  private let digester: Digester
  private var parser = TranscriptLineParser()
  private let buffer: UnsafeMutableRawBufferPointer
  private var queue: [Entry] = []
  private var head = 0
  private var ended = false

  init(archivePath: String, loadset: String, subject: String, algorithm: DigestAlgorithm) throws(LibraryError) {
    // Everything that can fail comes before the last property is set: deinit then never runs.
    let fd = try sys(archivePath) { () throws(SystemCallError) in try Syscall.open(archivePath, [.readOnly]) }
    let reader: ArchiveReader
    do throws(ArchiveError) {
      reader = try ArchiveReader(fd: fd, path: archivePath, prefetch: false)
      let first = try reader.next()
      guard let first, ArchiveLayout.trimmed(first.path) == ArchiveLayout.transcriptMember(loadset) else {
        throw ArchiveError.rejected("\(subject): the archive changed while it was read")
      }
    } catch {
      Syscall.closeQuietly(fd)
      if case .rejected(let message) = error { throw LibraryError(.corrupt, message) }
      throw LibraryError(error, in: archivePath)
    }
    self.archivePath = archivePath
    self.fd = fd
    self.reader = reader
    lines = TranscriptLineSplitter { "\(subject): transcript \(loadset) line \($0)" }
    digester = algorithm.makeDigester()
    digester.reset()
    buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 10, alignment: 16)
  }

  deinit {
    Syscall.closeQuietly(fd)
    buffer.deallocate()
  }

  /// The next stored file, without consuming it; nil after the last.
  func peek() throws(LibraryError) -> Entry? {
    while head == queue.count && !ended {
      queue.removeAll(keepingCapacity: true)
      head = 0
      let n: Int
      do throws(ArchiveError) { n = try reader.readData(into: buffer) } catch { throw LibraryError(error, in: archivePath) }
      if n == 0 {
        ended = true
        try lines.finish()
        break
      }
      let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
      digester.update(chunk)
      try lines.feed(chunk) { (line, number) throws(LibraryError) in
        // Only f and a lines (maybe with a + or - before them) list stored files.
        var i = 0
        while i < line.count && LineTokens.isSeparator(line[i]) { i += 1 }
        guard i < line.count, [0x66, 0x61, 0x2B, 0x2D].contains(line[i]) else { return }
        let entry: Entry
        do throws(LineError) { entry = try parser.parse(line) } catch {
          throw LibraryError(.corrupt, "\(archivePath): the transcript changed while it was read (line \(number): \(error))")
        }
        if entry.kind.hasContent && entry.prefix != .minus { queue.append(entry) }
      }
    }
    return head < queue.count ? queue[head] : nil
  }

  func advance() { head += 1 }

  /// The digest of everything read; call after ``peek()`` returned nil.
  func digest() -> String { String(decoding: digester.finalizeBase64(), as: UTF8.self) }
}
