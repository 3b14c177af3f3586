import Dispatch
import RadmindFormat
import Synchronization
import SystemCalls

/// Sorts lines by radmind path order with bounded memory: lines gather in a chunk until it
/// reaches its share of the memory budget; a full chunk is sorted and spilled to an anonymous run
/// file **on a second thread** while the caller fills the next one; the runs are merged at the
/// end. Input that fits in one chunk never touches the disk.
///
///     var sorter = ExternalSorter(order: .caseSensitive)
///     try sorter.add(line: bytes, encodedPath: pathToken)   // any number of times
///     try sorter.finish(into: output)
///
/// Ties (equal keys) come out in **reverse input order**, as radmind's lsort emits them (§10.1).
/// Run files are unlinked as soon as they are created, so an interrupted sort leaves nothing behind.
/// At most two chunks exist at once, so memory stays near `memoryBudget` whatever the input size.
public struct ExternalSorter: ~Copyable {
  struct Record {
    var keyOffset: Int      // in the key arena, or in the line arena with ``inLineArena`` set
    var keyLength: UInt32
    var lineOffset: UInt32
    var lineLength: UInt32
    var sequence: UInt64
  }

  /// Bit set in ``Record/keyOffset`` when the key lives in the line arena.
  static let inLineArena = 1 << 62

  /// The lines being gathered: their bytes, their decoded keys where needed, and records.
  /// A struct held by the sorter (no dynamic exclusivity checks on the per-line path); its arenas
  /// are freed explicitly once the chunk is written.
  struct Chunk: @unchecked Sendable {
    var keys = ByteArena()
    var lines = ByteArena()
    var records: [Record] = []
    /// Set by ``sort(order:)``; a chunk the filling thread sorted is only written by the spiller.
    var isSorted = false

    var bytes: Int { keys.count + lines.count + records.count * MemoryLayout<Record>.stride }

    @inline(__always)
    func keyAddress(_ r: Record) -> UnsafeMutablePointer<UInt8> {
      r.keyOffset & ExternalSorter.inLineArena != 0
        ? lines.base + (r.keyOffset & ~ExternalSorter.inLineArena) : keys.base + r.keyOffset
    }

    func free() {
      keys.base.deallocate()
      lines.base.deallocate()
    }

    /// Sorts the records (see ``PrefixCachingSort``). Keys in one chunk often share a long prefix
    /// (`/usr/local/...`): it is found once and skipped.
    mutating func sort(order: PathOrder) {
      isSorted = true
      guard let first = records.first else { return }
      let linesBase = lines.base, keysBase = keys.base
      let tag = ExternalSorter.inLineArena
      @inline(__always) func address(_ r: Record) -> UnsafeMutablePointer<UInt8> {
        r.keyOffset & tag != 0 ? linesBase + (r.keyOffset & ~tag) : keysBase + r.keyOffset
      }
      var common = Int(first.keyLength)
      let firstKey = UnsafeRawBufferPointer(start: address(first), count: Int(first.keyLength))
      for r in records where common > 0 {
        let key = UnsafeRawBufferPointer(start: address(r), count: min(common, Int(r.keyLength)))
        common = min(common, PathOrder.commonPrefix(firstKey, key))
      }
      let keys = [UnsafePointer<UInt8>](unsafeUninitializedCapacity: records.count) { buffer, n in
        for k in records.indices { buffer[k] = UnsafePointer(address(records[k])) }
        n = records.count
      }
      let lengths = records.map { Int($0.keyLength) }
      let count = records.count
      let sorted = keys.withUnsafeBufferPointer { k in
        lengths.withUnsafeBufferPointer { l in
          PrefixCachingSort.order(count: count, keys: k.baseAddress!, lengths: l.baseAddress!, skip: common, order: order)
        }
      }
      let unsorted = records
      records = sorted.map { unsorted[$0] }
    }

    /// Writes the (sorted) records to an unlinked temporary run file and returns its descriptor.
    func spill(in directory: String) throws(SystemCallError) -> Int32 {
      var template = Array("\(directory)/loadsmith-sort.XXXXXX".utf8)
      let fd: Int32
      do { fd = try Syscall.mkstemp(&template) } catch { throw SystemCallError("mkstemp", path: directory, errno: error.errno) }
      try? Syscall.unlink(template)
      let out = OutputBuffer(fd: fd, name: "sort run in \(directory)")
      do {
        for r in records {
          // Record: key length (high bit set when the key is a slice of the line), line length,
          // sequence, key offset in the line, then the key bytes (if separate) and the line.
          let inLine = r.keyOffset & ExternalSorter.inLineArena != 0
          let keyField = r.keyLength | (inLine ? 0x8000_0000 : 0)
          let keyInLine = inLine ? UInt32((r.keyOffset & ~ExternalSorter.inLineArena) - Int(r.lineOffset)) : 0
          withUnsafeBytes(of: keyField.littleEndian) { out.bytes.append(contentsOf: $0) }
          withUnsafeBytes(of: r.lineLength.littleEndian) { out.bytes.append(contentsOf: $0) }
          withUnsafeBytes(of: r.sequence.littleEndian) { out.bytes.append(contentsOf: $0) }
          withUnsafeBytes(of: keyInLine.littleEndian) { out.bytes.append(contentsOf: $0) }
          if !inLine {
            out.bytes.append(contentsOf: UnsafeBufferPointer(start: keyAddress(r), count: Int(r.keyLength)))
          }
          out.bytes.append(contentsOf: lines.slice(Int(r.lineOffset), Int(r.lineLength)))
          try out.flushIfFull()
        }
        try out.flush()
      } catch {
        Syscall.closeQuietly(fd)
        throw error
      }
      return fd
    }
  }

  /// Run files written so far, and the first spill error; shared with the spilling thread.
  final class Spills: Sendable {
    let state = Mutex<(runs: [Int32], failure: SystemCallError?, spare: Chunk?)>(([], nil, nil))
    let inFlight = DispatchSemaphore(value: 1)
    let queue = DispatchQueue(label: "loadsmith.sort.spill")
  }

  public let order: PathOrder
  public let memoryBudget: Int
  private var chunk = Chunk()
  private var sequence: UInt64 = 0
  private let spills = Spills()
  private let temporaryDirectory: String

  /// - Parameter memoryBudget: bytes of line and key data held at once; each of the (at most two)
  ///   chunks gets half.
  public init(order: PathOrder, memoryBudget: Int = 128 << 20, temporaryDirectory: String? = nil) {
    self.order = order
    self.memoryBudget = memoryBudget
    self.temporaryDirectory = temporaryDirectory
      ?? (Syscall.environment("TMPDIR") ?? "/tmp")
  }

  deinit {
    spills.inFlight.wait()
    spills.inFlight.signal()
    spills.state.withLock { state in
      for fd in state.runs { Syscall.closeQuietly(fd) }
      state.spare?.free()
      state.spare = nil
    }
    chunk.free()
  }

  /// Adds one line (written out verbatim) keyed by its encoded path token, which must lie inside
  /// `line`. When the path needs no decoding or folding, its key is the path's own bytes in the
  /// stored line; otherwise the decoded key goes to a separate arena.
  public mutating func add(line: UnsafeRawBufferPointer, encodedPath: UnsafeRawBufferPointer) throws(SystemCallError) {
    let lineOffset = chunk.lines.count
    chunk.lines.append(line)
    var keyOffset: Int
    var keyLength: Int
    let pathStart = encodedPath.baseAddress.map { $0 - line.baseAddress! } ?? 0
    if !order.caseInsensitive, let p = encodedPath.baseAddress, Bytes.find(0x5C, in: p, count: encodedPath.count) == nil {
      keyOffset = (lineOffset + pathStart) | ExternalSorter.inLineArena
      keyLength = encodedPath.count
    } else {
      keyOffset = chunk.keys.count
      keyLength = order.writeKey(encoded: encodedPath, to: chunk.keys.reserve(encodedPath.count))
      chunk.keys.count += keyLength
    }
    chunk.records.append(Record(keyOffset: keyOffset, keyLength: UInt32(keyLength),
                                lineOffset: UInt32(lineOffset), lineLength: UInt32(line.count),
                                sequence: sequence))
    sequence += 1
    if chunk.bytes >= memoryBudget / 2 { try spillInBackground() }
  }

  /// Hands the full chunk to the spilling thread (waiting while the previous one is still being
  /// written) and starts a fresh one.
  private mutating func spillInBackground() throws(SystemCallError) {
    if spills.inFlight.wait(timeout: .now()) == .timedOut {
      // The spilling thread is still busy with the previous chunk: sort this one here rather
      // than wait idle (sorting is the larger half of the work; this keeps both cores busy).
      chunk.sort(order: order)
      spills.inFlight.wait()
    }
    if let failure = spills.state.withLock({ $0.failure }) {
      spills.inFlight.signal()
      throw failure
    }
    let full = chunk
    // Reuse the chunk the spilling thread finished with: its arenas are already grown and paged in.
    chunk = spills.state.withLock { state in
      defer { state.spare = nil }
      return state.spare
    } ?? Chunk()
    let order = self.order, directory = temporaryDirectory, spills = self.spills
    spills.queue.async {
      var full = full
      if !full.isSorted { full.sort(order: order) }
      do throws(SystemCallError) {
        let fd = try full.spill(in: directory)
        spills.state.withLock { $0.runs.append(fd) }
      } catch {
        spills.state.withLock { $0.failure = $0.failure ?? error }
      }
      full.keys.count = 0
      full.lines.count = 0
      full.records.removeAll(keepingCapacity: true)
      full.isSorted = false
      let emptied = full
      spills.state.withLock { state in
        if let old = state.spare { old.free() }
        state.spare = emptied
      }
      spills.inFlight.signal()
    }
  }

  /// Writes every line, sorted, to `output`'s descriptor (everything written, not fsynced). The
  /// lines are written from a second thread (``BackgroundWriter``), with `direct` past the page
  /// cache when `output` is a new regular file.
  public mutating func finish(into output: OutputBuffer, direct: Bool = false) throws(SystemCallError) {
    try output.flush()
    let writer = BackgroundWriter(fd: output.fd, name: output.name, direct: direct)
    defer { writer.stopQuietly() }
    try merge(into: writer)
    try writer.finish()
  }

  /// The final merge of the spilled runs and the last chunk, in order, into `output`.
  private mutating func merge(into output: BackgroundWriter) throws(SystemCallError) {
    // Wait for the last background spill.
    spills.inFlight.wait()
    spills.inFlight.signal()
    let (runs, failure) = spills.state.withLock { state in
      state.spare?.free()
      state.spare = nil
      return (state.runs, state.failure)
    }
    if let failure { throw failure }
    // The last chunk stays in memory: its two halves are sorted on both threads and join the
    // merge as two more sorted sources (they share the chunk's arenas).
    let half = chunk.records.count / 2
    var low = chunk, high = chunk
    low.records = Array(chunk.records[..<half])
    high.records = Array(chunk.records[half...])
    chunk.records = []
    if half >= 4096 {
      let done = DispatchSemaphore(value: 0)
      nonisolated(unsafe) var lowSorted = low
      let order = self.order
      spills.queue.async {
        lowSorted.sort(order: order)
        done.signal()
      }
      high.sort(order: order)
      done.wait()
      low = lowSorted
    } else {
      low.sort(order: order)
      high.sort(order: order)
    }
    let perRun = max(64 << 10, min(1 << 20, memoryBudget / max(1, runs.count)))
    var sources: [RunReader] = []
    for fd in runs {
      try? Syscall.rewind(fd, path: "sort run")
      sources.append(RunReader(fd: fd, bufferSize: perRun, order: order))
    }
    for part in [low, high] where !part.records.isEmpty {
      sources.append(RunReader(chunk: part, order: order))
    }
    // A binary min-heap of the sources by their current record.
    var heap: [RunReader] = []
    for r in sources where try r.advance() { heap.append(r) }
    func siftDown(_ start: Int) {
      var i = start
      while true {
        let l = 2 * i + 1, r = l + 1
        var m = i
        if l < heap.count && heap[l].precedes(heap[m]) { m = l }
        if r < heap.count && heap[r].precedes(heap[m]) { m = r }
        if m == i { return }
        heap.swapAt(i, m)
        i = m
      }
    }
    for i in stride(from: heap.count / 2 - 1, through: 0, by: -1) { siftDown(i) }
    while let top = heap.first {
      try output.append(top.line)
      if try !top.advance() {
        heap.swapAt(0, heap.count - 1)
        heap.removeLast()
      }
      siftDown(0)
    }
    chunk.free()
    chunk = Chunk()
  }
}

/// A growable byte buffer without Array's per-append checks; the sorter's chunk storage.
struct ByteArena {
  var base = UnsafeMutablePointer<UInt8>.allocate(capacity: 1 << 16)
  var capacity = 1 << 16
  var count = 0

  /// Room for `n` more bytes; returns where they go (``count`` is not moved).
  mutating func reserve(_ n: Int) -> UnsafeMutablePointer<UInt8> {
    if count + n > capacity {
      var grown = capacity * 2
      while count + n > grown { grown *= 2 }
      let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: grown)
      bigger.update(from: base, count: count)
      base.deallocate()
      base = bigger
      capacity = grown
    }
    return base + count
  }

  mutating func append(_ bytes: UnsafeRawBufferPointer) {
    let dst = reserve(bytes.count)
    if let src = bytes.baseAddress { UnsafeMutableRawPointer(dst).copyMemory(from: src, byteCount: bytes.count) }
    count += bytes.count
  }

  func slice(_ offset: Int, _ length: Int) -> UnsafeBufferPointer<UInt8> {
    UnsafeBufferPointer(start: base + offset, count: length)
  }

  mutating func release() {
    base.deallocate()
    base = .allocate(capacity: 16)
    capacity = 16
    count = 0
  }
}

/// Reads back the records of one sorted run.
final class RunReader {
  let fd: Int32
  private var buffer: UnsafeMutableRawBufferPointer
  private var start = 0, end = 0
  /// The current record's key and line, pointing into the buffer: valid until the next advance.
  private(set) var key: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)
  private(set) var line: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)
  private(set) var sequence: UInt64 = 0
  static let header = 20

  let order: PathOrder

  /// Set when the source is a sorted chunk still in memory (the last one, never spilled).
  private let chunk: ExternalSorter.Chunk?
  private var nextRecord = 0

  init(fd: Int32, bufferSize: Int, order: PathOrder) {
    self.fd = fd
    self.order = order
    self.chunk = nil
    buffer = .allocate(byteCount: bufferSize, alignment: 8)
  }

  /// Reads the records of a sorted in-memory chunk (which must outlive the reader).
  init(chunk: ExternalSorter.Chunk, order: PathOrder) {
    self.fd = -1
    self.order = order
    self.chunk = chunk
    buffer = .allocate(byteCount: 16, alignment: 8)
  }

  deinit { buffer.deallocate() }

  /// Loads the next record; false at the end of the run.
  func advance() throws(SystemCallError) -> Bool {
    if let chunk {
      guard nextRecord < chunk.records.count else { return false }
      let r = chunk.records[nextRecord]
      nextRecord += 1
      key = UnsafeRawBufferPointer(start: chunk.keyAddress(r), count: Int(r.keyLength))
      line = UnsafeRawBufferPointer(start: chunk.lines.base + Int(r.lineOffset), count: Int(r.lineLength))
      sequence = r.sequence
      return true
    }
    guard try ensure(RunReader.header) else { return false }
    let base = buffer.baseAddress! + start
    let keyField = UInt32(littleEndian: base.loadUnaligned(as: UInt32.self))
    let ll = Int(UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 4, as: UInt32.self)))
    let seq = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
    let keyInLine = Int(UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 16, as: UInt32.self)))
    let inLine = keyField & 0x8000_0000 != 0
    let kl = Int(keyField & 0x7FFF_FFFF)
    let stored = inLine ? 0 : kl
    guard try ensure(RunReader.header + stored + ll) else { return false }
    let record = buffer.baseAddress! + start + RunReader.header
    line = UnsafeRawBufferPointer(start: record + stored, count: ll)
    key = inLine ? UnsafeRawBufferPointer(start: record + keyInLine, count: kl)
                 : UnsafeRawBufferPointer(start: record, count: kl)
    start += RunReader.header + stored + ll
    sequence = seq
    return true
  }

  /// True when this reader's record sorts before `other`'s.
  func precedes(_ other: RunReader) -> Bool {
    let a = key.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? UnsafePointer(bitPattern: 1)!
    let b = other.key.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? UnsafePointer(bitPattern: 1)!
    let c = order.compareKeys(a, key.count, b, other.key.count)
    if c != 0 { return c < 0 }
    return sequence > other.sequence
  }

  /// Makes `n` unread bytes available (moving the unread tail to the front first, which is why
  /// ``key`` and ``line`` are valid only until the next advance).
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
      let got = try Syscall.read(fd, into: UnsafeMutableRawBufferPointer(rebasing: buffer[end...]), path: "sort run")
      if got == 0 { return false }
      end += got
    }
    return true
  }
}
