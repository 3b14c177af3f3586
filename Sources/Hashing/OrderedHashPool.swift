import SystemCalls

/// Hashes a stream of files on several threads and hands the results back **in submission
/// order** to a consumer running on the calling thread.
///
///     let pool = OrderedHashPool(algorithm: sha1)
///     var lines = transcript.makeIterator()
///     pool.run(next: { lines.next().map { (path: $0.storedFile, context: $0) } },
///              deliver: { line, result in print(line, result!); return true })
///
/// * `next` is called on the calling thread for the next job: a path to hash, or `nil` for a job
///   that only has to keep its place in the order (a transcript line with no file). It returns
///   `nil` when there are no more jobs.
/// * `deliver` is called on the calling thread, once per job, in the order `next` produced them,
///   with the job's context and its result (`nil` for a place-keeping job). Returning `false`
///   stops the run: outstanding jobs are abandoned and `run` returns.
///
/// Memory is bounded by `window` (jobs in flight, each holding its context and path) plus one
/// buffer per thread, whatever the number of jobs. Threads are POSIX threads created by `run` and
/// joined before it returns (also when a closure throws). Contexts never leave the calling thread.
public final class OrderedHashPool {
  public let algorithm: DigestAlgorithm
  public let threadCount: Int
  public let window: Int
  public let bufferSize: Int
  /// Each worker's ``FileHasher/regularFilesOnly``.
  public let regularFilesOnly: Bool

  /// The number of online CPUs.
  public static var availableCPUs: Int {
    Syscall.onlineCPUs
  }

  /// - Parameters:
  ///   - threads: worker threads; 0 hashes on the calling thread (no parallelism, same order).
  ///   - window: most jobs between the oldest undelivered one and the newest submitted one.
  public init(algorithm: DigestAlgorithm, threads: Int = OrderedHashPool.availableCPUs,
              window: Int = 2048, bufferSize: Int = 1 << 20, regularFilesOnly: Bool = false) {
    precondition(window > 0 && threads >= 0)
    self.regularFilesOnly = regularFilesOnly
    self.algorithm = algorithm
    self.threadCount = threads
    self.window = window
    self.bufferSize = bufferSize
  }

  func makeHasher() -> FileHasher {
    let hasher = FileHasher(algorithm: algorithm, bufferSize: bufferSize)
    hasher.regularFilesOnly = regularFilesOnly
    return hasher
  }

  public func run<Context>(
    next: () throws -> (path: [UInt8]?, context: Context)?,
    deliver: (Context, Result<FileDigest, FileHashError>?) throws -> Bool
  ) rethrows {
    if threadCount == 0 {
      let hasher = makeHasher()
      while let job = try next() {
        let result = job.path.map { hasher.hash(path: $0) }
        if try !deliver(job.context, result) { return }
      }
      return
    }

    let shared = PoolState(window: window)
    var threads: [JoinableThread] = []
    for _ in 0..<threadCount {
      let worker = Worker(state: shared, hasher: makeHasher())
      guard case .success(let thread) = JoinableThread.start({ worker.loop() }) else { break }
      threads.append(thread)
    }
    defer {
      shared.stop()
      for t in threads { t.join() }
    }
    if threads.isEmpty {
      // Could not start any thread: degrade to hashing inline, same contract.
      let hasher = makeHasher()
      while let job = try next() {
        if try !deliver(job.context, job.path.map { hasher.hash(path: $0) }) { return }
      }
      return
    }

    var contexts = [Context?](repeating: nil, count: window)
    var submitted = 0, delivered = 0
    var ended = false
    while true {
      while !ended && submitted - delivered < window {
        guard let job = try next() else { ended = true; break }
        contexts[submitted % window] = job.context
        shared.submit(job.path)
        submitted += 1
      }
      if delivered == submitted { break }  // only when ended
      let slot = delivered % window
      let result = shared.takeResult(sequence: delivered)
      let context = contexts[slot]!
      contexts[slot] = nil
      delivered += 1
      if try !deliver(context, result) { return }
    }
  }
}

/// The state the calling thread shares with the workers, guarded by one mutex.
private final class PoolState: @unchecked Sendable {
  // @unchecked: every mutable field is read and written only with `monitor` locked.
  let window: Int
  let monitor = Monitor(conditions: 2)
  static let workAvailable = 0, resultReady = 1
  var paths: [[UInt8]?]
  var results: [Result<FileDigest, FileHashError>?]
  var done: [Bool]
  var submitted = 0
  var dispatched = 0
  var stopping = false
  /// The slot the consumer is blocked on, or -1: workers wake it only for that slot.
  var awaitedSlot = -1

  init(window: Int) {
    self.window = window
    paths = Array(repeating: nil, count: window)
    results = Array(repeating: nil, count: window)
    done = Array(repeating: false, count: window)
  }

  /// Called by the consumer: appends a job. `nil` is a place-keeping job, done at once.
  func submit(_ path: [UInt8]?) {
    monitor.lock()
    let slot = submitted % window
    paths[slot] = path
    results[slot] = nil
    done[slot] = path == nil
    submitted += 1
    if path != nil { monitor.signal(Self.workAvailable) }
    monitor.unlock()
  }

  /// Called by the consumer: waits for job number `sequence` (the oldest undelivered one) and
  /// returns its result.
  func takeResult(sequence: Int) -> Result<FileDigest, FileHashError>? {
    let slot = sequence % window
    monitor.lock()
    while !done[slot] {
      awaitedSlot = slot
      monitor.wait(Self.resultReady)
    }
    awaitedSlot = -1
    let r = results[slot]
    results[slot] = nil
    paths[slot] = nil
    done[slot] = false
    // The consumer can overtake the workers' dispatch cursor on place-keeping jobs. Move the
    // cursor along, or a worker would later read this slot again once a newer job reuses it.
    if dispatched <= sequence { dispatched = sequence + 1 }
    monitor.unlock()
    return r
  }

  func stop() {
    monitor.lock()
    stopping = true
    monitor.broadcast(Self.workAvailable)
    monitor.unlock()
  }

  /// Called by a worker: the next job to hash, or nil when the pool stops.
  func nextJob() -> (slot: Int, path: [UInt8])? {
    monitor.lock()
    defer { monitor.unlock() }
    while true {
      if stopping { return nil }
      while dispatched < submitted, paths[dispatched % window] == nil { dispatched += 1 }
      if dispatched < submitted {
        let slot = dispatched % window
        dispatched += 1
        return (slot, paths[slot]!)
      }
      monitor.wait(Self.workAvailable)
    }
  }

  func finish(slot: Int, result: Result<FileDigest, FileHashError>) {
    monitor.lock()
    results[slot] = result
    done[slot] = true
    if slot == awaitedSlot { monitor.signal(Self.resultReady) }
    monitor.unlock()
  }
}

/// One worker's hasher; handed to its thread at start and used only there.
private final class Worker: @unchecked Sendable {
  let state: PoolState
  let hasher: FileHasher
  init(state: PoolState, hasher: FileHasher) {
    self.state = state
    self.hasher = hasher
  }
  func loop() {
    while let job = state.nextJob() {
      state.finish(slot: job.slot, result: hasher.hash(path: job.path))
    }
  }
}
