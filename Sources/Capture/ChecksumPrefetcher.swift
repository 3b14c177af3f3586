import SystemCalls

/// Hashes files on a second core ahead of the walk, with bounded look-ahead, so that checksums
/// are ready when the ordered comparison asks for them. Output order and error behaviour do not
/// change: a prefetched result (or error) is used only if and when fsdiff needs that checksum,
/// exactly where radmind would compute it; anything not needed is dropped unreported.
///
/// Scheduling follows the depth-first walk: each directory read pushes its regular files as a
/// list; the worker always takes the next file of the most recently pushed list (the directory
/// the walk is in), and the walk pops a list when it leaves the directory. The main thread never
/// waits for a file the worker has not started: it claims it and hashes it itself.
final class ChecksumPrefetcher: CountedWaits, @unchecked Sendable {
  final class Job: PendingJob {
    let path: [UInt8]
    /// 0 pending, 1 running (worker), 2 done, 3 claimed by the main thread or dropped.
    var state = 0
    var result: [UInt8] = []
    var errno: Int32 = 0
    init(path: [UInt8]) { self.path = path }
  }

  /// A path as a dictionary key hashed in one call over its bytes (`[UInt8]`'s own `Hashable`
  /// feeds the hasher one byte at a time, which showed in profiles).
  struct PathKey: Hashable {
    let bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }
    func hash(into hasher: inout Hasher) {
      bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }
    static func == (a: PathKey, b: PathKey) -> Bool { a.bytes == b.bytes }
  }

  struct List: JobList {
    var jobs: [Job]
    var next = 0
  }

  let monitor = Monitor(conditions: 1, spinning: true)
  private var lists: [List] = []
  private var byPath: [PathKey: Job] = [:]
  /// Threads blocked in `Monitor.wait`: state changes wake them only when there are any.
  var waiters = 0
  private var doneWaiting = 0
  var stopping = false
  var thread: JoinableThread?
  private let digester: ContentDigester
  /// The main thread's digester for jobs it hashes while waiting (see ``take(_:)``).
  private let helperDigester: ContentDigester
  private let lookAhead: Int
  /// Directories read ahead of the walk: their files are hashed when nothing else is pending.
  private let directories: DirectoryPrefetcher?

  init(digester: ContentDigester, lookAhead: Int = 1024, directories: DirectoryPrefetcher? = nil) {
    self.directories = directories
    self.digester = digester.makeCopy()
    self.helperDigester = digester.makeCopy()
    self.lookAhead = lookAhead
    startWorker()
    // A directory read ahead may bring files to an idle hasher: wake it.
    directories?.setOnRead { [weak self] in self?.nudge() }
  }

  /// Wakes a waiting hasher to look for work again.
  private func nudge() {
    monitor.lock()
    wake()
    monitor.unlock()
  }

  /// Stops the worker and waits for it. Call once, when the walk is over.
  func stop() { stopWorker() }

  /// Queues the regular files of a directory just read; returns how many lists are open.
  func push(_ paths: [[UInt8]]) {
    monitor.lock()
    var jobs: [Job] = []
    jobs.reserveCapacity(paths.count)
    for p in paths where byPath[PathKey(p)] == nil {
      let j = Job(path: p)
      jobs.append(j)
      byPath[PathKey(p)] = j
    }
    lists.append(List(jobs: jobs))
    wake()
    monitor.unlock()
  }

  /// The walk left the directory of the last pushed list: forget its files not taken.
  func pop() {
    monitor.lock()
    if let list = lists.popLast() {
      for j in list.jobs where byPath[PathKey(j.path)] === j {
        byPath[PathKey(j.path)] = nil
        if j.state == 2 { doneWaiting -= 1 }
        if j.state == 0 { j.state = 3 }
      }
    }
    wake()
    monitor.unlock()
  }

  enum Outcome {
    case checksum([UInt8])
    case failed(Int32)
    /// Not prefetched (or not started): the caller hashes it.
    case notReady
  }

  /// The prefetched checksum of `path`. While the worker is hashing it right now, the main
  /// thread does not sit idle: it hashes the next pending job itself (the same one the worker
  /// would take next), so both cores stay busy on directories with a few large files.
  func take(_ path: [UInt8]) -> Outcome {
    monitor.lock()
    defer { monitor.unlock() }
    guard let j = byPath[PathKey(path)] else { return .notReady }
    byPath[PathKey(path)] = nil
    while j.state == 1 {
      if doneWaiting < lookAhead, let other = nextJob() {
        run(other, with: helperDigester)
      } else {
        wait(.walkForChecksum)
      }
    }
    if j.state == 2 {
      doneWaiting -= 1
      wake()
      return j.errno != 0 ? .failed(j.errno) : .checksum(j.result)
    }
    j.state = 3
    return .notReady
  }

  /// Hashes `job` (pending, taken by ``nextJob()``) with the mutex released; called and returns
  /// with the mutex held.
  private func run(_ job: Job, with digester: ContentDigester) {
    job.state = 1
    monitor.unlock()
    var result: [UInt8] = []
    var code: Int32 = 0
    var c = job.path
    c.append(0)
    c.withUnsafeBufferPointer { buf in
      buf.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buf.count) { p in
        do throws(DigestError) { result = try digester.checksum(path: p) } catch { code = error.errno }
      }
    }
    monitor.lock()
    job.result = result
    job.errno = code
    job.state = 2
    if byPath[PathKey(job.path)] === job { doneWaiting += 1 }
    wake()
  }


  private func nextJob() -> Job? {
    if let job = nextListedJob() { return job }
    // Nothing pending where the walk is: hash the files of a directory it will enter, queued
    // in the list of that directory's parent (the walk's directory at that depth).
    guard let directories, let found = directories.filesReadAhead(levels: lists.count) else { return nil }
    for p in found.paths where byPath[PathKey(p)] == nil {
      let j = Job(path: p)
      lists[found.level].jobs.append(j)
      byPath[PathKey(p)] = j
    }
    return nextListedJob()
  }

  private func nextListedJob() -> Job? { nextPendingJob(&lists) }

  func work() {
    monitor.lock()
    while !stopping {
      guard doneWaiting < lookAhead, let job = nextJob() else {
        wait(.hasherIdle)
        continue
      }
      run(job, with: digester)
    }
    monitor.unlock()
  }
}
