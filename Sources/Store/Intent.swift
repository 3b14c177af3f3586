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
    id = FileSystem.timestamp().filter { $0.isNumber } + "-" + FileSystem.randomHex(4)
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
    let path = temporaryDirectory + "/" + label + "-" + FileSystem.randomHex(6)
    try FileSystem.makeDirectory(path, mode: 0o755)
    return path
  }

  /// Writes `intent` durably, applies it and removes it: the one way the store changes.
  func commit(_ intent: Intent) throws(StoreError) {
    // Written only when it can be finished: names, staged parts, targets and tier map checked.
    try checkCanFinish(intent)
    // Everything staged must be on disk before the record that publishes it.
    try FileSystem.syncFilesystem(root)
    FaultInjection.checkpoint("stage.synced")
    try FileSystem.writeAtomically(intentPath, intent.text)
    FaultInjection.checkpoint("intent.written")
    // Decided: a step that fails now (EIO, a full disk) leaves the record for the next writer.
    do { try apply(intent) } catch { throw pendingError(intent, error.message) }
    for case .tag(_, let tag, _) in intent.actions { lastTags.append(tag) }
  }

  /// Finishes an interrupted change (if an intent record is pending) and removes the leftovers of
  /// interrupted staging and of interrupted atomic writes. Called under the writer lock.
  func recover() throws(StoreError) {
    if let text = try FileSystem.readSmallFile(intentPath) {
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
    for entry in try FileSystem.listRaw(temporaryDirectory) {
      try FileSystem.removeTree(bytes: temporary + [0x2F] + entry)
    }
    for dir in [transcriptDirectory, fileDirectory, commandDirectory, stateDirectory, metaDirectory,
                lastKnownGoodDirectory, pinDirectory] {
      for entry in (try? FileSystem.listRaw(dir)) ?? [] where LoadsetStore.isTemporaryName(entry) {
        try FileSystem.removeTree(bytes: Array(dir.utf8) + [0x2F] + entry)
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
    currentIntentID = intent.id
    defer { currentIntentID = nil }
    var loggedAlready: Bool?
    for action in intent.actions {
      switch action {
      case .publish(let staged, let name):
        try publish(staged: temporaryDirectory + "/" + staged, as: name)
      case .link(let pointer, let target):
        try movePointer(pointer, to: target)
      case .lastKnownGood(let series, let build):
        try FileSystem.writeAtomically(lastKnownGoodDirectory + "/" + series, build + "\n")
        FaultInjection.checkpoint("lkg")
      case .commands(let product):
        try writeCommandFiles(product: product)
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
    FileSystem.syncDirectory(stateDirectory)
    FaultInjection.checkpoint("intent.removed")
  }

  /// Moves a staged loadset into place: meta, the file directory, then the transcript. Each step is
  /// a rename on one filesystem; a step whose source is gone was done before a crash.
  func publish(staged: String, as name: String) throws(StoreError) {
    let stagedMeta = staged + "/meta", stagedFiles = staged + "/file", stagedTranscript = staged + "/transcript"
    if FileSystem.exists(stagedMeta) {
      try FileSystem.rename(stagedMeta, metaPath(name))
      FileSystem.syncDirectory(metaDirectory)
    }
    FaultInjection.checkpoint("publish.meta")
    if FileSystem.exists(stagedFiles) {
      if FileSystem.exists(fileRoot(name)) && !FileSystem.exists(transcriptPath(name)) {
        try FileSystem.removeTree(fileRoot(name))  // an orphan: no transcript ever named it
      }
      try FileSystem.rename(stagedFiles, fileRoot(name))
      FileSystem.syncDirectory(fileDirectory)
    }
    FaultInjection.checkpoint("publish.file")
    if FileSystem.exists(stagedTranscript) {
      try FileSystem.rename(stagedTranscript, transcriptPath(name))
      FileSystem.syncDirectory(transcriptDirectory)
    }
    FaultInjection.checkpoint("publish.transcript")
    try publishContentSegment(staged: staged, as: name)
    try publishSignatureRecord(staged: staged)
    try? FileSystem.removeTree(staged)
  }

  /// Points `pointer` at `target` in `file/` and then in `transcript/`. Each link is a symlink
  /// written anew under a temporary name and renamed over the old one (atomic replacement), and
  /// the directory is fsynced. Targets are bare names: the pointer and the immutable loadset sit in
  /// the same folder, where radmind's realpath lookup (§8.1) expects them.
  func movePointer(_ pointer: String, to target: String) throws(StoreError) {
    for (dir, step) in [(fileDirectory, "pointer.file"), (transcriptDirectory, "pointer.transcript")] {
      let path = dir + "/" + pointer
      if FileSystem.readLink(path) != target {
        let temp = dir + "/." + pointer + ".ptr"
        try? Syscall.unlink(Array(temp.utf8))
        do { try Syscall.symlink(Array(target.utf8), at: Array(temp.utf8)) } catch { throw .system(error) }
        try FileSystem.rename(temp, path)
        FileSystem.syncDirectory(dir)
      }
      FaultInjection.checkpoint(step)
    }
  }
}
