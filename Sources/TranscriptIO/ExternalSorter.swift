import Dispatch
import RadmindFormat
import Synchronization
import SystemCalls

/// Sorts lines by radmind path order with bounded memory: lines gather in a chunk until it
/// reaches the size ``ChunkSchedule`` gives (at most half the memory budget); a full chunk is
/// sorted in two parts, one on the caller's thread and one **on a second thread** (divided as
/// ``SortBalance`` measures), which spills both to anonymous run files while the caller fills
/// the next chunk; the runs are merged at the end (a loser tree; for a new regular file, on two
/// threads, see ``MergeSources/mergeInTwo(into:)``). Input that fits in one chunk never touches
/// the disk.
///
///     var sorter = ExternalSorter(order: .caseSensitive)
///     try sorter.add(line: bytes, encodedPath: pathToken)   // any number of times
///     try sorter.finish(into: output)
///
/// Ties (equal keys) come out in **reverse input order**, as radmind's lsort emits them (§10.1).
/// Run files are unlinked as soon as they are created, so an interrupted sort leaves nothing behind.
/// At most two chunks exist at once, so memory stays within `memoryBudget` whatever the input size.
public struct ExternalSorter: ~Copyable {
  struct Record {
    var keyOffset: Int      // in the key arena, or in the line arena with ``inLineArena`` set
    var keyLength: UInt32
    var lineOffset: UInt32
    var lineLength: UInt32
    var sequence: UInt64
    /// Once sorted: the key bytes shared with the previous record's key (in the padding).
    var shared: UInt32 = 0
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

    /// The records before `index` and from it on, as two chunks sharing these arenas: sorted
    /// and written apart, one on each thread.
    func split(at index: Int) -> (Chunk, Chunk) {
      var low = self, high = self
      low.records = Array(records[..<index])
      high.records = Array(records[index...])
      return (low, high)
    }

    /// Sorts the records (see ``PrefixCachingSort``). Keys in one chunk often share a long prefix
    /// (`/usr/local/...`): it is found once and skipped.
    mutating func sort(order: PathOrder) {
      SortStats.timed(.sortChunks) { sortRecords(order: order) }
    }

    private mutating func sortRecords(order: PathOrder) {
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
      let (sorted, shared) = keys.withUnsafeBufferPointer { k in
        lengths.withUnsafeBufferPointer { l in
          PrefixCachingSort.order(count: count, keys: k.baseAddress!, lengths: l.baseAddress!, skip: common, order: order)
        }
      }
      let unsorted = records
      records = sorted.indices.map { k in
        var r = unsorted[sorted[k]]
        r.shared = shared[k]
        return r
      }
    }

    /// Writes the (sorted) records to an unlinked temporary run file and returns its descriptor
    /// and sparse index.
    /// The records are copied from the arenas into a ``BackgroundWriter``, whose thread copies
    /// them into the page cache while the next records are gathered (never fsynced: the run is
    /// scratch). Writing runs with `O_DIRECT` was measured slower: reading them back then waits
    /// on the disk, where through the cache they are usually still in memory.
    func spill(in directory: String) throws(SystemCallError) -> SpilledRun {
      try SortStats.timed(.spillRuns) { () throws(SystemCallError) in try writeRun(in: directory) }
    }

    private func writeRun(in directory: String) throws(SystemCallError) -> SpilledRun {
      var template = Array("\(directory)/loadsmith-sort.XXXXXX".utf8)
      let fd: Int32
      do { fd = try Syscall.mkstemp(&template) } catch { throw SystemCallError("mkstemp", path: directory, errno: error.errno) }
      try? Syscall.unlink(template)
      let size = min(1 << 20, lines.count + keys.count + records.count * RunReader.header + 1)
      let out = BackgroundWriter(fd: fd, name: "sort run in \(directory)", bufferSize: size, buffers: 3)
      var index = RunIndex()
      var offset: Int64 = 0, lineBytes: Int64 = 0
      do {
        defer { out.stopQuietly() }
        for (k, r) in records.enumerated() {
          let key = UnsafeRawBufferPointer(start: keyAddress(r), count: Int(r.keyLength))
          let line = UnsafeRawBufferPointer(start: lines.base + Int(r.lineOffset), count: Int(r.lineLength))
          // Front coding: the key bytes shared with the previous record's key (the sort found
          // them) are left out. Sorted neighbours share most of their path, so a run is about
          // half its lines' size: writing runs into the page cache was a third of lsort's CPU.
          // A record at an index entry shares nothing, so reading can begin there.
          let entry = k % RunIndex.step == 0
          if entry { index.add(offset: offset, lineBytes: lineBytes, key: key) }
          let inLine = r.keyOffset & ExternalSorter.inLineArena != 0
          let shared = entry ? 0 : Int(r.shared)
          // Record: key length (high bit set when the key is a slice of the line), line length,
          // sequence, key offset in the line, shared key bytes; then for a key in the line, the
          // line before the key, the rest of the key and the line after it; for a separate key,
          // the rest of the key and the whole line.
          let keyField = r.keyLength | (inLine ? 0x8000_0000 : 0)
          let keyInLine = inLine ? (r.keyOffset & ~ExternalSorter.inLineArena) - Int(r.lineOffset) : 0
          let header = (keyField.littleEndian, r.lineLength.littleEndian, r.sequence.littleEndian,
                        UInt32(keyInLine).littleEndian, UInt32(shared).littleEndian)
          try withUnsafeBytes(of: header) { raw throws(SystemCallError) in
            try out.append(UnsafeRawBufferPointer(rebasing: raw[..<RunReader.header]))
          }
          if inLine {
            let keyEnd = keyInLine + key.count
            try out.append(UnsafeRawBufferPointer(rebasing: line[..<keyInLine]))
            try out.append(UnsafeRawBufferPointer(rebasing: line[(keyInLine + shared) ..< keyEnd]))
            try out.append(UnsafeRawBufferPointer(rebasing: line[keyEnd...]))
          } else {
            try out.append(UnsafeRawBufferPointer(rebasing: key[shared...]))
            try out.append(line)
          }
          offset += Int64(RunReader.header + line.count + (inLine ? 0 : key.count) - shared)
          lineBytes += Int64(r.lineLength)
        }
        try out.finish()
        index.totalBytes = offset
        index.totalLineBytes = lineBytes
      } catch {
        Syscall.closeQuietly(fd)
        throw error
      }
      return SpilledRun(fd: fd, index: index)
    }
  }

  /// Run files written so far, and the first spill error; shared with the spilling thread.
  final class Spills: Sendable {
    let state = Mutex<(runs: [SpilledRun], failure: SystemCallError?, spare: Chunk?, report: SortBalance.Report?)>(([], nil, nil, nil))
    let inFlight = DispatchSemaphore(value: 1)
    let queue = DispatchQueue(label: "loadsmith.sort.spill")
  }

  public let order: PathOrder
  public let memoryBudget: Int
  /// Set by ``finish(into:direct:)`` when the final merge ran on two threads.
  public private(set) var mergedOnTwoThreads = false
  private var chunk = Chunk()
  private var sequence: UInt64 = 0
  private var balance = SortBalance()
  /// Chunk bytes that make a chunk full (see ``ChunkSchedule``).
  private var schedule: ChunkSchedule
  private let spills = Spills()
  private let temporaryDirectory: String

  /// - Parameter memoryBudget: bytes of line and key data held at once; each of the (at most two)
  ///   chunks gets half.
  public init(order: PathOrder, memoryBudget: Int = 128 << 20, temporaryDirectory: String? = nil) {
    self.order = order
    self.memoryBudget = memoryBudget
    schedule = ChunkSchedule(largest: max(1, memoryBudget / 2))
    self.temporaryDirectory = temporaryDirectory
      ?? (Syscall.environment("TMPDIR") ?? "/tmp")
  }

  deinit {
    spills.inFlight.wait()
    spills.inFlight.signal()
    spills.state.withLock { state in
      for run in state.runs { Syscall.closeQuietly(run.fd) }
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
    if chunk.bytes >= schedule.size { try spillInBackground() }
  }

  /// Hands the full chunk to the spilling thread (waiting while the previous one is still being
  /// written) and starts a fresh one. The chunk is sorted in two parts, one on each thread, and
  /// each part becomes a run of its own: sorting is the larger part of the work, and the filling
  /// thread alone would otherwise sort while the spilling thread waits on the disk.
  private mutating func spillInBackground() throws(SystemCallError) {
    let asked = ContinuousClock.now
    spills.inFlight.wait()
    let waited = SortBalance.seconds(ContinuousClock.now - asked)
    let (failure, report) = spills.state.withLock { ($0.failure, $0.report) }
    if let failure {
      spills.inFlight.signal()
      throw failure
    }
    if let report {
      balance.adjust(waited: waited, idle: max(0, SortBalance.seconds(asked - report.finished)),
                     secondsPerRecord: report.secondsPerRecord, records: chunk.records.count)
    }
    schedule.consumed += chunk.bytes
    var full = chunk
    // Reuse the chunk the spilling thread finished with: its arenas are already grown and paged in.
    chunk = spills.state.withLock { state in
      defer { state.spare = nil }
      return state.spare
    } ?? Chunk()
    let (lowPart, highHalf) = full.split(at: balance.fillerRecords(of: full.records.count))
    var low = lowPart
    full.records.removeAll(keepingCapacity: true)
    let lowSorted = SortedHalf()
    let order = self.order, directory = temporaryDirectory, spills = self.spills
    let emptying = full
    spills.queue.async {
      var high = highHalf, full = emptying
      let sortStarted = ContinuousClock.now
      high.sort(order: order)
      let perRecord = SortBalance.seconds(ContinuousClock.now - sortStarted) / Double(max(1, high.records.count))
      let low = lowSorted.take()
      for part in [high, low] where !part.records.isEmpty {
        do throws(SystemCallError) {
          let run = try part.spill(in: directory)
          spills.state.withLock { $0.runs.append(run) }
        } catch {
          spills.state.withLock { $0.failure = $0.failure ?? error }
          break
        }
      }
      full.keys.count = 0
      full.lines.count = 0
      let emptied = full
      spills.state.withLock { state in
        if let old = state.spare { old.free() }
        state.spare = emptied
        state.report = SortBalance.Report(finished: ContinuousClock.now, secondsPerRecord: perRecord)
      }
      spills.inFlight.signal()
    }
    low.sort(order: order)
    lowSorted.put(low)
  }

  /// The half of a chunk the filling thread sorts, handed to the spilling thread.
  final class SortedHalf: @unchecked Sendable {
    // @unchecked: `chunk` is written once before `ready` is signalled and read after.
    private var chunk: Chunk?
    private let ready = DispatchSemaphore(value: 0)
    func put(_ c: Chunk) { chunk = c; ready.signal() }
    func take() -> Chunk { ready.wait(); return chunk! }
  }

  /// Writes every line, sorted, to `output`'s descriptor (everything written, not fsynced). The
  /// lines are written from a second thread (``BackgroundWriter``), with `direct` past the page
  /// cache when `output` is a new regular file.
  public mutating func finish(into output: OutputBuffer, direct: Bool = false) throws(SystemCallError) {
    try output.flush()
    let (runs, low, high) = try lastSources()
    defer {
      chunk.free()
      chunk = Chunk()
    }
    let sources = MergeSources(runs: runs, low: low, high: high, order: order, memoryBudget: memoryBudget)
    defer { SortStats.report() }
    if direct, try sources.mergeInTwo(into: output) {
      mergedOnTwoThreads = true
      return
    }
    let writer = BackgroundWriter(fd: output.fd, name: output.name, direct: direct)
    defer { writer.stopQuietly() }
    try sources.merge(into: writer)
    try writer.finish()
  }

  /// Waits for the last background spill, then sorts the last chunk (still in memory) as two
  /// halves on both threads: the runs and the two halves are the final merge's sources (the
  /// halves share the chunk's arenas, freed once the merge is done).
  private mutating func lastSources() throws(SystemCallError) -> ([SpilledRun], Chunk, Chunk) {
    spills.inFlight.wait()
    spills.inFlight.signal()
    let (runs, failure) = spills.state.withLock { state in
      state.spare?.free()
      state.spare = nil
      return (state.runs, state.failure)
    }
    if let failure { throw failure }
    let half = chunk.records.count / 2
    var (low, high) = chunk.split(at: half)
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
    return (runs, low, high)
  }
}

/// How large a chunk may grow before it is sorted and spilled. Small ones, because a chunk whose
/// lines fit in a core's cache sorts in about half the time per record: the radix levels read
/// every key again and again, from anywhere in the chunk, and those reads wait on memory (on the
/// 1.3M-line benchmark, chunks of 4 MiB against 64 MiB: 0.46 against 0.92 s of sorting CPU, and
/// 0.93 against 1.20 s of wall time with the larger final merge included). But every chunk
/// becomes two runs that the final merge reads at once, so past `smallest × growth` bytes of
/// input (256 MiB) a chunk grows with the input read so far (a 64th of it, up to half the memory
/// budget): the number of runs then grows with the logarithm of the input, not with its size,
/// until chunks reach their largest.
struct ChunkSchedule {
  static let smallest = 4 << 20
  static let growth = 64
  let largest: Int
  /// Chunk bytes handed over so far.
  var consumed = 0

  var size: Int { min(largest, max(ChunkSchedule.smallest, consumed / ChunkSchedule.growth)) }
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
