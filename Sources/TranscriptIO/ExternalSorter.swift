#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import RadmindFormat

/// Sorts lines by radmind path order with bounded memory: lines gather in a chunk until it
/// reaches the memory budget, the chunk is sorted and spilled to an anonymous run file, and the
/// runs are merged at the end. Input that fits in one chunk never touches the disk.
///
///     let sorter = ExternalSorter(order: .caseSensitive)
///     sorter.add(line: bytes, encodedPath: pathToken)   // any number of times
///     try sorter.finish(into: output)
///
/// Ties (equal keys) come out in **reverse input order**, as radmind's lsort emits them (§10.1).
/// Run files are unlinked as soon as they are created, so an interrupted sort leaves nothing behind.
public final class ExternalSorter {
  struct Record {
    var prefix: UInt64      // first 8 key bytes, big-endian, zero padded
    var keyOffset: UInt32
    var keyLength: UInt32
    var lineOffset: UInt32
    var lineLength: UInt32
    var sequence: UInt64
  }

  public let order: PathOrder
  public let memoryBudget: Int
  private var keys: [UInt8] = []
  private var lines: [UInt8] = []
  private var records: [Record] = []
  private var sequence: UInt64 = 0
  private var runs: [Int32] = []
  private let temporaryDirectory: String

  /// - Parameter memoryBudget: bytes of line and key data held before a chunk is spilled.
  public init(order: PathOrder, memoryBudget: Int = 96 << 20, temporaryDirectory: String? = nil) {
    self.order = order
    self.memoryBudget = memoryBudget
    self.temporaryDirectory = temporaryDirectory
      ?? (getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp")
  }

  deinit { for fd in runs { close(fd) } }

  /// Adds one line (written out verbatim) keyed by its encoded path token.
  public func add(line: UnsafeRawBufferPointer, encodedPath: UnsafeRawBufferPointer) throws(SystemError) {
    let keyStart = keys.count
    order.appendKey(encoded: encodedPath, to: &keys)
    let keyLength = keys.count - keyStart
    var prefix: UInt64 = 0
    for k in 0..<8 {
      prefix <<= 8
      if k < keyLength { prefix |= UInt64(keys[keyStart + k]) }
    }
    records.append(Record(prefix: prefix, keyOffset: UInt32(keyStart), keyLength: UInt32(keyLength),
                          lineOffset: UInt32(lines.count), lineLength: UInt32(line.count),
                          sequence: sequence))
    sequence += 1
    lines.append(contentsOf: line)
    if keys.count + lines.count + records.count * MemoryLayout<Record>.stride >= memoryBudget {
      try spill()
    }
  }

  /// Sorts the current chunk in place.
  private func sortChunk() {
    keys.withUnsafeBufferPointer { kp in
      let base = kp.baseAddress!
      records.sort { a, b in
        if a.prefix != b.prefix { return a.prefix < b.prefix }
        let la = Int(a.keyLength), lb = Int(b.keyLength)
        let common = min(la, lb)
        if common > 8 {
          let c = memcmp(base + Int(a.keyOffset) + 8, base + Int(b.keyOffset) + 8, common - 8)
          if c != 0 { return c < 0 }
        }
        if la != lb { return la < lb }
        return a.sequence > b.sequence  // ties: reverse input order
      }
    }
  }

  /// Writes the sorted chunk to an unlinked temporary run file.
  private func spill() throws(SystemError) {
    sortChunk()
    var template = Array("\(temporaryDirectory)/loadsmith-sort.XXXXXX".utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    if fd < 0 { throw SystemError("mkstemp", path: temporaryDirectory) }
    template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
    runs.append(fd)
    let out = OutputBuffer(fd: fd, name: "sort run")
    for r in records {
      withUnsafeBytes(of: r.keyLength.littleEndian) { out.bytes.append(contentsOf: $0) }
      withUnsafeBytes(of: r.lineLength.littleEndian) { out.bytes.append(contentsOf: $0) }
      withUnsafeBytes(of: r.sequence.littleEndian) { out.bytes.append(contentsOf: $0) }
      out.bytes.append(contentsOf: keys[Int(r.keyOffset) ..< Int(r.keyOffset + r.keyLength)])
      out.bytes.append(contentsOf: lines[Int(r.lineOffset) ..< Int(r.lineOffset + r.lineLength)])
      try out.flushIfFull()
    }
    try out.flush()
    keys.removeAll(keepingCapacity: true)
    lines.removeAll(keepingCapacity: true)
    records.removeAll(keepingCapacity: true)
  }

  /// Writes every line, sorted, to `output` (not flushed).
  public func finish(into output: OutputBuffer) throws(SystemError) {
    if runs.isEmpty {
      sortChunk()
      for r in records {
        output.bytes.append(contentsOf: lines[Int(r.lineOffset) ..< Int(r.lineOffset + r.lineLength)])
        try output.flushIfFull()
      }
      return
    }
    if !records.isEmpty { try spill() }
    keys = []; lines = []; records = []
    let perRun = max(64 << 10, min(1 << 20, memoryBudget / max(1, runs.count)))
    var readers: [RunReader] = []
    for fd in runs {
      lseek(fd, 0, SEEK_SET)
      let r = RunReader(fd: fd, bufferSize: perRun)
      if try r.advance() { readers.append(r) }
    }
    while !readers.isEmpty {
      var best = 0
      for i in 1..<readers.count where readers[i].precedes(readers[best]) { best = i }
      output.bytes.append(contentsOf: readers[best].line)
      try output.flushIfFull()
      if try !readers[best].advance() { readers.remove(at: best) }
    }
  }
}

/// Reads back the records of one sorted run.
final class RunReader {
  let fd: Int32
  private var buffer: [UInt8]
  private var start = 0, end = 0
  private(set) var key: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)
  private(set) var line: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)
  private(set) var sequence: UInt64 = 0
  private var current: [UInt8] = []

  init(fd: Int32, bufferSize: Int) {
    self.fd = fd
    buffer = [UInt8](repeating: 0, count: bufferSize)
  }

  /// Loads the next record; false at the end of the run.
  func advance() throws(SystemError) -> Bool {
    guard try ensure(16) else { return false }
    let (kl, ll, seq) = buffer.withUnsafeBytes { raw in
      (Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: start, as: UInt32.self))),
       Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: start + 4, as: UInt32.self))),
       UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: start + 8, as: UInt64.self)))
    }
    guard try ensure(16 + kl + ll) else { return false }
    current.removeAll(keepingCapacity: true)
    current.append(contentsOf: buffer[(start + 16) ..< (start + 16 + kl + ll)])
    start += 16 + kl + ll
    sequence = seq
    current.withUnsafeBytes { raw in
      key = UnsafeRawBufferPointer(rebasing: raw[0 ..< kl])
      line = UnsafeRawBufferPointer(rebasing: raw[kl ..< kl + ll])
    }
    return true
  }

  /// True when this reader's record sorts before `other`'s.
  func precedes(_ other: RunReader) -> Bool {
    let n = min(key.count, other.key.count)
    if n > 0 {
      let c = memcmp(key.baseAddress!, other.key.baseAddress!, n)
      if c != 0 { return c < 0 }
    }
    if key.count != other.key.count { return key.count < other.key.count }
    return sequence > other.sequence
  }

  private func ensure(_ n: Int) throws(SystemError) -> Bool {
    while end - start < n {
      if start > 0 {
        buffer.withUnsafeMutableBytes { raw in
          _ = memmove(raw.baseAddress!, raw.baseAddress! + start, end - start)
        }
        end -= start
        start = 0
      }
      if n > buffer.count { buffer.append(contentsOf: repeatElement(0, count: n - buffer.count)) }
      var got = 0
      var failure: SystemError?
      buffer.withUnsafeMutableBytes { raw in
        do throws(SystemError) {
          got = try retryingOnInterrupt("read", "sort run") { read(fd, raw.baseAddress! + end, raw.count - end) }
        } catch { failure = error }
      }
      if let failure { throw failure }
      if got == 0 { return false }
      end += got
    }
    return true
  }
}
