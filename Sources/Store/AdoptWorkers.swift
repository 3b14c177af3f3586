import Dispatch
import Synchronization

/// What `adopt` found for one loadset of `transcript/`, made on any worker thread and merged
/// into the run's report in name order (so the report, the staged metadata and the history are
/// the same as one thread's).
struct AdoptOutcome: Sendable {
  var report = AdoptReport()
  /// The loadset adopted here, and its history checksum; nil when known already or refused.
  var staged: (name: String, checksum: String)?
}

extension AdoptReport {
  /// Appends `other`'s lines and counts after this report's.
  mutating func append(_ other: AdoptReport) {
    adopted += other.adopted
    foreign += other.foreign
    known += other.known
    pointers += other.pointers
    refused += other.refused
    problems += other.problems
    notes += other.notes
    files += other.files
    bytes += other.bytes
  }
}

extension LoadsetStore {
  /// Indexes each candidate (reads its transcript, `fstatat`s its stored files, stages its
  /// metadata): loadsets are independent, so without `verify` they are shared among up to
  /// `threads` threads (a loadset's stats and a neighbour's transcript parsing overlap on two
  /// cores). With `verify` one at a time: each hashing pass uses every thread already.
  /// Outcomes come back in `candidates`' order; the first error in that order is thrown.
  func adoptEach(_ candidates: [(name: String, loadsmith: LoadsetName?)], known: Set<String>, verify: Bool,
                 threads: Int, staging: AdoptMetaStaging) throws(StoreError) -> [AdoptOutcome] {
    let context = AdoptContext()
    let workers = verify ? 1 : max(1, min(threads, candidates.count))
    if workers == 1 {
      var context = context
      var outcomes: [AdoptOutcome] = []
      outcomes.reserveCapacity(candidates.count)
      for candidate in candidates {
        outcomes.append(try adoptOne(candidate, known: known, verify: verify, threads: threads, staging: staging, context: &context))
      }
      return outcomes
    }
    let results = Mutex<[Result<AdoptOutcome, StoreError>?]>(Array(repeating: nil, count: candidates.count))
    let next = Atomic<Int>(0)
    DispatchQueue.concurrentPerform(iterations: workers) { _ in
      var context = context
      while true {
        let i = next.add(1, ordering: .relaxed).oldValue
        if i >= candidates.count { return }
        let result: Result<AdoptOutcome, StoreError>
        do throws(StoreError) {
          result = .success(try adoptOne(candidates[i], known: known, verify: verify, threads: threads, staging: staging, context: &context))
        } catch {
          result = .failure(error)
        }
        results.withLock { $0[i] = result }
      }
    }
    var outcomes: [AdoptOutcome] = []
    outcomes.reserveCapacity(candidates.count)
    for result in results.withLock({ $0 }) {
      switch result {
      case .success(let outcome): outcomes.append(outcome)
      case .failure(let error): throw error
      case nil: throw StoreError(.system, "adopt: a worker left a loadset unindexed")
      }
    }
    return outcomes
  }

  /// One candidate: known (with `verify`, checked as `verify` does), refused (its transcript
  /// cannot be read as radmind's), or adopted with its metadata staged.
  func adoptOne(_ candidate: (name: String, loadsmith: LoadsetName?), known: Set<String>, verify: Bool, threads: Int,
                staging: AdoptMetaStaging, context: inout AdoptContext) throws(StoreError) -> AdoptOutcome {
    var outcome = AdoptOutcome()
    let name = candidate.name
    if known.contains(name) {
      outcome.report.known += 1
      if verify { try verifyAdopted(name, threads: threads, into: &outcome.report) }
      return outcome
    }
    let meta: Metadata
    do throws(StoreError) {
      meta = try adoptedMetadata(name, series: candidate.loadsmith, verify: verify, threads: threads,
                                 context: &context, into: &outcome.report)
    } catch {
      outcome.report.refused.append("transcript/\(name): \(error.message.hasPrefix(name + ": ") ? String(error.message.dropFirst(name.count + 2)) : error.message): not adopted (nothing changed; fix or remove the transcript and run adopt again)")
      return outcome
    }
    try staging.write(name, Array(meta.text.utf8))
    outcome.staged = (name, meta.loggedChecksum)
    outcome.report.adopted.append(name)
    if candidate.loadsmith == nil { outcome.report.foreign.append(name) }
    outcome.report.files += Int(meta["files"] ?? "") ?? 0
    outcome.report.bytes += Int64(meta["bytes"] ?? "") ?? 0
    return outcome
  }
}
