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
    switch ParallelMergePlan.make(fds: fds, names: names, sizes: sizes, order: inputs[0].order, step: max(1, settings.step)) {
    case .success(let made): plan = made
    case .failure(let refusal): return fallBack(refusal.reason)
    }

    let output = try LmergeTranscriptWriter(publisher.transcript)
    let work = PieceQueue(inputs: inputs, plan: plan, sizes: sizes, slots: 3 * workerCount)
    var workers: [JoinableThread] = []
    for _ in 0 ..< workerCount { workers.append(JoinableThread.mustStart { work.runWorker() }) }
    defer { for w in workers { w.join() } }

    var refusal: String?
    var lastPaths: [[UInt8]?] = Array(repeating: nil, count: inputs.count)
    let order = inputs[0].order
    do throws(LmergeFailure) {
      pieces: for p in 0 ..< plan.pieceCount {
        guard let piece = work.waitForPiece(p) else {
          refusal = work.laterRefusalSeen() ?? "a later piece"
          break
        }
        if let why = piece.refusal {
          refusal = why
          break
        }
        // Each input must go on in order across the cut (within a piece its reader checked).
        for j in 0 ..< inputs.count {
          guard let first = piece.firstPaths[j] else { continue }
          if let last = lastPaths[j], order.compareEncoded(first, last) <= 0 {
            refusal = "\(names[j]): bad order across a cut"
            break pieces
          }
          lastPaths[j] = piece.lastPaths[j]
        }
        try output.write(bytes: UnsafeRawBufferPointer(start: piece.bytes, count: piece.count))
        work.release(p)
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
    settings.report?.outcome.withLock { $0 = "parallel: \(plan.pieceCount) pieces" }
    return true
  }
}

/// The pieces in flight: workers take the next piece while fewer than `slots` are unwritten;
/// the writer takes them back in order.
private final class PieceQueue: @unchecked Sendable {
  // @unchecked: every field is guarded by `monitor`, and a piece's buffer belongs to its worker
  // until it is marked done, then to the writer until released.
  private let monitor = Monitor(conditions: 2)  // 0: a piece is done, 1: a slot is free
  private let inputs: [(fd: Int32, name: String, location: LoadsetLocation, order: PathOrder)]
  private let plan: ParallelMergePlan
  private let sizes: [Int64]
  private let slots: [ParallelMergePiece]
  private var done: [Bool]
  private var nextPiece = 0
  private var released = 0
  private var cancelled = false
  /// Why a piece the writer has not reached yet cannot be merged in parallel.
  private var laterRefusal: String?

  init(inputs: [MergeInput], plan: ParallelMergePlan, sizes: [Int64], slots count: Int) {
    self.inputs = inputs.map { ($0.reader.fd, $0.reader.name, $0.location, $0.order) }
    self.plan = plan
    self.sizes = sizes
    var bound = 0
    for p in 0 ..< plan.pieceCount { bound = max(bound, plan.byteBound(piece: p, sizes: sizes)) }
    slots = (0 ..< count).map { _ in ParallelMergePiece(capacity: min(bound, 64 << 20)) }
    done = Array(repeating: false, count: count)
  }

  /// A worker thread: merges pieces until none is left or the merge is cancelled.
  func runWorker() {
    while true {
      monitor.lock()
      while !cancelled && nextPiece < plan.pieceCount && nextPiece >= released + slots.count { monitor.wait(1) }
      if cancelled || nextPiece >= plan.pieceCount {
        monitor.unlock()
        return
      }
      let p = nextPiece
      nextPiece += 1
      monitor.unlock()

      let piece = slots[p % slots.count]
      let shares = inputs.indices.map { j in
        MergeInput(fd: inputs[j].fd, name: inputs[j].name, range: plan.range(piece: p, input: j),
                   location: inputs[j].location, order: inputs[j].order)
      }
      piece.merge(shares, expectedBytes: plan.byteBound(piece: p, sizes: sizes))

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
