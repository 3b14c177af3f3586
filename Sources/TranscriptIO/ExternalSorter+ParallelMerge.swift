import RadmindFormat
import SystemCalls

/// Every `step`th record of a spilled run, kept in memory while the run is written: where the
/// record starts in the run, how many line bytes come before it, and its key. The parallel
/// merge uses it to find where a key range starts in each run without reading the run.
struct RunIndex: Sendable {
  static let step = 1024
  var offsets: [Int64] = []
  var lineBytes: [Int64] = []
  var keys: [[UInt8]] = []
  /// The run's size and its line bytes, once it is written.
  var totalBytes: Int64 = 0
  var totalLineBytes: Int64 = 0

  mutating func add(offset: Int64, lineBytes before: Int64, key: UnsafeRawBufferPointer) {
    offsets.append(offset)
    lineBytes.append(before)
    keys.append(Array(key))
  }
}

/// A sorted run on disk (unlinked; closed by the sorter) and its sparse index.
struct SpilledRun: Sendable {
  let fd: Int32
  let index: RunIndex
}

/// The final merge's sources: the spilled runs and the last chunk's two sorted halves.
struct MergeSources: @unchecked Sendable {
  // @unchecked: the chunks' arenas are only read during the merge.
  let runs: [SpilledRun]
  let low: ExternalSorter.Chunk
  let high: ExternalSorter.Chunk
  let order: PathOrder
  /// Read buffer per run and merge.
  let perRun: Int

  init(runs: [SpilledRun], low: ExternalSorter.Chunk, high: ExternalSorter.Chunk, order: PathOrder, memoryBudget: Int) {
    self.runs = runs
    self.low = low
    self.high = high
    self.order = order
    perRun = max(64 << 10, min(128 << 10, memoryBudget / max(1, 2 * runs.count)))
  }

  /// Where a key range starts in every source: a byte offset in each run, a record index in each
  /// half of the last chunk, and the line bytes of all sources before it (its output offset).
  struct Cut {
    var runOffsets: [Int64] = []
    /// Per run, the index entry at or before the cut: front-coded records decode from there.
    var runDecodeStarts: [Int64] = []
    var chunkRecords: [Int] = []
    var lineBytes: Int64 = 0
  }

  var chunks: [ExternalSorter.Chunk] { [low, high] }

  /// Readers of every source from `from` (or the start) to `to` (or the end).
  func readers(from: Cut?, to: Cut?) -> [RunReader] {
    var readers: [RunReader] = []
    for (i, run) in runs.enumerated() {
      readers.append(RunReader(fd: run.fd, bufferSize: perRun, order: order,
                               from: from?.runOffsets[i] ?? 0, to: to?.runOffsets[i] ?? .max,
                               decodeFrom: from?.runDecodeStarts[i]))
    }
    for (i, part) in chunks.enumerated() {
      let range = (from?.chunkRecords[i] ?? 0) ..< (to?.chunkRecords[i] ?? part.records.count)
      if !range.isEmpty { readers.append(RunReader(chunk: part, order: order, records: range)) }
    }
    return readers
  }

  /// Merges the records between two cuts (all of them without) into `output`.
  func merge(into output: BackgroundWriter, from: Cut? = nil, to: Cut? = nil) throws(SystemCallError) {
    try SortStats.timed(.finalMerge) { () throws(SystemCallError) in try mergeRange(into: output, from: from, to: to) }
  }

  private func mergeRange(into output: BackgroundWriter, from: Cut?, to: Cut?) throws(SystemCallError) {
    var live: [RunReader] = []
    for r in readers(from: from, to: to) where try r.advance() { live.append(r) }
    var tree = LoserTree(live)
    while let top = tree.winner {
      try output.append(top.line)
      try tree.advanceWinner()
    }
  }

  /// Merges on two threads into a new regular file: a splitter key divides the records into two
  /// key ranges (equal keys never straddle it, so ties keep their order), and the upper range
  /// is written from its exact output offset with `pwrite` while the lower one is written from
  /// the start. Whole blocks go past the page cache; the block the two ranges share is written
  /// last, through the cache, from both writers' held-back tails. False when this does not apply
  /// (one CPU, few records, not a fresh regular file): the caller merges on one thread.
  func mergeInTwo(into output: OutputBuffer) throws(SystemCallError) -> Bool {
    let fd = output.fd
    let records = runs.reduce(0) { $0 + $1.index.offsets.count * RunIndex.step } + low.records.count + high.records.count
    guard Syscall.onlineCPUs >= 2, records >= MergeSources.parallelMinimum,
          ((try? Syscall.fstat(fd, path: output.name))?.fileType ?? .unknown) == .regular,
          Syscall.currentOffset(fd) == 0, let splitter = splitterKey() else { return false }
    let cut = try self.cut(at: splitter)
    let total = runs.reduce(0) { $0 + $1.index.totalLineBytes }
      + chunks.reduce(0) { sum, c in c.records.reduce(sum) { $0 + Int64($1.lineLength) } }
    let block = Int64(BackgroundWriter.block)
    let shared = cut.lineBytes / block * block  // the block both ranges write into
    let first = BackgroundWriter(fd: fd, name: output.name, direct: true, at: 0)
    let second = BackgroundWriter(fd: fd, name: output.name, direct: true, at: shared)
    defer {
      first.stopQuietly()
      second.stopQuietly()
      _ = Syscall.setDirectIO(fd, false)
    }
    let upper = UpperHalf()
    let thread = JoinableThread.mustStart { [self] in
      do throws(SystemCallError) {
        // Stand-ins for the lower range's bytes in the shared block; overwritten at the end.
        for _ in shared ..< cut.lineBytes { try second.append(0 as UInt8) }
        try merge(into: second, from: cut)
        upper.result = .success(try second.finishHoldingTail())
      } catch {
        upper.result = .failure(error)
      }
    }
    var lower: Result<[UInt8], SystemCallError>
    do throws(SystemCallError) {
      try merge(into: first, to: cut)
      lower = .success(try first.finishHoldingTail())
    } catch {
      lower = .failure(error)
    }
    thread.join()
    _ = Syscall.setDirectIO(fd, false)
    let lowerTail = try lower.get(), upperTail = try upper.result.get()
    let path = Array(output.name.utf8)
    try Syscall.pwriteAll(fd, upperTail, at: total - Int64(upperTail.count), path: path)
    try Syscall.pwriteAll(fd, lowerTail, at: cut.lineBytes - Int64(lowerTail.count), path: path)
    try Syscall.seek(fd, to: total, path: output.name)
    return true
  }

  /// Below this many records the second thread is not worth starting.
  static let parallelMinimum = 1 << 16

  /// The upper range's outcome, set by its thread before it ends (read after the join).
  final class UpperHalf: @unchecked Sendable {
    var result: Result<[UInt8], SystemCallError> = .success([])
  }

  /// About the median key of all records: the middle of a sample made of every run's index keys
  /// and every `step`th record of the last chunk's halves (each stands for `step` records).
  func splitterKey() -> [UInt8]? {
    var samples: [[UInt8]] = runs.flatMap(\.index.keys)
    for part in chunks {
      for k in stride(from: 0, to: part.records.count, by: RunIndex.step) {
        let r = part.records[k]
        samples.append(Array(UnsafeRawBufferPointer(start: part.keyAddress(r), count: Int(r.keyLength))))
      }
    }
    guard samples.count >= 2 else { return nil }
    samples.sort { a, b in compare(a, b) < 0 }
    return samples[samples.count / 2]
  }

  func compare(_ a: [UInt8], _ b: [UInt8]) -> Int {
    a.withUnsafeBufferPointer { x in
      b.withUnsafeBufferPointer { y in
        order.compareKeys(x.baseAddress ?? UnsafePointer(bitPattern: 1)!, x.count, y.baseAddress ?? UnsafePointer(bitPattern: 1)!, y.count)
      }
    }
  }

  /// Where the records whose key is `>= key` start in every source.
  func cut(at key: [UInt8]) throws(SystemCallError) -> Cut {
    var cut = Cut()
    for run in runs {
      // The first index entry at or past the key; the records from the entry before it on are
      // read until the first one at or past the key.
      let entries = run.index
      var lo = 0, hi = entries.keys.count
      while lo < hi {
        let mid = (lo + hi) / 2
        if compare(entries.keys[mid], key) < 0 { lo = mid + 1 } else { hi = mid }
      }
      let end = lo < entries.offsets.count ? entries.offsets[lo] : entries.totalBytes
      let entry = lo == 0 ? 0 : entries.offsets[lo - 1]
      let scan = RunReader(fd: run.fd, bufferSize: 64 << 10, order: order, from: entry, to: end)
      var offset = end
      var before = lo == 0 ? 0 : entries.lineBytes[lo - 1]
      while try scan.advance() {
        if compareKey(scan.key, key) >= 0 {
          offset = scan.recordOffset
          break
        }
        before += Int64(scan.line.count)
      }
      cut.runOffsets.append(offset)
      cut.runDecodeStarts.append(offset == end ? end : entry)
      cut.lineBytes += before
    }
    for part in chunks {
      var lo = 0, hi = part.records.count
      while lo < hi {
        let mid = (lo + hi) / 2
        let r = part.records[mid]
        if compareKey(UnsafeRawBufferPointer(start: part.keyAddress(r), count: Int(r.keyLength)), key) < 0 { lo = mid + 1 } else { hi = mid }
      }
      cut.chunkRecords.append(lo)
      cut.lineBytes += part.records[..<lo].reduce(0) { $0 + Int64($1.lineLength) }
    }
    return cut
  }

  func compareKey(_ a: UnsafeRawBufferPointer, _ b: [UInt8]) -> Int {
    b.withUnsafeBufferPointer { y in
      order.compareKeys(a.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? UnsafePointer(bitPattern: 1)!, a.count,
                        y.baseAddress ?? UnsafePointer(bitPattern: 1)!, y.count)
    }
  }
}
