import SystemCalls
import Hashing

extension LoadsetStore {
  /// The subject of a staging-leftovers problem in ``VerifyReport/suspects``.
  static let stagingSubject = ".loadsmith/tmp"

  /// How long `verify` waits for the writer lock to re-check what it suspects.
  static let recheckWait = 10.0

  /// `loadsmith verify [NAME]`: the store's fsck (what is checked: ``verifyPass(_:only:inProgress:threads:)``).
  ///
  /// The main pass reads without the lock, so writers are never held up by it; a writer working
  /// meanwhile can make the store look wrong for a moment (a staging directory, a file directory
  /// published before its transcript, a pointer moved to a loadset published after the listing,
  /// a loadset half removed by a prune). So nothing is called a problem on that pass alone:
  /// whatever it suspects is checked again holding the writer lock (after finishing any
  /// interrupted change, as the next writer would), briefly and only for the suspected subjects.
  /// What is gone by then was a writer in progress and becomes a note; what remains is a problem.
  /// If writers hold the lock for longer than ``recheckWait`` seconds, the suspicions are reported
  /// as unconfirmed notes.
  package func verify(_ filter: String? = nil, threads: Int = OrderedHashPool.availableCPUs) throws(StoreError) -> VerifyReport {
    var inProgress = false
    if tryLock() {
      defer { unlock() }
      try recover()
    } else {
      inProgress = Syscall.exists(intentPath)
    }
    var report = try verifyPass(filter, only: nil, inProgress: inProgress, threads: threads)
    if inProgress { report.notes.insert("a writer is changing the store; pointer pairs may disagree until it finishes", at: 0) }
    if report.problems.isEmpty { return report }

    let canWrite: Bool
    switch lockForRecheck(waitingAtMost: LoadsetStore.recheckWait) {
    case .unavailable:
      // No lock file to lock (a damaged store): the problems stand as found.
      return report
    case .busy:
      report.notes += report.problems.map { "unconfirmed (a writer holds the store lock): \($0)" }
      report.notes.append("writers held the store lock for \(Int(LoadsetStore.recheckWait)) s, so \(report.problems.count) suspected problem(s) could not be re-checked; run verify again when they are done")
      report.problems = []
      return report
    case .locked(let writable):
      canWrite = writable
    }
    defer { unlock() }
    // A reader that may not write the store re-checks without finishing interrupted changes.
    if canWrite { try recover() }
    let recheck = try verifyPass(filter, only: report.suspects, inProgress: false, threads: threads)
    let confirmed = Set(recheck.problems)
    for problem in report.problems where !confirmed.contains(problem) {
      report.notes.append("\(problem) (while a writer worked; not so under the store lock)")
    }
    for note in recheck.notes where !report.notes.contains(note) { report.notes.append(note) }
    report.problems = recheck.problems
    report.suspects = recheck.suspects
    return report
  }

  enum RecheckLock { case locked(canWrite: Bool), busy, unavailable }

  /// Takes the writer lock, polling for at most `seconds`. `flock` needs no write access, so a
  /// user who may only read the store locks through a read-only descriptor.
  func lockForRecheck(waitingAtMost seconds: Double) -> RecheckLock {
    var canWrite = true
    let fd: Int32
    if let writable = try? Syscall.open(lockPath, [.readWrite]) { fd = writable } else {
      canWrite = false
      guard let readable = try? Syscall.open(lockPath, [.readOnly]) else { return .unavailable }
      fd = readable
    }
    let start = Syscall.monotonicSeconds()
    while (try? Syscall.flock(fd, exclusive: true, nonBlocking: true, path: lockPath)) == nil {
      if Syscall.monotonicSeconds() - start >= seconds {
        Syscall.closeQuietly(fd)
        return .busy
      }
      Clock.sleep(microseconds: 5_000)
    }
    lockDescriptor = fd
    return .locked(canWrite: canWrite)
  }
}
