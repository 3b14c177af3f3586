/// Reading below the walk's lists, for fsdiff -c. The lister otherwise reads only the
/// subdirectories of the directories the walk is in, and runs out of work on trees whose files
/// sit a few levels down (`/usr/lib/x/lib/cmake/x/*.cmake`): then the hasher had nothing to take
/// and one core idled (measured with `LOADSMITH_WAIT_STATS=1`: 0.5–1 s of hasher waits on /usr).
///
/// A directory read ahead and not yet entered gets `children` jobs; the lister reads them depth
/// first, in walk order, within the same ``maxObjects`` bound. Each deep directory read joins
/// ``deepQueue`` so that the hasher can take its files; when the walk enters a directory, its
/// children (read or not) become the walk's list, so nothing is read twice.
extension DirectoryPrefetcher {
  /// Deep jobs read and not yet offered to the hasher, at most: the queue holds listings alive.
  static let maxDeepQueued = 256

  /// The next directory to read below those read ahead, deepest walk level first (mutex held).
  func nextDeeperJob() -> Job? {
    guard readsDeeper, deepQueue.count - deepHead < DirectoryPrefetcher.maxDeepQueued else { return nil }
    var k = lists.count - 1
    while k >= 0 {
      var i = max(lists[k].deepFrom, lists[k].cursor)
      var front = true
      while i < lists[k].jobs.count {
        let j = lists[k].jobs[i]
        if let found = pendingDescendant(j) { return found }
        if front && j.fullyExplored { lists[k].deepFrom = i + 1 } else { front = false }
        i += 1
      }
      k -= 1
    }
    return nil
  }

  /// The first pending job below `job`, depth first; marks what has nothing left to read.
  private func pendingDescendant(_ job: Job) -> Job? {
    if job.fullyExplored { return nil }
    guard job.state == 2, let objects = job.objects else {
      if job.state == 3 { job.fullyExplored = true }  // taken by the walk, or dropped
      return nil  // pending (the walk's list reads it) or being read
    }
    if job.children == nil {
      var children: [Job] = []
      for o in objects where mayEnter(o) { children.append(Job(path: o.path, level: job.level, deep: true)) }
      job.children = children
    }
    let children = job.children!
    var allExplored = true
    var i = job.explored
    while i < children.count {
      let c = children[i]
      if c.state == 0 { return c }
      if let found = pendingDescendant(c) { return found }
      if !c.fullyExplored {
        allExplored = false
      } else if allExplored {
        job.explored = i + 1
      }
      i += 1
    }
    if allExplored { job.fullyExplored = true }
    return nil
  }

  /// The regular files of the next deep directory read and not yet offered, with the checksum
  /// list they join; skips those the walk took or passed (mutex held).
  func deepFilesReadAhead(levels: Int) -> (level: Int, paths: [[UInt8]])? {
    defer {
      if deepHead > 1024 && deepHead * 2 > deepQueue.count {
        deepQueue.removeFirst(deepHead)
        deepHead = 0
      }
    }
    while deepHead < deepQueue.count {
      let j = deepQueue[deepHead]
      deepHead += 1
      guard j.level < levels, j.state == 2, !j.harvested, let objects = j.objects else { continue }
      j.harvested = true
      var paths: [[UInt8]] = []
      for o in objects where o.kind == .file { paths.append(o.path) }
      if !paths.isEmpty { return (j.level, paths) }
    }
    starved = true
    return nil
  }

  /// Sets the callback run after each directory the worker reads.
  func setOnRead(_ body: @escaping () -> Void) {
    monitor.lock()
    onRead = body
    monitor.unlock()
  }
}
