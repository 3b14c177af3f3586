import RadmindFormat
import SystemCalls

/// Reads back the records of one sorted run (or walks a sorted chunk still in memory).
///
/// Runs are front-coded (see ``ExternalSorter/Chunk/spill(in:)``): a record leaves out the key
/// bytes it shares with the previous record's key. The reader rebuilds each line (and a
/// separate key) into one of two buffers in turn, so the previous key stays readable while the
/// current one is rebuilt. A record at a multiple of ``RunIndex/step`` shares nothing, so
/// reading can begin there (a reader that must start elsewhere decodes from the index entry
/// before and skips).
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
  /// The current record's key and line: valid until the next advance.
  private(set) var key: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)
  private(set) var line: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)
  private(set) var sequence: UInt64 = 0
  /// The bytes the current key shares with the previous record's key in this run (0 for the
  /// first record read): the loser tree starts its comparisons there.
  private(set) var lcp = 0
  /// Key length (high bit: the key is a slice of the line), line length, sequence, the key's
  /// offset in the line, and the key bytes shared with the previous record's key.
  static let header = 24

  let order: PathOrder

  /// Set when the source is a sorted chunk still in memory (the last one, never spilled).
  private let chunk: ExternalSorter.Chunk?
  private var nextRecord = 0, endRecord = 0, firstRecord = 0
  /// Where the run's next read starts (`pread`: several readers may share one descriptor, each
  /// reading its own range) and where the range ends.
  private var position: Int64 = 0
  private let limit: Int64
  /// Records before this offset are decoded (for the lines they share) but not returned.
  private let skipBefore: Int64
  /// The offset in the run of the record loaded by the last ``advance()``.
  private(set) var recordOffset: Int64 = 0
  /// Lines and separate keys are rebuilt here, alternately in slot 0 and 1.
  /// Two of each, through pointers: an array property of a class is checked for exclusive
  /// access at run time on every mutation (2% of lsort's instructions).
  private let lines = RecordBuffer.pair()
  private let keys = RecordBuffer.pair()
  private var slot = 0
  private var hasRecord = false

  /// Reads the records of the run in `fd` from byte `offset` (a record's start) to `limit`.
  /// `decodeFrom` (an index entry's offset at or before `offset`) is where decoding must begin
  /// when `offset` is not an index entry's.
  init(fd: Int32, bufferSize: Int, order: PathOrder, from offset: Int64 = 0, to limit: Int64 = .max,
       decodeFrom: Int64? = nil) {
    self.fd = fd
    self.order = order
    self.chunk = nil
    self.position = decodeFrom ?? offset
    self.skipBefore = offset
    self.limit = limit
    buffer = .allocate(byteCount: bufferSize, alignment: 8)
  }

  /// Reads the records of a sorted in-memory chunk (which must outlive the reader).
  init(chunk: ExternalSorter.Chunk, order: PathOrder, records: Range<Int>? = nil) {
    self.fd = -1
    self.order = order
    self.chunk = chunk
    self.limit = 0
    self.skipBefore = 0
    let range = records ?? chunk.records.indices
    nextRecord = range.lowerBound
    firstRecord = range.lowerBound
    endRecord = range.upperBound
    buffer = .allocate(byteCount: 16, alignment: 8)
  }

  deinit {
    buffer.deallocate()
    for k in 0 ..< 2 {
      lines[k].free()
      keys[k].free()
    }
    lines.deallocate()
    keys.deallocate()
  }

  /// Loads the next record; false at the end of the run.
  func advance() throws(SystemCallError) -> Bool {
    if let chunk {
      guard nextRecord < endRecord else { return false }
      let r = chunk.records[nextRecord]
      key = UnsafeRawBufferPointer(start: chunk.keyAddress(r), count: Int(r.keyLength))
      lcp = nextRecord > firstRecord ? Int(r.shared) : 0  // found by the sort
      nextRecord += 1
      line = UnsafeRawBufferPointer(start: chunk.lines.base + Int(r.lineOffset), count: Int(r.lineLength))
      sequence = r.sequence
      return true
    }
    repeat {
      guard try decodeRecord() else { return false }
    } while recordOffset < skipBefore
    return true
  }

  /// Decodes the next record of the run into the other slot.
  private func decodeRecord() throws(SystemCallError) -> Bool {
    guard try ensure(RunReader.header) else { return false }
    recordOffset = position - Int64(end - start)
    let base = UnsafeRawPointer(buffer.baseAddress! + start)
    let keyField = UInt32(littleEndian: base.loadUnaligned(as: UInt32.self))
    let ll = Int(UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 4, as: UInt32.self)))
    let seq = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
    let keyInLine = Int(UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 16, as: UInt32.self)))
    let shared = Int(UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 20, as: UInt32.self)))
    let inLine = keyField & 0x8000_0000 != 0
    let kl = Int(keyField & 0x7FFF_FFFF)
    let stored = ll + (inLine ? 0 : kl) - shared
    guard try ensure(RunReader.header + stored) else { return false }
    let payload = UnsafeRawPointer(buffer.baseAddress! + start + RunReader.header)
    let previous = key  // in the other slot: still readable
    let next = 1 - slot
    if inLine {
      line = lines[next].rebuild(count: ll, keyAt: keyInLine, sharing: shared,
                                 of: previous.baseAddress, payload: payload)
      key = UnsafeRawBufferPointer(rebasing: line[keyInLine ..< keyInLine + kl])
    } else {
      key = keys[next].rebuild(count: kl, keyAt: 0, sharing: shared,
                               of: previous.baseAddress, payload: payload)
      line = lines[next].rebuild(count: ll, keyAt: 0, sharing: 0, of: nil,
                                 payload: payload + (kl - shared))
    }
    slot = next
    // The previous record is the one just written (see LoserTree). An index entry's record
    // shares nothing in the run, but the tree needs what its key really shares.
    lcp = !hasRecord ? 0 : shared > 0 ? shared : PathOrder.commonPrefix(previous, key)
    hasRecord = true
    start += RunReader.header + stored
    sequence = seq
    return true
  }

  /// Makes `n` unread bytes available (moving the unread tail to the front first).
  private func ensure(_ n: Int) throws(SystemCallError) -> Bool {
    while end - start < n {
      if start > 0 {
        buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + start, byteCount: end - start)
        end -= start
        start = 0
      }
      if n > buffer.count {
        let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: n * 2, alignment: 8)
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

/// One rebuilt line or key: a growable byte buffer (freed by its reader).
struct RecordBuffer {
  private var base = UnsafeMutableRawPointer.allocate(byteCount: 256, alignment: 8)
  private var capacity = 256

  /// Fills the buffer with `count` bytes: those before `keyAt` from `payload`, then the first
  /// `shared` bytes of the key from `previous` (the previous record's key, never in this buffer),
  /// then the rest from `payload`; and returns them.
  mutating func rebuild(count: Int, keyAt: Int, sharing shared: Int,
                        of previous: UnsafeRawPointer?, payload: UnsafeRawPointer) -> UnsafeRawBufferPointer {
    if count > capacity {
      base.deallocate()
      capacity = max(count, capacity * 2)
      base = .allocate(byteCount: capacity, alignment: 8)
    }
    if keyAt > 0 { base.copyMemory(from: payload, byteCount: keyAt) }
    if shared > 0 { (base + keyAt).copyMemory(from: previous!, byteCount: shared) }
    (base + keyAt + shared).copyMemory(from: payload + keyAt, byteCount: count - keyAt - shared)
    return UnsafeRawBufferPointer(start: base, count: count)
  }

  func free() { base.deallocate() }

  /// Two buffers of their own (freed by the caller, with ``free()`` on each).
  static func pair() -> UnsafeMutablePointer<RecordBuffer> {
    let p = UnsafeMutablePointer<RecordBuffer>.allocate(capacity: 2)
    p.initialize(to: RecordBuffer())
    (p + 1).initialize(to: RecordBuffer())
    return p
  }
}
