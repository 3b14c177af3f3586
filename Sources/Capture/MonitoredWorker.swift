import SystemCalls

/// A walk's helper thread that shares one monitor with the walk (the directory prefetcher, the
/// subtree lister): started with the helper, stopped once when the walk is over. The worker's
/// loop ends when it sees `stopping` (read under the monitor).
protocol MonitoredWorker: AnyObject, Sendable {
  var monitor: Monitor { get }
  var stopping: Bool { get set }
  var thread: JoinableThread? { get set }
  func work()
}

extension MonitoredWorker {
  /// Starts the worker; when no thread can be made, the walk does all the work itself.
  func startWorker() {
    if case .success(let t) = JoinableThread.start({ [self] in work() }) { thread = t }
  }

  /// Tells the worker to stop, wakes it and waits for it.
  func stopWorker() {
    monitor.lock()
    stopping = true
    monitor.broadcast(0)
    monitor.unlock()
    thread?.join()
    thread = nil
  }
}

/// A worker whose threads count themselves while they wait, so that a state change wakes them
/// only when there are any (the prefetchers).
protocol CountedWaits: MonitoredWorker {
  /// Threads blocked in `Monitor.wait` (under the monitor).
  var waiters: Int { get set }
}

extension CountedWaits {
  /// Waits on the condition (mutex held), counted in ``waiters`` (and timed at `site`, see ``WaitStats``).
  func wait(_ site: WaitStats.Site) {
    waiters += 1
    WaitStats.timed(site) { monitor.wait(0) }
    waiters -= 1
  }

  /// Wakes waiting threads, if any (mutex held).
  func wake() {
    if waiters > 0 { monitor.broadcast(0) }
  }
}

/// A prefetcher's job: 0 while pending (other states are the prefetcher's own).
protocol PendingJob: AnyObject {
  var state: Int { get }
}

/// The jobs queued for one directory level, and the next one the worker may start.
protocol JobList {
  associatedtype Job: PendingJob
  var jobs: [Job] { get }
  var next: Int { get set }
}

/// The next pending job for the worker, the walk's current level first, then its parents'; jobs
/// passed over are not looked at again (mutex held).
@inline(__always)
func nextPendingJob<L: JobList>(_ lists: inout [L]) -> L.Job? {
  var k = lists.count - 1
  while k >= 0 {
    while lists[k].next < lists[k].jobs.count {
      let j = lists[k].jobs[lists[k].next]
      lists[k].next += 1
      if j.state == 0 { return j }
    }
    k -= 1
  }
  return nil
}
