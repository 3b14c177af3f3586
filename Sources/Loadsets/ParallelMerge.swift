import Synchronization
import SystemCalls
import RadmindFormat
import TranscriptIO

/// When and how `lmerge` merges on several cores (tests force it on small inputs).
struct ParallelMergeSettings: Sendable {
  enum Mode: Sendable { case automatic, always, never }
  /// `LOADSMITH_LMERGE_PARALLEL=0` turns the parallel merge off (to compare, or to rule it out).
  var mode: Mode = Syscall.environment("LOADSMITH_LMERGE_PARALLEL") == "0" ? .never : .automatic
  /// Cut paths are taken from every input about every this many bytes.
  var step: Int64 = 1 << 20
  /// Automatic mode merges in parallel only when the inputs hold at least this many bytes.
  var threshold: Int64 = 16 << 20
  /// Records what the last parallel attempt did, for tests.
  var report: ParallelMergeReport?
}

/// What a parallel merge attempt did: merged in parallel, or why it fell back.
final class ParallelMergeReport: Sendable {
  let outcome = Mutex<String?>(nil)
  init() {}
}

/// `lmerge -T` (no `-f`, no `-n`) on several cores. The inputs are cut into pieces of a few MB
/// by path (``ParallelMergePlan``); two worker threads merge pieces (``ParallelMergePiece``), at
/// most three per worker unwritten (memory stays bounded: a piece's buffer holds about 1 MB per
/// input), and the calling thread writes the finished pieces strictly in order to the
/// transcript writer.
///
/// The result is byte for byte the sequential merge's, or there is none: radmind's loop has
/// quirks that depend on lines outside a piece (a removal line is kept or dropped depending on
/// whether a lower input matched anything earlier in the same scan), and its messages name line
/// numbers. So a removal line anywhere, any input message (bad order, line or path too long, a
/// line without a path, a read error), or an input whose first line of a piece does not sort
/// after its last line of the previous piece abandons the parallel result: the temporary
/// transcript is emptied and ``Lmerge/merge`` runs from the start, producing radmind's messages
/// and exit status. The inputs' own readers are never touched here (pieces use `pread`), so they
/// are still where ``Lmerge/run`` left them.
enum ParallelMerge {
  /// True when the merge only copies lines, so the pieces can be merged independently.
  static func applies(_ o: LmergeOptions, inputCount: Int) -> Bool {
    o.transcriptOnly && !o.force && !o.noUpload && inputCount >= 2 && o.parallel.mode != .never
  }

  /// Merges in parallel into `publisher`'s transcript; false when it fell back (nothing written,
  /// the transcript empty again) and the sequential merge must run.
  static func run(_ inputs: [MergeInput], options o: LmergeOptions, publisher: LoadsetPublisher) throws(LmergeFailure) -> Bool {
    let settings = o.parallel
    func fallBack(_ why: String) -> Bool {
      settings.report?.outcome.withLock { $0 = "sequential: " + why }
      return false
    }
    let fds = inputs.map { $0.reader.fd }
    let names = inputs.map { $0.reader.name }
    var sizes: [Int64] = []
    for input in inputs {
      guard let st = try? Syscall.fstat(input.reader.fd, path: input.reader.name), st.fileType == .regular else {
        return fallBack("an input is not a regular file")
      }
      sizes.append(Int64(st.st_size))
    }
    let workerCount = settings.mode == .always ? 2 : min(2, Syscall.onlineCPUs)
    if settings.mode == .automatic && (sizes.reduce(0, +) < settings.threshold || workerCount < 2) {
      return fallBack("small input or one core")
    }
    let plan: ParallelMergePlan
    switch ParallelMergePlan.start(fds: fds, names: names, sizes: sizes, order: inputs[0].order, step: max(1, settings.step)) {
    case .success(let started): plan = started
    case .failure(let refusal): return fallBack(refusal.reason)
    }

    let output = try LmergeTranscriptWriter(publisher.transcript)
    let pieceBytes = inputs.count * (Int(min(max(1, settings.step), 32 << 20)) + (64 << 10))
    let work = PieceQueue(inputs: inputs, sizes: sizes, slots: 3 * workerCount, pieceBytes: pieceBytes)
    var workers: [JoinableThread] = []
    for _ in 0 ..< workerCount { workers.append(JoinableThread.mustStart { work.runWorker() }) }
    defer { for w in workers { w.join() } }

    var refusal: String?
    var lastPaths: [[UInt8]?] = Array(repeating: nil, count: inputs.count)
    let order = inputs[0].order
    /// Writes piece `p`; false (with `refusal` set) when the merge must be sequential.
    func write(_ piece: ParallelMergePiece, _ p: Int) throws(LmergeFailure) -> Bool {
      if let why = piece.refusal {
        refusal = why
        return false
      }
      // Each input must go on in order across the cut (within a piece its reader checked).
      for j in 0 ..< inputs.count {
        guard let first = piece.firstPaths[j] else { continue }
        if let last = lastPaths[j], order.compareEncoded(first, last) <= 0 {
          refusal = "\(names[j]): bad order across a cut"
          return false
        }
        lastPaths[j] = piece.lastPaths[j]
      }
      try output.write(bytes: UnsafeRawBufferPointer(start: piece.bytes, count: piece.count))
      work.release(p)
      return true
    }
    do throws(LmergeFailure) {
      var p = 0
      var planning = true
      pieces: while true {
        if planning {
          // One more cut, then whatever pieces are already merged: the disk starts early.
          switch plan.nextRow() {
          case .failure(let why):
            refusal = why.reason
            break pieces
          case .success(let row?): work.publish(row)
          case .success(nil):
            work.publish(nil)
            planning = false
          }
          if let why = work.laterRefusalSeen() {
            refusal = why
            break
          }
          while let piece = work.pieceIfDone(p) {
            guard try write(piece, p) else { break pieces }
            p += 1
          }
          continue
        }
        guard p < work.pieceCount else { break }
        guard let piece = work.waitForPiece(p) else {
          refusal = work.laterRefusalSeen() ?? "a later piece"
          break
        }
        guard try write(piece, p) else { break }
        p += 1
      }
    } catch {
      work.cancel()
      output.stop()
      throw error
    }
    if let refusal {
      work.cancel()
      output.stop()
      do {
        try Syscall.ftruncate(publisher.transcript.fd, 0, path: publisher.transcript.name)
        try Syscall.rewind(publisher.transcript.fd, path: publisher.transcript.name)
      } catch {
        throw LmergeFailure(Array(error.description.utf8))
      }
      return fallBack(refusal)
    }
    try output.finish()
    settings.report?.outcome.withLock { $0 = "parallel: \(work.pieceCount) pieces" }
    return true
  }
}

/// The pieces in flight: the writer publishes the plan's rows as it finds them; workers take
/// the next piece whose end is known while fewer than `slots` are unwritten; the writer takes
/// them back in order.
private final class PieceQueue: @unchecked Sendable {
  // @unchecked: every field is guarded by `monitor`, and a piece's buffer belongs to its worker
  // until it is marked done, then to the writer until released.
  private let monitor = Monitor(conditions: 2)  // 0: a piece is done, 1: a slot is free or a row is published
  private let inputs: [(fd: Int32, name: String, location: LoadsetLocation, order: PathOrder)]
  private let sizes: [Int64]
  private let slots: [ParallelMergePiece]
  private var done: [Bool]
  /// The plan's rows published so far (piece `p` runs from row `p` to row `p + 1`).
  private var rows: [[Int64]]
  private var planComplete = false
  private var nextPiece = 0
  private var released = 0
  private var cancelled = false
  /// Why a piece the writer has not reached yet cannot be merged in parallel.
  private var laterRefusal: String?

  init(inputs: [MergeInput], sizes: [Int64], slots count: Int, pieceBytes: Int) {
    self.inputs = inputs.map { ($0.reader.fd, $0.reader.name, $0.location, $0.order) }
    self.sizes = sizes
    rows = [Array(repeating: 0, count: inputs.count)]
    slots = (0 ..< count).map { _ in ParallelMergePiece(capacity: min(pieceBytes, 64 << 20)) }
    done = Array(repeating: false, count: count)
  }

  /// Adds the plan's next row; nil: the plan is complete.
  func publish(_ row: [Int64]?) {
    monitor.lock()
    if let row { rows.append(row) } else { planComplete = true }
    monitor.broadcast(1)
    monitor.unlock()
  }

  /// The number of pieces, once the plan is complete.
  var pieceCount: Int {
    monitor.lock()
    defer { monitor.unlock() }
    return rows.count - 1
  }

  /// A worker thread: merges pieces until none is left or the merge is cancelled.
  func runWorker() {
    while true {
      monitor.lock()
      while !cancelled && (nextPiece + 1 >= rows.count ? !planComplete : nextPiece >= released + slots.count) {
        monitor.wait(1)
      }
      if cancelled || nextPiece + 1 >= rows.count {
        monitor.unlock()
        return
      }
      let p = nextPiece
      nextPiece += 1
      let from = rows[p], to = rows[p + 1]
      monitor.unlock()

      let piece = slots[p % slots.count]
      let shares = inputs.indices.map { j in
        MergeInput(fd: inputs[j].fd, name: inputs[j].name, range: from[j] ..< to[j],
                   location: inputs[j].location, order: inputs[j].order)
      }
      piece.merge(shares, expectedBytes: ParallelMergePlan.byteBound(from: from, to: to, sizes: sizes))

      monitor.lock()
      done[p % slots.count] = true
      if let why = piece.refusal, laterRefusal == nil {
        laterRefusal = why   // the whole merge will be sequential: stop early
        cancelled = true
        monitor.broadcast(1)
      }
      monitor.broadcast(0)
      monitor.unlock()
    }
  }

  /// Piece `p` if it is merged already (the writer asks for 0, 1, 2, ... in turn), without waiting.
  func pieceIfDone(_ p: Int) -> ParallelMergePiece? {
    monitor.lock()
    defer { monitor.unlock() }
    return p < nextPiece && done[p % slots.count] ? slots[p % slots.count] : nil
  }

  /// Waits until piece `p` is merged (the writer calls this for 0, 1, 2, ... in turn); nil when
  /// a piece cannot be merged in parallel (see ``laterRefusalSeen()``), so that `p` may never be.
  func waitForPiece(_ p: Int) -> ParallelMergePiece? {
    monitor.lock()
    defer { monitor.unlock() }
    while !done[p % slots.count] {
      if laterRefusal != nil { return nil }
      monitor.wait(0)
    }
    return slots[p % slots.count]
  }

  /// ``laterRefusal``, read under the lock.
  func laterRefusalSeen() -> String? {
    monitor.lock()
    defer { monitor.unlock() }
    return laterRefusal
  }

  /// The writer is done with piece `p`: its slot takes a later piece.
  func release(_ p: Int) {
    monitor.lock()
    done[p % slots.count] = false
    released = p + 1
    monitor.broadcast(1)
    monitor.unlock()
  }

  /// Stops handing out pieces (the pieces being merged still finish).
  func cancel() {
    monitor.lock()
    cancelled = true
    monitor.broadcast(1)
    monitor.unlock()
  }
}
