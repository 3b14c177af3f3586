import RadmindFormat
import SystemCalls

/// Reads back the records of one sorted run (or walks a sorted chunk still in memory).
///
/// Runs are read through the page cache. Reading them with `O_DIRECT` was measured slower: the
/// merge then waits on the disk for every buffer (no read-ahead), and the runs written through
/// the cache are usually still there. Direct runs read back by a read-ahead thread (two 1-4 MiB
/// buffers per run) were measured too and did not win: the merge consumes the runs faster than
/// the disk delivers them (with 1 MiB buffers each half still waited 0.3-0.6 s), so wall time
/// did not drop; with 4 MiB buffers it stayed level, CPU fell, and the peak RSS rose by 68 MiB.
final class RunReader {
  let fd: Int32
  private var buffer: UnsafeMutableRawBufferPointer
  private var start = 0, end = 0
  /// Where the current record starts in the buffer: kept when the buffer is refilled, so that the
  /// next record's ``lcp`` can be measured against it.
  private var current = 0
  /// The current record's key and line, pointing into the buffer: valid until the next advance.
  private(set) var key: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)
  private(set) var line: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)
  private(set) var sequence: UInt64 = 0
  /// The bytes the current key shares with the previous record's key in this run (0 for the
  /// run's first record): the loser tree starts its comparisons there.
  private(set) var lcp = 0
  /// Key length (high bit: the key is a slice of the line), line length, sequence, and the key's
  /// offset in the line.
  static let header = 20

  let order: PathOrder

  /// Set when the source is a sorted chunk still in memory (the last one, never spilled).
  private let chunk: ExternalSorter.Chunk?
  private var nextRecord = 0, endRecord = 0, firstRecord = 0
  /// The current record's key offset within it, and whether there is a current record.
  private var keyStart = 0, hasRecord = false
  /// Where the run's next read starts (`pread`: several readers may share one descriptor, each
  /// reading its own range) and where the range ends.
  private var position: Int64 = 0
  private let limit: Int64
  /// The offset in the run of the record loaded by the last ``advance()``.
  private(set) var recordOffset: Int64 = 0

  /// Reads the records of the run in `fd` from byte `offset` (a record's start) to `limit`.
  init(fd: Int32, bufferSize: Int, order: PathOrder, from offset: Int64 = 0, to limit: Int64 = .max) {
    self.fd = fd
    self.order = order
    self.chunk = nil
    self.position = offset
    self.limit = limit
    buffer = .allocate(byteCount: bufferSize, alignment: 8)
  }

  /// Reads the records of a sorted in-memory chunk (which must outlive the reader).
  init(chunk: ExternalSorter.Chunk, order: PathOrder, records: Range<Int>? = nil) {
    self.fd = -1
    self.order = order
    self.chunk = chunk
    self.limit = 0
    let range = records ?? chunk.records.indices
    nextRecord = range.lowerBound
    firstRecord = range.lowerBound
    endRecord = range.upperBound
    buffer = .allocate(byteCount: 16, alignment: 8)
  }

  deinit { buffer.deallocate() }

  /// Loads the next record; false at the end of the run.
  func advance() throws(SystemCallError) -> Bool {
    if let chunk {
      guard nextRecord < endRecord else { return false }
      let r = chunk.records[nextRecord]
      let previous = key
      key = UnsafeRawBufferPointer(start: chunk.keyAddress(r), count: Int(r.keyLength))
      lcp = nextRecord > firstRecord ? PathOrder.commonPrefix(previous, key) : 0
      nextRecord += 1
      line = UnsafeRawBufferPointer(start: chunk.lines.base + Int(r.lineOffset), count: Int(r.lineLength))
      sequence = r.sequence
      return true
    }
    guard try ensure(RunReader.header) else { return false }
    recordOffset = position - Int64(end - start)
    let base = buffer.baseAddress! + start
    let keyField = UInt32(littleEndian: base.loadUnaligned(as: UInt32.self))
    let ll = Int(UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 4, as: UInt32.self)))
    let seq = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
    let keyInLine = Int(UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 16, as: UInt32.self)))
    let inLine = keyField & 0x8000_0000 != 0
    let kl = Int(keyField & 0x7FFF_FFFF)
    let stored = inLine ? 0 : kl
    guard try ensure(RunReader.header + stored + ll) else { return false }
    // ensure() may have moved the current record (never dropped it): find its key again.
    let previous = UnsafeRawBufferPointer(start: buffer.baseAddress! + current + keyStart, count: key.count)
    let record = buffer.baseAddress! + start + RunReader.header
    line = UnsafeRawBufferPointer(start: record + stored, count: ll)
    key = inLine ? UnsafeRawBufferPointer(start: record + keyInLine, count: kl)
                 : UnsafeRawBufferPointer(start: record, count: kl)
    // The previous record is the one just written (see LoserTree): both sit in this buffer.
    lcp = hasRecord ? PathOrder.commonPrefix(previous, key) : 0
    hasRecord = true
    current = start
    keyStart = RunReader.header + (inLine ? stored + keyInLine : 0)
    start += RunReader.header + stored + ll
    sequence = seq
    return true
  }

  /// Makes `n` unread bytes available (moving the current record and the unread tail to the
  /// front first, which is why ``key`` and ``line`` are valid only until the next advance).
  private func ensure(_ n: Int) throws(SystemCallError) -> Bool {
    while end - start < n {
      let keep = hasRecord ? current : start  // the current record stays readable
      if keep > 0 {
        buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + keep, byteCount: end - keep)
        end -= keep
        start -= keep
        current = 0
      }
      if start + n > buffer.count {
        let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: (start + n) * 2, alignment: 8)
        bigger.copyMemory(from: UnsafeRawBufferPointer(rebasing: buffer[0 ..< end]))
        buffer.deallocate()
        buffer = bigger
      }
      let room = Int(min(Int64(buffer.count - end), limit - position))
      let got = try Syscall.pread(fd, into: UnsafeMutableRawBufferPointer(rebasing: buffer[end ..< end + room]), at: position, path: "sort run")
      position += Int64(got)
      if got == 0 { return false }
      end += got
    }
    return true
  }
}
