import SystemCalls
import RadmindFormat
import TranscriptIO

/// Foreign loadsets: transcripts whose names are not in Loadsmith's scheme (`base-2019.T`,
/// `apache.T`), indexed by `adopt`. Listed by `status`, checked by `verify`, readable by name
/// (`diff`, `archive`, `restore`); never moved, pinned or pruned (nothing in a series names them).
extension LoadsetStore {
  /// `transcript/NAME` (with or without `.T`) when `reference` names a published foreign loadset.
  func foreignTranscriptPath(_ reference: String) -> String? {
    for candidate in [reference, reference + ".T"] where !candidate.contains("/") && !candidate.hasPrefix(".") {
      if (try? LoadsetName(parsing: candidate)) == nil, LoadsetStore.fileType(transcriptPath(candidate)) == .regular {
        return transcriptPath(candidate)
      }
    }
    return nil
  }

  /// The foreign loadsets for `status` (those `filter` concerns, or all).
  func foreignStatus(_ filter: String?) throws(StoreError) -> [StoreStatus.Loadset] {
    var out: [StoreStatus.Loadset] = []
    for name in try publishedNames().foreign.sorted() where LoadsetStore.fileType(transcriptPath(name)) == .regular {
      if let filter, name != filter, name.replacingSuffix(".T") != filter.replacingSuffix(".T") { continue }
      let meta = metadata(of: name)
      out.append(StoreStatus.Loadset(name: name, version: nil, node: meta?["type"], nodes: [],
                                     files: meta?["files"].flatMap { Int($0) }, bytes: meta?["bytes"].flatMap { Int64($0) },
                                     digest: meta?.digest, created: meta?["created"]))
    }
    return out
  }

  /// `verify` of a foreign transcript: with its metadata (from `adopt`), checked with the digest
  /// and type recorded there; without, with sha1 as before, and a note that it is not adopted.
  func verifyForeign(_ name: String, threads: Int, into report: inout VerifyReport) throws(StoreError) {
    guard let meta = metadata(of: name) else {
      report.notes.append("transcript/\(name): not a loadsmith name and not adopted; checked with sha1 (run 'loadsmith adopt')")
      try verifyLoadset(name, type: .bin, digest: "sha1", threads: threads, into: &report)
      return
    }
    try verifyRecorded(name, meta: meta, type: LoadsetType(rawValue: meta["type"] ?? "") ?? .bin, threads: threads, into: &report)
  }

  /// Checks one loadset with what its metadata records: its digest, or sizes only for a loadset
  /// adopted without checksums (`digest none`).
  func verifyRecorded(_ name: String, meta: Metadata, type: LoadsetType, threads: Int, into report: inout VerifyReport) throws(StoreError) {
    if meta.digest == "none" && type != .neg {
      verifySizes(name, into: &report)
    } else {
      try verifyLoadset(name, type: type, digest: meta.digest, threads: threads, into: &report)
    }
  }

  /// The transcript parses and each listed file is stored, regular and of the listed size: all
  /// that can be checked of a loadset whose transcript has no checksums.
  func verifySizes(_ name: String, into report: inout VerifyReport) {
    report.loadsets += 1
    do {
      let scan = try AdoptScan(name: name, transcriptPath: transcriptPath(name), fileRoot: fileRoot(name), statFiles: true)
      report.files += scan.files
      report.problems += scan.problems + scan.digestProblems + scan.emptyFileProblems.map { "\(name): \($0)" }
      report.notes.append("\(name): no checksums in its transcript; sizes checked only")
    } catch {
      report.problems.append(error.message.hasPrefix(name) ? error.message : "\(name): \(error.message)")
    }
  }
}

extension StoreStatus {
  /// The `status` section listing foreign loadsets.
  var foreignText: String {
    var out = "\nforeign loadsets  (adopted names outside the scheme: never moved, pinned or pruned)\n"
    for l in foreign {
      guard l.digest != nil || l.files != nil else { out += "  \(l.name)  (not adopted: run 'loadsmith adopt')\n"; continue }
      out += "  \(l.name)  \(l.node ?? "bin")  \(l.files ?? 0) files, \(StoreStatus.size(l.bytes ?? 0))  \(l.digest ?? "")  \(l.created ?? "")\n"
    }
    return out
  }
}

extension LoadsetStore {
  /// Why `name` cannot be a foreign loadset's file name, or nil: it must be a plain file name
  /// (no `/`, not hidden), UTF-8 without control characters, short enough for its temporaries,
  /// and not a Loadsmith pointer's name.
  package static func foreignNameProblem(_ name: String) -> String? {
    if name.isEmpty || name.contains("/") || name.hasPrefix(".") {
      return "not a plain file name (no '/', not starting with '.')"
    }
    if name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
      return "a control character (newline, tab...) in the name cannot be recorded"
    }
    if let why = StoreNameLimits.atomicFileProblem(name) { return why }
    if let parsed = try? LoadsetName(parsing: name), parsed.isPointer { return "a pointer's name" }
    return nil
  }
}
