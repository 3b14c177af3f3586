import SystemCalls
import TranscriptIO

/// An intent is written only when it can be finished, and a pending one that still cannot be
/// finished (a step failed after the record was written: EIO, a full disk, a hand-edited store)
/// never wedges the store: every writer and `verify` name it and its reason, and
/// `loadsmith recover` rolls it forward if every part it needs is there, else back.
extension LoadsetStore {
  /// What would keep `intent` from being carried out to the end, one sentence each; empty when
  /// every part it needs is there. Checked before the record is written (so a change that could
  /// not finish is refused with nothing changed) and again before a pending record is applied.
  func obstacles(to intent: Intent) -> [String] {
    var problems: [String] = []
    var publishing = Set<String>()
    for action in intent.actions {
      switch action {
      case .publish(let staged, let name):
        if let problem = loadsetNameProblem(name) { problems.append(problem); continue }
        if staged.isEmpty || staged.contains("/") || staged.hasPrefix(".") {
          problems.append("staging name '\(staged)' is not a directory of .loadsmith/tmp")
          continue
        }
        let stagedTranscript = temporaryDirectory + "/" + staged + "/transcript"
        let published = Syscall.kind(transcriptPath(name)) == .file
        if Syscall.kind(stagedTranscript) == .file {
          if published { problems.append("\(name) is already published (loadsets are immutable)") }
        } else if !published {
          problems.append("\(name): its staged loadset (.loadsmith/tmp/\(staged)) is gone and it is not published")
        }
        publishing.insert(name)
      case .link(let pointer, let target):
        guard let p = try? LoadsetName(parsing: pointer), p.fileName == pointer, p.isPointer else {
          problems.append("'\(pointer)' is not a pointer name")
          continue
        }
        // The pair is replaced by renaming symlinks over it: anything else in its place (a
        // directory, say) would fail that rename after the intent exists.
        for path in [fileRoot(pointer), transcriptPath(pointer)] {
          switch Syscall.kind(path) {
          case .missing, .symlink: continue
          case .directory: problems.append("\(path) is a directory, not a pointer symlink; move it out of the way")
          case .file, .other: problems.append("\(path) is not a pointer symlink; move it out of the way")
          }
        }
        // A target this intent publishes (before the link) need not be published yet.
        let problem = publishing.contains(target) ? targetNameProblem(target, of: p.series) : targetProblem(target, of: p.series)
        if let problem { problems.append("\(pointer) cannot point at \(problem)") }
      case .lastKnownGood(let seriesText, let build):
        guard let series = try? LoadsetSeries(parsing: seriesText), series.description == seriesText else {
          problems.append("'\(seriesText)' is not a series name")
          continue
        }
        if let problem = targetProblem(build, of: series) { problems.append("last-known-good of \(series) cannot be \(problem)") }
      case .takeover(let name):
        if name.isEmpty || name.contains("/") || name.hasPrefix(".") || !name.hasSuffix(".K") {
          problems.append("'\(name)' is not a command file name")
        }
      case .commands(let product):
        guard (try? LoadsetSeries(parsing: product + "-cfg"))?.product == product else {
          problems.append("'\(product)' is not a product name (FAMILY-COMPONENT)")
          continue
        }
        do {
          for file in try commandFiles(product: product) {
            if let problem = StoreNameLimits.atomicFileProblem(file.fileName) { problems.append("command/\(problem)") }
          }
        } catch {
          problems.append(error.message)
        }
      case .remove(let name):
        if let problem = loadsetNameProblem(name) { problems.append(problem) }
      case .pin(let key, let target):
        if let problem = pinProblem(key, target: target) { problems.append(problem) }
      case .tag(let dsl, let tag, let loadset):
        if let problem = tagProblem(dsl: dsl, tag: tag, loadset: loadset) { problems.append(problem) }
      case .adoptMeta(let staged):
        if let problem = LoadsetStore.adoptedMetaProblem(staged: staged) { problems.append(problem) }
      case .log:
        break
      }
    }
    return problems
  }

  /// Why `name` is not a loadset name the store can hold as a file, or nil.
  func loadsetNameProblem(_ name: String) -> String? {
    do {
      let parsed = try LoadsetName(parsing: name)
      return parsed.fileName == name ? nil : "'\(name)' is not a loadset file name (expected \(parsed.fileName))"
    } catch {
      if LoadsetStore.foreignNameProblem(name) == nil { return nil }  // a foreign loadset (import)
      return "bad loadset name \(error)"
    }
  }

  /// Refuses `intent` before its record is written when it could not be finished.
  func checkCanFinish(_ intent: Intent) throws(StoreError) {
    let problems = obstacles(to: intent)
    guard problems.isEmpty else {
      throw StoreError(.usage, "\(intent.operation): refused, nothing changed: \(problems.joined(separator: "; "))")
    }
  }

  /// The error every writer and `verify` give while a record cannot be finished.
  func pendingError(_ intent: Intent, _ reason: String) -> StoreError {
    StoreError(.store, "a change is pending and cannot be finished: '\(intent.operation)' (intent \(intent.id) in \(intentPath)): \(reason); run 'loadsmith recover' to finish or undo it")
  }

  /// Applies a pending record if it can be finished; otherwise (or if a step fails) throws
  /// ``pendingError(_:_:)``, leaving the record for `loadsmith recover`.
  func finishPending(_ intent: Intent) throws(StoreError) {
    let problems = obstacles(to: intent)
    guard problems.isEmpty else { throw pendingError(intent, problems.joined(separator: "; ")) }
    do { try apply(intent) } catch { throw pendingError(intent, error.message) }
  }

  /// `loadsmith recover`: under the writer lock, finishes the pending change if every part it
  /// needs is there, else undoes it (staged loadsets withdrawn, pointers and last-known-good put
  /// back to what its log records say they were, command files rewritten); then removes staging
  /// leftovers. Returns what it did, one line each. Throws, leaving the record, when a step fails
  /// (the reason is in the message; run it again once the cause is fixed).
  package func recoverPending() throws(StoreError) -> [String] {
    try lock()
    defer { unlock() }
    var report: [String] = []
    if let text = try sys(RegularFile.readText(intentPath)) {
      if let intent = Intent(text: text) {
        let problems = obstacles(to: intent)
        if problems.isEmpty {
          do { try apply(intent) } catch {
            throw StoreError(.store, "could not finish '\(intent.operation)' (intent \(intent.id)): \(error.message); the record stays in \(intentPath): fix the cause and run 'loadsmith recover' again")
          }
          report.append("finished '\(intent.operation)' (intent \(intent.id))")
        } else {
          report.append("cannot finish '\(intent.operation)' (intent \(intent.id)): \(problems.joined(separator: "; "))")
          do { report += try undo(intent) } catch {
            throw StoreError(.store, "could not undo '\(intent.operation)' (intent \(intent.id)): \(error.message); the record stays in \(intentPath): fix the cause and run 'loadsmith recover' again")
          }
          report.append("undid '\(intent.operation)' (intent \(intent.id))")
        }
      } else {
        // Cannot happen with the atomic write; keep the record for a person, out of the way.
        let aside = intentPath + ".damaged-" + Clock.timestamp(milliseconds: true).filter(\.isNumber)
        try sys(Syscall.renameShowingBoth(intentPath, aside))
        report.append("\(intentPath) is not a complete intent record: moved to \(aside); run 'loadsmith verify' to see what it left")
      }
    } else {
      report.append("no change pending")
    }
    try removeLeftovers()
    report.append("staging leftovers removed")
    return report
  }

  /// Reverses what `intent` did, action by action from the last, and removes the record.
  func undo(_ intent: Intent) throws(StoreError) -> [String] {
    var report: [String] = []
    var previous: [String: String] = [:]  // pointer or series -> its value before the intent
    var products: [String] = []
    for case .log(let event, let name, let from, _, _) in intent.actions where ["move", "lkg", "deploy", "tier-rollback"].contains(event) {
      previous[name] = from
    }
    for action in intent.actions.reversed() {
      let line: String?
      switch action {
      case .publish(let staged, let name):
        line = try undoPublish(staged: staged, name: name, intentID: intent.id)
      case .link(let pointer, let target):
        line = try undoLink(pointer, target: target, before: previous[pointer])
      case .lastKnownGood(let seriesText, _):
        line = try undoLastKnownGood(seriesText, before: previous[seriesText])
      case .commands(let product):
        products.append(product)
        line = nil
      case .takeover:
        line = nil  // undoing the rewrite puts back only what the pointers name
      case .remove(let name):
        line = "\(name) was removed already or stays (a removal is not undone)"
      case .pin(let key, _):
        line = try undoPin(key, before: previous[key])
      case .tag(let dsl, let tag, let loadset):
        line = try undoTag(dsl: dsl, tag: tag, loadset: loadset)
      case .adoptMeta:
        line = nil  // refused only for a staging name outside tmp/: nothing of it was moved
      case .log:
        line = nil
      }
      if let line { report.append(line) }
      FaultInjection.checkpoint("undo.action")
    }
    for product in products {
      do { try writeCommandFiles(product: product); report.append("command files of \(product) rewritten") } catch {
        report.append("command files of \(product) not rewritten: \(error.message)")
      }
    }
    try finishUndo(intent)
    return report
  }

  /// Withdraws a loadset the intent published (or began to) and removes its staging directory.
  private func undoPublish(staged: String, name: String, intentID: String) throws(StoreError) -> String? {
    var line: String?
    let stagedPath = temporaryDirectory + "/" + staged
    if loadsetNameProblem(name) == nil {
      let publishedHere = Syscall.kind(transcriptPath(name)) == .file && !Syscall.exists(stagedPath + "/transcript")
      if publishedHere || !Syscall.exists(transcriptPath(name)) {
        // Parts moved in before the transcript, or the whole loadset: out of sight, then gone.
        try unpublish(name, intentID: intentID)
        line = "withdrew \(name)"
      }
    }
    if !staged.isEmpty && !staged.contains("/") && !staged.hasPrefix(".") { try sys(DirectoryTree.remove(stagedPath)) }
    return line
  }

  /// Moves a pointer back to the target the intent's log recorded (or unsets it again).
  private func undoLink(_ pointer: String, target: String, before: String?) throws(StoreError) -> String? {
    guard let p = try? LoadsetName(parsing: pointer), p.fileName == pointer, p.isPointer else { return nil }
    // The intent's log says where the pointer was; without that record it is left alone.
    guard let before else { return "\(pointer) left as it is: the intent does not record its previous target" }
    if before != "-" && targetProblem(before, of: p.series) == nil {
      try movePointer(pointer, to: before)
      return "\(pointer) back to \(before)"
    } else if before == "-" {
      for dir in [fileDirectory, transcriptDirectory] where Syscall.symlinkTarget(dir + "/" + pointer) == target {
        do { try Syscall.unlink(Array((dir + "/" + pointer).utf8)) } catch {
          if error.errno != Errno.noEntry { throw .system(error) }
        }
        try? Syscall.syncDirectory(dir)
      }
      return "\(pointer) unset again"
    } else {
      return "\(pointer) left as it is: its previous target \(before) is gone"
    }
  }

  private func undoLastKnownGood(_ seriesText: String, before: String?) throws(StoreError) -> String? {
    guard let series = try? LoadsetSeries(parsing: seriesText), series.description == seriesText else { return nil }
    guard let before else {
      return "last-known-good of \(series) left as it is: the intent does not record its previous value"
    }
    let path = lastKnownGoodDirectory + "/" + seriesText
    if before != "-" && targetProblem(before, of: series) == nil {
      try sys(AtomicFile.replace(path, with: before + "\n"))
      return "last-known-good of \(series) back to \(before)"
    } else {
      do { try Syscall.unlink(Array(path.utf8)) } catch { if error.errno != Errno.noEntry { throw .system(error) } }
      return "last-known-good of \(series) unset"
    }
  }

  private func undoPin(_ key: String, before: String?) throws(StoreError) -> String {
    // The intent's log says what the pin was; "-" (following the tier map) removes it.
    guard let before else { return "pin \(key) left as it is: the intent does not record its previous value" }
    if before == "-" || pinProblem(key, target: before) == nil {
      try applyPin(key, target: before)
      return before == "-" ? "pin \(key) removed (the tier follows its map)" : "pin \(key) back to \(before)"
    } else {
      try applyPin(key, target: "-")
      return "pin \(key) removed: its previous value \(before) is gone"
    }
  }

  private func undoTag(dsl: String, tag: String, loadset: String) throws(StoreError) -> String? {
    // Only tags that did not exist are written by an intent: removing it restores the DSL.
    guard let name = try? LoadsetName(parsing: loadset), dsl.hasPrefix("/"), !tag.contains("/") else { return nil }
    try DSLTags.remove(dsl: dsl, tag: tag, name)
    return "tag \(tag) of \(loadset) removed"
  }

  /// Logs the undo (once, even if this runs again after a crash) and removes the intent record.
  private func finishUndo(_ intent: Intent) throws(StoreError) {
    var record = Intent(operation: "undo \(intent.operation)")
    record.id = intent.id + "-undone"
    record.actions = [.log(event: "undo", name: intent.operation, from: "-", to: "-", checksum: "-")]
    if try !historyContains(intentID: record.id) { try appendHistory(record) }
    FaultInjection.checkpoint("undo.logged")
    do { try Syscall.unlink(Array(intentPath.utf8)) } catch { if error.errno != Errno.noEntry { throw .system(error) } }
    try? Syscall.syncDirectory(stateDirectory)
  }
}
