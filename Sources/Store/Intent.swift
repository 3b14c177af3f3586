import SystemCalls
import TranscriptIO

/// A store change written down before it is made, so that a crash in the middle is finished by the
/// next writer ("roll forward"). Every change of the store goes through one:
///
/// 1. New loadsets are staged under `.loadsmith/tmp/<id>-N/` (transcript, file tree, meta) and
///    made durable with `syncfs`. A crash here leaves only `tmp/` leftovers; the next writer
///    removes them and the store shows the old state.
/// 2. The intent record is written atomically to `.loadsmith/intent` (temp, fsync, rename). From
///    this point the change is decided: a crash leaves a record that the next writer applies.
/// 3. ``LoadsetStore/apply(_:)`` carries out the actions in order. Each action is idempotent
///    (a rename whose source is gone was done; a link that already points right is skipped;
///    log records carry the intent's id and are written once), so applying a record twice, or
///    a half-applied record again, ends in the same state.
/// 4. The record is removed.
///
/// A pointer move is one action: the `file/` symlink is moved first, then the `transcript/`
/// symlink, so a client that reads the new transcript always finds its files. Several moves
/// (promote's stale and stable) sit in one record and so complete together.
struct Intent: Sendable {
  enum Action: Sendable, Equatable {
    /// Publish the loadset staged in `.loadsmith/tmp/<staged>` as `name`: meta, then the file
    /// directory, then the transcript (which makes it visible).
    case publish(staged: String, name: String)
    /// Point `pointer` (in `file/`, then in `transcript/`) at `target`.
    case link(pointer: String, target: String)
    /// Record `build` as the last-known-good build of `series`.
    case lastKnownGood(series: String, build: String)
    /// Rewrite the per-tier command files of `product` from the pointers.
    case commands(product: String)
    /// Let the next `commands` step replace `command/NAME` although Loadsmith did not write it
    /// (`command write --force`): recorded in the intent, so a replay after a crash takes it over too.
    case takeover(commandFile: String)
    /// Append one history record (event, name, from, to, checksum).
    case log(event: String, name: String, from: String, to: String, checksum: String)
    /// Remove the published loadset `name` (prune): transcript first, then files, then meta.
    case remove(name: String)
    /// Pin `key` (`SERIES@TIER`) to the loadset `target`, or unpin it when `target` is `-`.
    case pin(key: String, target: String)
    /// Write the DSL tag `tag` (`Release-…`, `PROD-…`) naming the archive of `loadset` in `dsl`.
    case tag(dsl: String, tag: String, loadset: String)
    /// Move the metadata `adopt` staged in `.loadsmith/tmp/<staged>` into `meta/`.
    case adoptMeta(staged: String)
  }

  var id: String
  var operation: String
  var actions: [Action] = []

  init(operation: String) {
    id = Clock.timestamp(milliseconds: true).filter { $0.isNumber } + "-" + randomHex(4)
    self.operation = operation
  }

  var text: String {
    var out = "loadsmith-intent 1\nid\t\(id)\noperation\t\(operation)\n"
    for action in actions {
      switch action {
      case .publish(let staged, let name): out += "publish\t\(staged)\t\(name)\n"
      case .link(let p, let t): out += "link\t\(p)\t\(t)\n"
      case .lastKnownGood(let s, let b): out += "lkg\t\(s)\t\(b)\n"
      case .commands(let p): out += "commands\t\(p)\n"
      case .takeover(let k): out += "takeover\t\(k)\n"
      case .log(let e, let n, let f, let t, let c): out += "log\t\(e)\t\(n)\t\(f)\t\(t)\t\(c)\n"
      case .remove(let n): out += "remove\t\(n)\n"
      case .pin(let k, let t): out += "pin\t\(k)\t\(t)\n"
      case .tag(let d, let t, let l): out += "tag\t\(d)\t\(t)\t\(l)\n"
      case .adoptMeta(let staged): out += "adopt-meta\t\(staged)\n"
      }
    }
    return out + "end\n"
  }

  /// Reads a record; nil when it is incomplete (cannot happen with the atomic write, but a record
  /// without its `end` line is treated as never written).
  init?(text: String) {
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
      $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
    }
    guard lines.first == ["loadsmith-intent 1"], lines.contains(["end"]) else { return nil }
    id = ""
    operation = ""
    for f in lines.dropFirst() {
      switch (f.first ?? "", f.count) {
      case ("id", 2): id = f[1]
      case ("operation", 2): operation = f[1]
      case ("publish", 3): actions.append(.publish(staged: f[1], name: f[2]))
      case ("link", 3): actions.append(.link(pointer: f[1], target: f[2]))
      case ("lkg", 3): actions.append(.lastKnownGood(series: f[1], build: f[2]))
      case ("commands", 2): actions.append(.commands(product: f[1]))
      case ("takeover", 2): actions.append(.takeover(commandFile: f[1]))
      case ("log", 6): actions.append(.log(event: f[1], name: f[2], from: f[3], to: f[4], checksum: f[5]))
      case ("remove", 2): actions.append(.remove(name: f[1]))
      case ("pin", 3): actions.append(.pin(key: f[1], target: f[2]))
      case ("tag", 4): actions.append(.tag(dsl: f[1], tag: f[2], loadset: f[3]))
      case ("adopt-meta", 2): actions.append(.adoptMeta(staged: f[1]))
      case ("end", 1): return
      default: return nil
      }
    }
    return nil
  }
}

extension LoadsetStore {
  /// A fresh staging directory under `.loadsmith/tmp` (on the store's filesystem, so publishing is
  /// a rename). Removed by the next writer if the change never gets its intent record.
  func makeStagingDirectory(_ label: String) throws(StoreError) -> String {
    let path = temporaryDirectory + "/" + label + "-" + randomHex(6)
    try sys(Syscall.makeDirectoryIfMissing(path, mode: 0o755))
    return path
  }

  /// Writes `intent` durably, applies it and removes it: the one way the store changes.
  /// Returns the DSL tags the intent wrote (`Release-…`, `PROD-…`).
  @discardableResult
  func commit(_ intent: Intent) throws(StoreError) -> [String] {
    // Written only when it can be finished: names, staged parts, targets and tier map checked.
    try checkCanFinish(intent)
    // Everything staged must be on disk before the record that publishes it.
    try sys(Syscall.syncFilesystem(containing: root))
    FaultInjection.checkpoint("stage.synced")
    try sys(AtomicFile.replace(intentPath, with: intent.text))
    FaultInjection.checkpoint("intent.written")
    // Decided: a step that fails now (EIO, a full disk) leaves the record for the next writer.
    do { try apply(intent) } catch { throw pendingError(intent, error.message) }
    var tags: [String] = []
    for case .tag(_, let tag, _) in intent.actions { tags.append(tag) }
    return tags
  }

  /// Finishes an interrupted change (if an intent record is pending) and removes the leftovers of
  /// interrupted staging and of interrupted atomic writes. Called under the writer lock.
  func recover() throws(StoreError) {
    if let text = try sys(RegularFile.readText(intentPath)) {
      if let intent = Intent(text: text) {
        try finishPending(intent)
      } else {
        // Cannot happen (the record is written atomically); refuse rather than guess.
        throw StoreError(.store, "\(intentPath): damaged intent record; run 'loadsmith recover' to set it aside")
      }
    }
    try removeLeftovers()
  }

  /// Staging directories and temporary names left by a crash: `.loadsmith/tmp/*`, `.NAME.ptr`
  /// symlinks in `transcript/` and `file/`, `.NAME.tmp.XXXXXX` files of atomic writes.
  func removeLeftovers() throws(StoreError) {
    let temporary = Array(temporaryDirectory.utf8)
    for entry in try sys(Syscall.listDirectory(temporaryDirectory)) {
      try sys(DirectoryTree.remove(BytePath.join(temporary, entry)))
    }
    for dir in [transcriptDirectory, fileDirectory, commandDirectory, stateDirectory, metaDirectory,
                lastKnownGoodDirectory, pinDirectory] {
      for entry in (try? Syscall.listDirectory(dir)) ?? [] where LoadsetStore.isTemporaryName(entry) {
        try sys(DirectoryTree.remove(BytePath.join(Array(dir.utf8), entry)))
      }
    }
  }

  /// `.NAME.ptr` or `.NAME.tmp.XXXXXX`: a temporary of a pointer move or an atomic write.
  static func isTemporaryName(_ name: [UInt8]) -> Bool {
    guard name.first == 0x2E else { return false }
    let ptr = Array(".ptr".utf8), tmp = Array(".tmp.".utf8)
    if name.count > ptr.count && Array(name.suffix(ptr.count)) == ptr { return true }
    guard name.count >= tmp.count else { return false }
    for i in 0...(name.count - tmp.count) where Array(name[i..<(i + tmp.count)]) == tmp { return true }
    return false
  }

  /// Carries out every action of `intent` (idempotently) and removes the record.
  func apply(_ intent: Intent) throws(StoreError) {
    defer { commandFileTakeover = [] }  // the takeovers this intent records count for it alone
    var loggedAlready: Bool?
    for action in intent.actions {
      switch action {
      case .publish(let staged, let name):
        try publish(staged: temporaryDirectory + "/" + staged, as: name)
      case .link(let pointer, let target):
        try movePointer(pointer, to: target)
      case .lastKnownGood(let series, let build):
        try sys(AtomicFile.replace(lastKnownGoodDirectory + "/" + series, with: build + "\n"))
        FaultInjection.checkpoint("lkg")
      case .commands(let product):
        try writeCommandFiles(product: product)
      case .takeover(let name):
        commandFileTakeover.insert(name)
      case .remove(let name):
        try unpublish(name, intentID: intent.id)
      case .pin(let key, let target):
        try applyPin(key, target: target)
      case .tag(let dsl, let tag, let loadset):
        guard let name = try? LoadsetName(parsing: loadset) else { throw StoreError(.store, "'\(loadset)' is not a loadset name") }
        try DSLTags.write(dsl: dsl, tag: tag, name)
        FaultInjection.checkpoint("tag")
      case .adoptMeta(let staged):
        try publishAdoptedMeta(staged: staged)
      case .log:
        // All records of one intent go out in one write(2), after a check that makes replay safe.
        if loggedAlready == nil {
          loggedAlready = try historyContains(intentID: intent.id)
          if loggedAlready == false { try appendHistory(intent) }
          FaultInjection.checkpoint("log")
        }
      }
    }
    FaultInjection.checkpoint("intent.applied")
    do { try Syscall.unlink(Array(intentPath.utf8)) } catch { if error.errno != Errno.noEntry { throw .system(error) } }
    try? Syscall.syncDirectory(stateDirectory)
    FaultInjection.checkpoint("intent.removed")
  }

  /// Moves a staged loadset into place: meta, the file directory, then the transcript. Each step is
  /// a rename on one filesystem; a step whose source is gone was done before a crash. A failed
  /// directory fsync is ignored (`try?`), as it always was: a rename it loses in a crash is still
  /// staged, and replaying the intent redoes it.
  func publish(staged: String, as name: String) throws(StoreError) {
    let stagedMeta = staged + "/meta", stagedFiles = staged + "/file", stagedTranscript = staged + "/transcript"
    if Syscall.exists(stagedMeta) {
      try sys(Syscall.renameShowingBoth(stagedMeta, metaPath(name)))
      try? Syscall.syncDirectory(metaDirectory)
    }
    FaultInjection.checkpoint("publish.meta")
    if Syscall.exists(stagedFiles) {
      if Syscall.exists(fileRoot(name)) && !Syscall.exists(transcriptPath(name)) {
        try sys(DirectoryTree.remove(fileRoot(name)))  // an orphan: no transcript ever named it
      }
      try sys(Syscall.renameShowingBoth(stagedFiles, fileRoot(name)))
      try? Syscall.syncDirectory(fileDirectory)
    }
    FaultInjection.checkpoint("publish.file")
    if Syscall.exists(stagedTranscript) {
      try sys(Syscall.renameShowingBoth(stagedTranscript, transcriptPath(name)))
      try? Syscall.syncDirectory(transcriptDirectory)
    }
    FaultInjection.checkpoint("publish.transcript")
    try publishContentSegment(staged: staged, as: name)
    try publishSignatureRecord(staged: staged)
    try? DirectoryTree.remove(staged)
  }

  /// Points `pointer` at `target` in `file/` and then in `transcript/`. Each link is a symlink
  /// written anew under a temporary name and renamed over the old one (atomic replacement), and
  /// the directory is fsynced. Targets are bare names: the pointer and the immutable loadset sit in
  /// the same folder, where radmind's realpath lookup (§8.1) expects them.
  func movePointer(_ pointer: String, to target: String) throws(StoreError) {
    for (dir, step) in [(fileDirectory, "pointer.file"), (transcriptDirectory, "pointer.transcript")] {
      let path = dir + "/" + pointer
      if Syscall.symlinkTarget(path) != target {
        let temp = dir + "/." + pointer + ".ptr"
        try? Syscall.unlink(Array(temp.utf8))
        do { try Syscall.symlink(Array(target.utf8), at: Array(temp.utf8)) } catch { throw .system(error) }
        try sys(Syscall.renameShowingBoth(temp, path))
        try? Syscall.syncDirectory(dir)
      }
      FaultInjection.checkpoint(step)
    }
  }
}
