#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

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
    max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
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
    var threads: [pthread_t] = []
    for _ in 0..<threadCount {
      let worker = Worker(state: shared, hasher: makeHasher())
      let arg = Unmanaged.passRetained(worker).toOpaque()
      var tid = pthread_t()
      let rc = pthread_create(&tid, nil, { raw in
        let worker = Unmanaged<Worker>.fromOpaque(raw!).takeRetainedValue()
        worker.loop()
        return nil
      }, arg)
      if rc != 0 {
        Unmanaged<Worker>.fromOpaque(arg).release()
        break
      }
      threads.append(tid)
    }
    defer {
      shared.stop()
      for t in threads { pthread_join(t, nil) }
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
  // @unchecked: every mutable field is read and written only with `mutex` held.
  let window: Int
  let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
  let workAvailable = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
  let resultReady = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
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
    pthread_mutex_init(mutex, nil)
    pthread_cond_init(workAvailable, nil)
    pthread_cond_init(resultReady, nil)
  }

  deinit {
    pthread_cond_destroy(resultReady); resultReady.deallocate()
    pthread_cond_destroy(workAvailable); workAvailable.deallocate()
    pthread_mutex_destroy(mutex); mutex.deallocate()
  }

  /// Called by the consumer: appends a job. `nil` is a place-keeping job, done at once.
  func submit(_ path: [UInt8]?) {
    pthread_mutex_lock(mutex)
    let slot = submitted % window
    paths[slot] = path
    results[slot] = nil
    done[slot] = path == nil
    submitted += 1
    if path != nil { pthread_cond_signal(workAvailable) }
    pthread_mutex_unlock(mutex)
  }

  /// Called by the consumer: waits for job number `sequence` (the oldest undelivered one) and
  /// returns its result.
  func takeResult(sequence: Int) -> Result<FileDigest, FileHashError>? {
    let slot = sequence % window
    pthread_mutex_lock(mutex)
    while !done[slot] {
      awaitedSlot = slot
      pthread_cond_wait(resultReady, mutex)
    }
    awaitedSlot = -1
    let r = results[slot]
    results[slot] = nil
    paths[slot] = nil
    done[slot] = false
    // The consumer can overtake the workers' dispatch cursor on place-keeping jobs. Move the
    // cursor along, or a worker would later read this slot again once a newer job reuses it.
    if dispatched <= sequence { dispatched = sequence + 1 }
    pthread_mutex_unlock(mutex)
    return r
  }

  func stop() {
    pthread_mutex_lock(mutex)
    stopping = true
    pthread_cond_broadcast(workAvailable)
    pthread_mutex_unlock(mutex)
  }

  /// Called by a worker: the next job to hash, or nil when the pool stops.
  func nextJob() -> (slot: Int, path: [UInt8])? {
    pthread_mutex_lock(mutex)
    defer { pthread_mutex_unlock(mutex) }
    while true {
      if stopping { return nil }
      while dispatched < submitted, paths[dispatched % window] == nil { dispatched += 1 }
      if dispatched < submitted {
        let slot = dispatched % window
        dispatched += 1
        return (slot, paths[slot]!)
      }
      pthread_cond_wait(workAvailable, mutex)
    }
  }

  func finish(slot: Int, result: Result<FileDigest, FileHashError>) {
    pthread_mutex_lock(mutex)
    results[slot] = result
    done[slot] = true
    if slot == awaitedSlot { pthread_cond_signal(resultReady) }
    pthread_mutex_unlock(mutex)
  }
}

private final class Worker {
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
