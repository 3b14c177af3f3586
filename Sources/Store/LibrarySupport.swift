import SystemCalls
import TranscriptIO

// What the Definitive Software Library (module Library) needs from the store: where the DSL is,
// the paths of a published loadset, publishing a restored loadset, and pruning. The DSL's own
// files (archives, manifests, tags) are the Library's; every change of the store goes through
// the store's lock and intent records, as everywhere else.

extension LoadsetStore {
  var dslSettingPath: String { stateDirectory + "/dsl" }

  /// The DSL recorded with `loadsmith init --dsl DIR`, if any (absolute).
  package var dslDirectory: String? { pathSetting(dslSettingPath) }

  /// Records `path` (made absolute) as the store's DSL.
  package func recordDSL(_ path: String) throws(StoreError) { try recordPathSetting(dslSettingPath, path) }

  /// A setting that names a file or folder (`.loadsmith/dsl`, `.loadsmith/signing-key`): its
  /// first line, nil when the setting is missing or empty.
  func pathSetting(_ settingPath: String) -> String? {
    guard let text = try? RegularFile.readText(settingPath) else { return nil }
    let line = text.split(separator: "\n").first.map(String.init) ?? ""
    return line.isEmpty ? nil : line
  }

  /// Records `path`, made absolute, as the setting at `settingPath` (under the lock, atomically).
  func recordPathSetting(_ settingPath: String, _ path: String) throws(StoreError) {
    try write { () throws(StoreError) in
      try sys(AtomicFile.replace(settingPath, with: LoadsetStore.absolute(path) + "\n"))
    }
  }

  /// The immutable loadset a reference names (`SERIES@VERSION`, `SERIES@NNNN`, a loadset name or a
  /// pointer name, resolved once), checked to be published.
  package func loadsetName(forReference reference: String) throws(StoreError) -> LoadsetName {
    let path = try transcriptPath(forReference: reference)
    let file = String(path.split(separator: "/").last ?? "")
    do { return try LoadsetName(parsing: file) } catch { throw .name(error) }
  }

  /// `STORE/transcript/NAME.T`.
  package func publishedTranscriptPath(_ name: LoadsetName) -> String { transcriptPath(name.fileName) }
  /// `STORE/file/NAME.T`, the loadset's file directory.
  package func publishedFileDirectory(_ name: LoadsetName) -> String { fileRoot(name.fileName) }
  /// `STORE/.loadsmith/meta/NAME.T`.
  package func publishedMetadataPath(_ name: LoadsetName) -> String { metaPath(name.fileName) }

  /// Publishes a loadset that `stage` writes into a fresh staging directory (`DIR/transcript`,
  /// `DIR/file/...`, `DIR/meta`), as `capture` publishes: under the writer lock, through an intent
  /// record, transcript last. If `stage` throws, nothing is published and the staging is removed.
  /// Refuses a name that is already published (loadsets are immutable).
  package func publishRestored(_ name: LoadsetName, stage: (String) throws(StoreError) -> Void) throws(StoreError) {
    guard !name.isPointer else { throw StoreError(.usage, "\(name.fileName) is a pointer, not a loadset") }
    try write { () throws(StoreError) in
      if Syscall.exists(transcriptPath(name.fileName)) {
        throw StoreError(.usage, "\(name.fileName) already exists in \(root); loadsets are immutable (restore into another store)")
      }
      let staged = try makeStagingDirectory("restore")
      try stage(staged)
      for part in ["transcript", "file", "meta"] where !Syscall.exists(staged + "/" + part) {
        throw StoreError(.store, "restore of \(name.fileName) staged no \(part)")
      }
      try shareRestoredContent(staged: staged, name: name)
      let stagedName = String(staged.split(separator: "/").last!)
      var intent = Intent(operation: "restore \(name.fileName)")
      intent.actions.append(.publish(staged: stagedName, name: name.fileName))
      let checksum = metadata(fromStaged: staged + "/meta")
      intent.actions.append(.log(event: "restore", name: name.fileName, from: "-", to: "-", checksum: checksum))
      try commit(intent)
    }
  }

  private func metadata(fromStaged path: String) -> String {
    guard let text = try? RegularFile.readText(path) else { return "-" }
    return Metadata(text: text).loggedChecksum
  }

  /// Moves a published loadset out of sight and deletes it: transcript first (clients stop seeing
  /// it), then its files and meta, each renamed into `.loadsmith/tmp/` and removed there. Every
  /// step is idempotent; a crash leaves at most staging leftovers that the next writer removes.
  func unpublish(_ name: String, intentID: String) throws(StoreError) {
    try keepSharedContentIndexed(removing: name)  // entries a kept loadset still links move to it
    try removeContentSegment(name)  // first: the index never names content being removed
    let trash = temporaryDirectory + "/" + intentID + "-removed-" + name
    try sys(Syscall.makeDirectoryIfMissing(trash, mode: 0o700))
    if Syscall.exists(transcriptPath(name)) {
      try sys(Syscall.renameShowingBoth(transcriptPath(name), trash + "/transcript"))
      try? Syscall.syncDirectory(transcriptDirectory)
    }
    if Syscall.exists(fileRoot(name)) {
      try sys(Syscall.renameShowingBoth(fileRoot(name), trash + "/file"))
      try? Syscall.syncDirectory(fileDirectory)
    }
    if Syscall.exists(metaPath(name)) {
      try sys(Syscall.renameShowingBoth(metaPath(name), trash + "/meta"))
      try? Syscall.syncDirectory(metaDirectory)
    }
    try sys(DirectoryTree.remove(trash))
  }
}

/// What prune decided for one loadset.
package struct PruneDecision: Sendable, Equatable, CustomStringConvertible {
  package var loadset: String
  /// nil: removed (or to be removed with `--dry-run`); otherwise why it is kept.
  package var keptBecause: String?
  /// Node loadsets removed along with a removed build.
  package var nodes: [String] = []
  package var description: String {
    if let keptBecause { return "keep   \(loadset): \(keptBecause)" }
    return "remove \(loadset)" + (nodes.isEmpty ? "" : " (and nodes \(nodes.joined(separator: ", ")))")
  }
}

extension LoadsetStore {
  /// `prune SERIES --keep N`: removes the builds (cfg: snapshots) of `series` older than the
  /// newest `keep`, but only those that `archived` vouches for (it returns nil when the build's
  /// archive exists and verifies, else the reason) and that nothing references: no pointer
  /// targets it, it is not last-known-good, no command file names it. A removed build takes its
  /// node loadsets with it (the build holds all their files).
  ///
  /// The whole decision and the deletion run under the writer lock, so a capture, build or
  /// release that arrives meanwhile waits and is seen whole or not at all. The removal is one
  /// intent record: a crash finishes it on the next run.
  package func prune(_ seriesName: String, keep: Int, dryRun: Bool,
                    archived: (LoadsetName) -> String?) throws(StoreError) -> PrunePlan {
    let series: LoadsetSeries
    do { series = try LoadsetSeries(parsing: seriesName) } catch { throw .name(error) }
    guard keep >= 0 else { throw StoreError(.usage, "--keep must be 0 or more") }
    return try write { () throws(StoreError) -> PrunePlan in
      let names: [LoadsetName] = series.type == .cfg
        ? try snapshots(of: series).map { .snapshot(series, $0) }
        : try builds(of: series).map { .build(series, $0) }
      let pointerTargets = Set(try publishedNames().names.filter(\.isPointer).compactMap { pointerTarget($0) })
      let lkg = try lastKnownGood(of: series)
      let referenced = try protectedLoadsets()
      let pinned = Dictionary(allPins().map { ($0.target, $0.tier) }, uniquingKeysWith: { a, b in a + ", " + b })
      let nodes = series.type == .cfg ? [:] : try nodeVersions(of: series)
      var decisions: [PruneDecision] = []
      for (index, name) in names.enumerated() {
        let file = name.fileName
        var d = PruneDecision(loadset: file)
        if index >= names.count - keep {
          d.keptBecause = "one of the newest \(keep)"
        } else if pointerTargets.contains(file) {
          d.keptBecause = "a pointer (current, dev, stable or stale) targets it"
        } else if lkg == file {
          d.keptBecause = "last-known-good"
        } else if let tiers = pinned[file] {
          d.keptBecause = "pinned on \(tiers)"
        } else if referenced.contains(file) {
          d.keptBecause = "named by a command file"
        } else if let reason = archived(name) {
          d.keptBecause = "not safely archived: \(reason)"
        } else if case .build(_, let v) = name {
          d.nodes = (nodes[v] ?? []).map { LoadsetName.node(series, v, $0).fileName }.filter { !referenced.contains($0) }
        }
        decisions.append(d)
      }
      let removals = decisions.filter { $0.keptBecause == nil }
      let plan = PrunePlan(decisions: decisions, bytesFreed: bytesFreed(removing: removals.flatMap { [$0.loadset] + $0.nodes }))
      if dryRun || removals.isEmpty { return plan }
      var intent = Intent(operation: "prune \(series) --keep \(keep)")
      for d in removals {
        intent.actions.append(.remove(name: d.loadset))
        for n in d.nodes { intent.actions.append(.remove(name: n)) }
      }
      for d in removals {
        intent.actions.append(.log(event: "prune", name: d.loadset, from: d.loadset, to: "-", checksum: checksum(of: d.loadset)))
        for n in d.nodes { intent.actions.append(.log(event: "prune", name: n, from: n, to: "-", checksum: checksum(of: n))) }
      }
      let stored = removals.flatMap { [$0.loadset] + $0.nodes }.map { metadata(of: $0)?["files"].flatMap { Int($0) } ?? 0 }
      WorkProgress.begin("prune \(series): removing \(removals.count) build(s)", files: stored.reduce(0, +))
      defer { WorkProgress.end() }
      try commit(intent)
      return plan
    }
  }
}

/// What `prune` decided for each build, and the bytes of the inodes that no kept loadset links
/// (freed, or with `--dry-run` to be freed).
package struct PrunePlan: Sendable {
  package var decisions: [PruneDecision]
  package var bytesFreed: Int64
}

extension LoadsetStore {
  var signingKeySettingPath: String { stateDirectory + "/signing-key" }

  /// The private key file recorded with `loadsmith init --signing-key FILE`, if any (absolute).
  package var signingKeyFile: String? { pathSetting(signingKeySettingPath) }

  /// Records `path` (made absolute) as the key `archive` and `release` sign manifests with.
  package func recordSigningKey(_ path: String) throws(StoreError) { try recordPathSetting(signingKeySettingPath, path) }
}
