import SystemCalls
import RadmindFormat

/// Reads directories on a second core while fsdiff's walk compares and prints, so that listing
/// and `lstat`ing (most of a walk's cost when nothing is hashed, and mostly system time) is
/// shared by two threads.
///
/// Scheduling follows the depth-first walk, as ``ChecksumPrefetcher`` does for files: each
/// directory the walk enters pushes its subdirectories as a list; the worker reads the next
/// directory of the most recently pushed list (the walk is about to enter it), and the walk pops
/// the list when it leaves. When the walk asks for a directory the worker has not started, it
/// claims it and reads it itself, so the two threads read different directories side by side.
///
/// A listing is only a hint: ``take(_:)`` returns nil for a directory it does not hold (the walk
/// reads it itself, with its own errors), so the output is what reading each directory on the
/// walk's thread gives, taken a bounded moment earlier.
///
/// Memory: listings read ahead hold at most ``maxObjects`` objects (plus the one being read).
final class DirectoryPrefetcher: CountedWaits, @unchecked Sendable {
  final class Job: PendingJob {
    let path: [UInt8]
    /// 0 pending, 1 being read (worker), 2 read, 3 taken, claimed or dropped.
    var state = 0
    /// nil once read: reading failed (the walk reads it again and reports the error).
    var objects: [FilesystemObject]?
    /// The walk passed it by while the worker was reading it.
    var dropped = false
    /// Its files were handed to the checksum prefetcher (``filesReadAhead(levels:)``).
    var harvested = false
    /// The checksum list its files join: the walk level of the list it or its ancestor was queued in.
    let level: Int
    /// Queued below the walk's lists (``nextDeeperJob()``): read, it is offered in ``deepQueue``.
    let deep: Bool
    /// Its subdirectories, once it is read and the lister looks below it (handed to the walk's
    /// list when the walk enters it).
    var children: [Job]?
    /// Children before this index have nothing left to read below them.
    var explored = 0
    /// Nothing left to read at or below it.
    var fullyExplored = false
    init(path: [UInt8], level: Int, deep: Bool = false) {
      self.path = path
      self.level = level
      self.deep = deep
    }
  }

  struct List: JobList {
    var jobs: [Job]
    /// The next job the worker may start.
    var next = 0
    /// The next job the walk may ask for (the walk asks in order).
    var cursor = 0
    /// Jobs before this one were harvested or will never be.
    var harvestFrom = 0
    /// Jobs before this one have nothing left to read below them.
    var deepFrom = 0
  }

  let monitor = Monitor(conditions: 1)
  var lists: [List] = []
  var readObjects = 0
  /// With checksums: when nothing is pending in the walk's lists, read below the directories
  /// already read ahead, so that the hasher has files to take (``nextDeeperJob()``).
  let readsDeeper: Bool
  /// Deep jobs in the order read, offered to the hasher from `deepHead` on.
  var deepQueue: [Job] = []
  var deepHead = 0
  /// The children of the directory ``take(_:)`` just returned, for the ``push(_:)`` that follows.
  var handedChildren: [Job]?
  /// Called, without the mutex, after the worker reads a directory while the hasher is
  /// ``starved`` (wakes it: the directory may hold files for it).
  var onRead: (() -> Void)?
  /// ``filesReadAhead(levels:)`` last found nothing: the hasher may be waiting for files.
  var starved = false
  var stopping = false
  var waiters = 0
  var thread: JoinableThread?

  let order: PathOrder
  let excludes: ExcludeRule
  let specials: [[UInt8]]
  let maxObjects: Int

  init(order: PathOrder, excludes: ExcludeRule, specials: [[UInt8]], maxObjects: Int = 16384, spins: Int = 100,
       readsDeeper: Bool = false) {
    self.spins = spins
    self.readsDeeper = readsDeeper
    self.order = order
    self.excludes = excludes
    self.specials = specials
    self.maxObjects = maxObjects
    startWorker()
  }

  /// Stops the worker and waits for it. Call once, when the walk is over.
  func stop() { stopWorker() }

  /// Whether the walk will enter `child`, as far as the worker can tell from the walk's own
  /// exclude rule (a wrong guess costs a directory read twice, or once for nothing).
  func mayEnter(_ child: FilesystemObject) -> Bool {
    child.kind == .directory && !(excludes.excludes(child.path) && !specials.contains(child.path))
  }

  /// The walk entered a directory with these `children`: queue its subdirectories.
  func push(_ children: [FilesystemObject]) {
    monitor.lock()
    var jobs: [Job] = []
    if let handed = handedChildren {
      jobs = handed  // read below ahead of the walk: the same subdirectories, some already read
      handedChildren = nil
    } else {
      for child in children where mayEnter(child) { jobs.append(Job(path: child.path, level: lists.count)) }
    }
    lists.append(List(jobs: jobs))
    wakeIfReadable()
    monitor.unlock()
  }

  /// The walk left the directory of the last pushed list: drop what it did not take.
  func pop() {
    monitor.lock()
    if let list = lists.popLast() {
      for j in list.jobs[list.cursor...] { drop(j) }
    }
    wakeIfReadable()
    monitor.unlock()
  }

  /// The listing of directory `path` (a subdirectory of the last pushed list's directory) if the
  /// worker read it; nil: read it yourself.
  func take(_ path: [UInt8]) -> [FilesystemObject]? {
    monitor.lock()
    defer { monitor.unlock() }
    handedChildren = nil
    guard !lists.isEmpty else { return nil }
    let k = lists.count - 1
    while lists[k].cursor < lists[k].jobs.count {
      let j = lists[k].jobs[lists[k].cursor]
      let cmp = order.compare(j.path, path)
      if cmp > 0 { return nil }
      lists[k].cursor += 1
      if cmp < 0 {
        drop(j)  // a directory the walk did not enter
        continue
      }
      // While the worker reads it, read the next pending directory rather than sit idle.
      while j.state == 1 {
        if readObjects < maxObjects, let other = nextJob() {
          run(other)
        } else if !spin(until: { j.state != 1 }) {
          wait(.walkForDirectory)
        }
      }
      if j.state == 2 {
        j.state = 3
        let objects = j.objects
        j.objects = nil
        handedChildren = j.children
        j.children = nil
        readObjects -= objects?.count ?? 0
        wakeIfReadable()
        return objects
      }
      j.state = 3
      return nil
    }
    return nil
  }

  /// The regular files of one directory read ahead of the walk and not yet handed out, with
  /// the depth of its parent in the walk (0: the root's list), searching the `levels` lowest
  /// lists deepest first. ``ChecksumPrefetcher`` hashes them when it has nothing else to do.
  func filesReadAhead(levels: Int) -> (level: Int, paths: [[UInt8]])? {
    monitor.lock()
    defer { monitor.unlock() }
    var k = min(levels, lists.count) - 1
    while k >= 0 {
      var i = max(lists[k].harvestFrom, lists[k].cursor)
      while i < lists[k].jobs.count {
        let j = lists[k].jobs[i]
        if j.state < 2 { break }  // not read yet: later ones are not either, mostly
        i += 1
        lists[k].harvestFrom = i
        guard j.state == 2, !j.harvested, let objects = j.objects else { continue }
        j.harvested = true
        var paths: [[UInt8]] = []
        for o in objects where o.kind == .file { paths.append(o.path) }
        if !paths.isEmpty { return (k, paths) }
      }
      k -= 1
    }
    return deepFilesReadAhead(levels: min(levels, lists.count))
  }

  /// Forgets `job` (mutex held).
  func drop(_ job: Job) {
    if let children = job.children {
      job.children = nil
      for c in children { drop(c) }
    }
    if job.state == 2 {
      readObjects -= job.objects?.count ?? 0
      job.objects = nil
    }
    if job.state == 1 { job.dropped = true } else { job.state = 3 }
  }

  /// Reads `job` (pending, taken by ``nextJob()``) with the mutex released; called and returns
  /// with the mutex held. A job dropped while it was read is forgotten at once.
  private func run(_ job: Job) {
    job.state = 1
    monitor.unlock()
    let objects = try? FilesystemObject.readDirectory(job.path, order: order)
    monitor.lock()
    if job.dropped {
      job.state = 3
    } else {
      job.objects = objects
      job.state = 2
      readObjects += objects?.count ?? 0
      if job.deep { deepQueue.append(job) }
    }
    wake()
  }

  /// Yields the mutex and the core a while until `condition` holds (mutex held on entry and
  /// exit); false if it still does not. Directories are read in tens of microseconds, less than
  /// a sleep and wake-up on the condition variable costs, so both threads poll briefly first.
  private func spin(until condition: () -> Bool) -> Bool {
    for _ in 0..<spins {
      monitor.unlock()
      Syscall.yieldProcessor()
      monitor.lock()
      if condition() { return true }
    }
    return false
  }

  /// Polls before sleeping on the condition (0: sleep at once).
  let spins: Int

  /// Whether ``nextJob()`` would find a job, without taking it (mutex held).
  private func hasPendingJob() -> Bool {
    for list in lists.reversed() {
      var i = list.next
      while i < list.jobs.count {
        if list.jobs[i].state == 0 { return true }
        i += 1
      }
    }
    return false
  }

  /// The next pending directory, the walk's current one first (mutex held).
  private func nextJob() -> Job? { nextPendingJob(&lists) }

  /// Set when the worker stopped at ``maxObjects``: it then reads again only once the walk has
  /// taken listings down to ``resumeObjects``, and is not woken before. Woken for every listing
  /// the walk took, it read one more directory and stopped again: a futex call and two context
  /// switches per directory (10,700 on /usr with checksums, where the walk is slow).
  var throttled = false
  var resumeObjects: Int { maxObjects - maxObjects / 4 }

  /// Whether the worker may read another directory now (mutex held).
  var mayRead: Bool { readObjects < (throttled ? resumeObjects : maxObjects) }

  /// Wakes the worker when it may read (mutex held): after the walk took or dropped listings, or
  /// queued directories.
  func wakeIfReadable() {
    if !throttled || readObjects < resumeObjects { wake() }
  }

  func work() {
    monitor.lock()
    while !stopping {
      guard mayRead, let job = nextJob() ?? nextDeeperJob() else {
        if readObjects >= maxObjects { throttled = true }
        if !spin(until: { stopping || (mayRead && hasPendingJob()) }) { wait(.listerIdle) }
        continue
      }
      throttled = false
      run(job)
      if starved, let onRead {
        starved = false
        monitor.unlock()
        onRead()
        monitor.lock()
      }
    }
    monitor.unlock()
  }
}
