import SystemCalls

/// Reads a file descriptor line by line with one large reused buffer: no allocation per line,
/// memory independent of the file's size.
///
///     let reader = try LineReader(path: "base.T")
///     while let line = try reader.next() {   // bytes before the LF, valid until the next call
///       ...
///     }
///
/// A line longer than the buffer grows it (rare: transcript lines are short), but never past
/// ``maxLineLength``: a longer line comes back cut to that many bytes (``lastLineWasCut``), so
/// memory stays bounded whatever the input (a 300 MB file without a newline, `/dev/zero`). The
/// rest of a cut line is skipped, or with `splitsLongLines` returned as further lines, as
/// `fgets` does. The final line may lack its LF; ``lastLineHadNewline`` tells (radmind readers
/// reject that, lsort accepts it).
public final class LineReader {
  public let fd: Int32
  public let name: String
  /// Longest line returned whole. Far above radmind's limit, so that callers still see (and
  /// report) a line that is too long, but bounded.
  public static let defaultMaxLineLength = 1 << 20
  public let maxLineLength: Int
  private let splitsLongLines: Bool
  /// True when the line last returned was cut at ``maxLineLength`` (it had more bytes).
  @exclusivity(unchecked) public private(set) var lastLineWasCut = false
  @exclusivity(unchecked) private var skippingTail = false
  private let ownsDescriptor: Bool
  @exclusivity(unchecked) private var buffer: UnsafeMutableRawBufferPointer
  @exclusivity(unchecked) private var start = 0   // first unread byte
  @exclusivity(unchecked) private var end = 0     // end of valid bytes
  @exclusivity(unchecked) private var eof = false
  /// 1-based number of the line last returned.
  @exclusivity(unchecked) public private(set) var lineNumber = 0
  /// False when the line last returned ended at end of file without an LF.
  @exclusivity(unchecked) public private(set) var lastLineHadNewline = true
  /// Bytes consumed so far (through the end of the line last returned).
  @exclusivity(unchecked) public private(set) var offset: Int64 = 0

  /// Where the next `pread` starts and where reading stops (nil: plain `read` to end of file).
  private var readOffset: Int64 = 0
  private var readLimit: Int64?

  public init(fd: Int32, name: String, bufferSize: Int = 1 << 20, ownsDescriptor: Bool = false,
              maxLineLength: Int = LineReader.defaultMaxLineLength, splitsLongLines: Bool = false) {
    self.fd = fd
    self.name = name
    self.ownsDescriptor = ownsDescriptor
    self.maxLineLength = max(1, maxLineLength)
    self.splitsLongLines = splitsLongLines
    buffer = .allocate(byteCount: bufferSize, alignment: 16)
  }

  /// Reads only bytes `range` of a regular file (with `pread`, so several readers can share `fd`).
  /// `range` should start at a line boundary.
  public init(fd: Int32, name: String, range: Range<Int64>, bufferSize: Int = 1 << 20) {
    self.fd = fd
    self.name = name
    self.ownsDescriptor = false
    self.maxLineLength = LineReader.defaultMaxLineLength
    self.splitsLongLines = false
    buffer = .allocate(byteCount: bufferSize, alignment: 16)
    readOffset = range.lowerBound
    readLimit = range.upperBound
  }

  public convenience init(path: String, bufferSize: Int = 1 << 20, maxLineLength: Int = LineReader.defaultMaxLineLength,
                          splitsLongLines: Bool = false) throws(SystemCallError) {
    let fd = try Syscall.open(path, .readOnly)
    self.init(fd: fd, name: path, bufferSize: bufferSize, ownsDescriptor: true, maxLineLength: maxLineLength,
              splitsLongLines: splitsLongLines)
  }

  deinit {
    buffer.deallocate()
    if ownsDescriptor { Syscall.closeQuietly(fd) }
  }

  /// The next line without its LF, or nil at end of file. The bytes stay valid until the next call.
  public func next() throws(SystemCallError) -> UnsafeRawBufferPointer? {
    lastLineWasCut = false
    while true {
      if skippingTail && !discardTail() {
        if eof { return nil }
        try refill()
        continue
      }
      if start < end {
        let base = buffer.baseAddress! + start
        if let nl = Bytes.find(0x0A, in: base, count: end - start) {
          let len = UnsafeRawPointer(nl) - UnsafeRawPointer(base)
          if len > maxLineLength { return cutLine() }
          let line = UnsafeRawBufferPointer(start: base, count: len)
          start += len + 1
          lineNumber += 1
          offset += Int64(len + 1)
          lastLineHadNewline = true
          return line
        }
        if end - start > maxLineLength { return cutLine() }
      }
      if eof {
        guard start < end else { return nil }
        let line = UnsafeRawBufferPointer(start: buffer.baseAddress! + start, count: end - start)
        offset += Int64(end - start)
        start = end
        lineNumber += 1
        lastLineHadNewline = false
        return line
      }
      try refill()
    }
  }

  /// ``next()`` and ``lastLineHadNewline`` in one call. Another module reading the property
  /// after each line paid a dynamic exclusivity check per line (6% of lmerge's instructions).
  @inline(__always)
  public func nextLine() throws(SystemCallError) -> (line: UnsafeRawBufferPointer, terminated: Bool)? {
    guard let line = try next() else { return nil }
    return (line, lastLineHadNewline)
  }

  /// The first ``maxLineLength`` bytes of an over-long line; its rest is skipped or split off.
  private func cutLine() -> UnsafeRawBufferPointer {
    let line = UnsafeRawBufferPointer(start: buffer.baseAddress! + start, count: maxLineLength)
    start += maxLineLength
    offset += Int64(maxLineLength)
    lineNumber += 1
    lastLineHadNewline = false
    lastLineWasCut = true
    skippingTail = !splitsLongLines
    return line
  }

  /// Drops the rest of a cut line; true once its LF has been passed.
  private func discardTail() -> Bool {
    let base = buffer.baseAddress! + start
    if start < end, let nl = Bytes.find(0x0A, in: base, count: end - start) {
      let len = UnsafeRawPointer(nl) - UnsafeRawPointer(base)
      start += len + 1
      offset += Int64(len + 1)
      skippingTail = false
      return true
    }
    offset += Int64(end - start)
    start = end
    return false
  }

  /// Calls `body` with every remaining line (bytes before the LF), its 1-based number and whether
  /// it ended with an LF. Faster than ``next()`` on hot paths: the scan state stays in locals
  /// between refills. `body` returns false to stop early.
  public func forEachLine(_ body: (UnsafeRawBufferPointer, Int, Bool) throws -> Bool) throws {
    var number = lineNumber
    defer { lineNumber = number }
    while true {
      var s = start
      let batchStart = s
      let e = end
      let base = buffer.baseAddress!
      while s < e && !skippingTail {
        guard let nl = Bytes.find(0x0A, in: base + s, count: e - s) else { break }
        let len = UnsafeRawPointer(nl) - UnsafeRawPointer(base + s)
        if len > maxLineLength { break }
        number += 1
        let line = UnsafeRawBufferPointer(start: base + s, count: len)
        s += len + 1
        if try !body(line, number, true) {
          start = s
          offset += Int64(s - batchStart)
          return
        }
      }
      start = s
      offset += Int64(s - batchStart)
      // The slow path (refill, an over-long line, the last line without LF) is next()'s.
      lineNumber = number
      guard let line = try next() else { return }
      number = lineNumber
      let cut = lastLineWasCut
      if try !body(line, number, lastLineHadNewline) { return }
      if cut {  // the batch lines that follow are whole
        lastLineWasCut = false
        lastLineHadNewline = true
      }
    }
  }

  /// Moves the unread tail to the front (growing the buffer if a line fills it) and reads more.
  private func refill() throws(SystemCallError) {
    if start > 0 {
      let pending = end - start
      if pending > 0 { buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + start, byteCount: pending) }
      start = 0
      end = pending
    }
    if end == buffer.count {
      let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: buffer.count * 2, alignment: 16)
      bigger.copyMemory(from: UnsafeRawBufferPointer(buffer))
      buffer.deallocate()
      buffer = bigger
    }
    let n: Int
    if let limit = readLimit {
      let want = Int(min(Int64(buffer.count - end), limit - readOffset))
      n = want <= 0 ? 0 : try Syscall.pread(fd, into: UnsafeMutableRawBufferPointer(rebasing: buffer[end..<(end + want)]), at: readOffset, path: name)
      readOffset += Int64(n)
    } else {
      n = try Syscall.read(fd, into: UnsafeMutableRawBufferPointer(rebasing: buffer[end...]), path: name)
    }
    if n == 0 { eof = true } else { end += n }
  }
}
