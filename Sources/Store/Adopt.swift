import SystemCalls
import Capture
import Hashing
import RadmindFormat
import TranscriptIO

/// What `loadsmith adopt` did, one list per outcome; every line names the loadset, pointer or
/// file it is about.
package struct AdoptReport: Sendable {
  /// Loadsets indexed by this run (Loadsmith names and foreign ones).
  package var adopted: [String] = []
  /// Of those, the ones whose names are not Loadsmith's (never moved, pinned or pruned).
  package var foreign: [String] = []
  /// Loadsets that already had metadata (captured here, or adopted before): left as they are.
  package var known = 0
  /// Pointer symlinks taken over (`file/` twin added, target made a bare name).
  package var pointers: [String] = []
  /// What was not adopted, and why (nothing of it was changed).
  package var refused: [String] = []
  /// What was adopted but does not match (a stored file missing, a size or checksum wrong...).
  package var problems: [String] = []
  /// Everything else worth knowing (hand-written command files kept, orphan file directories).
  package var notes: [String] = []
  package var files = 0
  package var bytes: Int64 = 0
}

extension LoadsetStore {
  /// `loadsmith adopt [STORE]`: turns an existing radmind server tree into a store (creating only
  /// `.loadsmith/` and radmind's empty folders) and indexes every loadset in it.
  package static func adopt(at path: String, verify: Bool = false,
                           threads: Int = OrderedHashPool.availableCPUs) throws(StoreError) -> (LoadsetStore, AdoptReport) {
    let root = absolute(path)
    guard LoadsetStore.fileType(root) == .directory else {
      throw StoreError(.usage, "\(root): no such directory")
    }
    guard LoadsetStore.fileType(root + "/transcript") == .directory else {
      throw StoreError(.usage, "\(root): not a radmind server tree (no transcript/ directory)")
    }
    let store = try initialize(at: root)
    let report = try store.adopt(verify: verify, threads: threads)
    return (store, report)
  }

  /// Indexes every loadset of `transcript/` that has no metadata yet, without changing a
  /// transcript, a stored file or a command file: writes `.loadsmith/meta/NAME` for each, takes
  /// over pointer symlinks that point inside the folder, and logs one `adopt` record per loadset.
  /// Idempotent: a second run finds everything known and changes nothing. With `verify`, every
  /// stored file is hashed too (as `verify` does), including those of known loadsets.
  ///
  /// The metadata is staged without an fsync per file; the intent's one `syncfs` makes it durable,
  /// and the intent moves it into `meta/` and writes the history: all of it, or (before the
  /// intent is written) none of it.
  package func adopt(verify: Bool, threads: Int = OrderedHashPool.availableCPUs) throws(StoreError) -> AdoptReport {
    try write { () throws(StoreError) -> AdoptReport in
      var report = AdoptReport()
      var symlinks: [String] = []
      var candidates: [(name: String, loadsmith: LoadsetName?)] = []
      let listing = try TranscriptListing(transcriptDirectory)
      for raw in listing.names.sorted(by: { $0.lexicographicallyPrecedes($1) }) where raw.first != 0x2E {
        guard let name = LoadsetStore.adoptableName(raw, into: &report) else { continue }
        let mode = listing.mode(of: raw)
        switch mode.map({ FileType(mode: $0) }) {
        case .symlink:
          symlinks.append(name)
        case .regular:
          let parsed = (try? LoadsetName(parsing: name)).flatMap { $0.fileName == name ? $0 : nil }
          if let parsed, parsed.isPointer {
            report.refused.append("transcript/\(name): a regular file with a pointer's name (pointers are symlinks): left as it is, not adopted")
            continue
          }
          candidates.append((name, parsed))
        default:
          report.refused.append("transcript/\(name) \(mode.map { "is \(RegularFile.typeName($0))" } ?? "is missing"), not a transcript: left as it is")
        }
      }
      let staging = try makeStagingDirectory("adopt")
      var staged: [(name: String, checksum: String)] = []
      // One listing of meta/ instead of a lookup per loadset.
      let metaNames: [[UInt8]]
      do throws(SystemCallError) { metaNames = try Syscall.names(in: Array(metaDirectory.utf8)) } catch { throw .system(error) }
      let known = Set(metaNames.map { String(decoding: $0, as: UTF8.self) })
      var stagingFiles = try AdoptMetaStaging(staging)
      defer { stagingFiles.close() }
      for outcome in try adoptEach(candidates, known: known, verify: verify, threads: threads, staging: stagingFiles) {
        report.append(outcome.report)
        if let adopted = outcome.staged { staged.append(adopted) }
      }
      stagingFiles.close()
      var intent = Intent(operation: "adopt")
      // Metadata first: the pointers taken over below name loadsets adopted here.
      if !staged.isEmpty { intent.actions.append(.adoptMeta(staged: String(staging.split(separator: "/").last!))) }
      adoptPointers(symlinks, adopting: Set(staged.map(\.name)), into: &intent, report: &report)
      noteCommandFiles(into: &report)
      noteOrphanFileDirectories(transcripts: Set(listing.names), into: &report)
      guard !intent.actions.isEmpty else {
        try? DirectoryTree.remove(Array(staging.utf8))
        return report
      }
      for (name, checksum) in staged {
        intent.actions.append(.log(event: "adopt", name: name, from: "-", to: "-", checksum: checksum))
      }
      try commit(intent)
      try? DirectoryTree.remove(Array(staging.utf8))  // gone already unless nothing was staged
      return report
    }
  }

  /// A `transcript/` entry name as the store can record it: UTF-8, no control characters (the
  /// metadata and history are line- and tab-separated), short enough for its temporaries.
  static func adoptableName(_ raw: [UInt8], into report: inout AdoptReport) -> String? {
    let shown = String(decoding: raw, as: UTF8.self)
    guard let name = String(validating: raw, as: UTF8.self) else {
      report.refused.append("transcript/\(shown): the name is not valid UTF-8: left as it is, not adopted (rename it)")
      return nil
    }
    if name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
      report.refused.append("transcript/\(LoadsetStore.escapedNewlines(name)): the name holds a control character (newline, tab...), which the store's metadata and history cannot record: left as it is, not adopted (rename it)")
      return nil
    }
    if let why = StoreNameLimits.atomicFileProblem(name) {
      report.refused.append("transcript/\(name): \(why): left as it is, not adopted")
      return nil
    }
    return name
  }

  /// The metadata of a loadset without any, from its transcript and its stored files.
  func adoptedMetadata(_ name: String, series: LoadsetName?, verify: Bool, threads: Int,
                       context: inout AdoptContext, into report: inout AdoptReport) throws(StoreError) -> Metadata {
    // The transcript's own digest is taken while it is scanned, with sha1 (what radmind trees
    // use); a transcript of another digest is read a second time.
    let scan = try AdoptScan(name: name, transcriptPath: transcriptPath(name), fileRoot: fileRoot(name), statFiles: true,
                             checksum: context.algorithm("sha1"))
    // A foreign name says nothing of the type: zero-length stored files of listed sizes are how
    // `lcreate -N` stores a negative loadset.
    let type = series?.series.type ?? (scan.looksNegative ? .neg : .bin)
    var meta = Metadata()
    meta["name"] = name
    meta["type"] = type.rawValue
    meta["digest"] = scan.digest
    let checksumName = scan.digest == "none" || scan.digest == "unknown" ? "sha1" : scan.digest
    if checksumName == "sha1", let taken = scan.transcriptChecksum {
      meta["transcript-checksum"] = taken
    } else if let algorithm = context.algorithm(checksumName) {
      meta["transcript-checksum"] = try AdoptScan.transcriptChecksum(transcriptPath(name), algorithm: algorithm)
    }
    meta["entries"] = String(scan.entries)
    meta["files"] = String(scan.files)
    meta["bytes"] = String(scan.bytes)
    meta["paths"] = scan.relative ? "relative" : "absolute"
    if let series, case .node = series, let first = scan.firstPath { meta["node"] = PathForm.absolute.convert(first).shownPath }
    if let series, case .snapshot = series, let first = scan.firstPath { meta["node"] = PathForm.absolute.convert(first).shownPath }
    meta["created"] = scan.modified ?? Clock.timestamp(milliseconds: true)
    meta["origin"] = series == nil ? "foreign" : "adopted"
    meta["adopted"] = context.time
    meta["user"] = context.user
    meta["host"] = context.host
    report.problems += scan.digestProblems
    if verify && scan.digest != "unknown" {
      // The hashing pass reports what the lstat pass found, and more.
      var check = VerifyReport()
      try verifyRecorded(name, meta: meta, type: type, threads: threads, into: &check)
      report.problems += check.problems
    } else {
      report.problems += scan.problems
      if type != .neg { report.problems += scan.emptyFileProblems.map { "\(name): \($0)" } }
    }
    return meta
  }

  /// `adopt --verify` of a loadset that has metadata already: the checks of `verify`.
  func verifyAdopted(_ name: String, threads: Int, into report: inout AdoptReport) throws(StoreError) {
    guard let meta = metadata(of: name) else { return }
    var check = VerifyReport()
    try verifyRecorded(name, meta: meta, type: LoadsetType(rawValue: meta["type"] ?? "") ?? .bin, threads: threads, into: &check)
    report.problems += check.problems
  }

  /// Pointer-named symlinks that point at a loadset of their series in this folder become
  /// pointers (the `file/` twin is added; a target written as a path becomes the bare name);
  /// any other symlink is reported and left as it is.
  func adoptPointers(_ names: [String], adopting: Set<String>, into intent: inout Intent, report: inout AdoptReport) {
    let folder = LoadsetStore.realPath(transcriptDirectory)
    for name in names {
      let link = LoadsetStore.linkTarget(transcriptPath(name)) ?? ""
      guard let pointer = try? LoadsetName(parsing: name), pointer.fileName == name, pointer.isPointer else {
        report.refused.append("transcript/\(name) -> \(link): a symlink whose name is not a Loadsmith pointer name: left as it is, not adopted")
        continue
      }
      var target = link
      if link.contains("/") {
        let slash = link.lastIndex(of: "/")!
        let dir = String(link[..<slash])
        let resolvedDir = LoadsetStore.realPath(link.hasPrefix("/") ? (dir.isEmpty ? "/" : dir) : transcriptDirectory + "/" + dir)
        guard resolvedDir != nil, resolvedDir == folder else {
          report.refused.append("transcript/\(name) -> \(link): leads outside the transcript folder: left as it is, not a pointer (point it at a loadset of transcript/ and run adopt again)")
          continue
        }
        target = String(link[link.index(after: slash)...])
      }
      if let problem = targetProblem(target, of: pointer.series) {
        report.refused.append("transcript/\(name) -> \(link): cannot be a pointer: it names \(problem): left as it is")
        continue
      }
      if LoadsetStore.fileType(metaPath(target)) == nil && !adopting.contains(target) {
        report.refused.append("transcript/\(name) -> \(link): its target \(target) was not adopted: left as it is")
        continue
      }
      let twin = fileRoot(name)
      switch LoadsetStore.fileType(twin) {
      case nil, .symlink: break
      default:
        report.refused.append("transcript/\(name): file/\(name) exists and is not a symlink: left as it is, not a pointer (move file/\(name) away and run adopt again)")
        continue
      }
      if link == target && LoadsetStore.linkTarget(twin) == target { continue }  // a pointer already
      intent.actions.append(.link(pointer: name, target: target))
      intent.actions.append(.log(event: "move", name: name, from: LoadsetStore.linkTarget(twin) ?? "-", to: target, checksum: "-"))
      report.pointers.append("\(name) -> \(target)")
    }
  }

  /// Hand-written command files stay as they are; what they name that does not exist is reported.
  func noteCommandFiles(into report: inout AdoptReport) {
    for k in commandFilePaths() {
      let path = commandDirectory + "/" + k
      if !isWrittenByLoadsmith(commandFile: k) {
        report.notes.append("command/\(k): hand-written, kept as it is ('command write' will not overwrite it without --force)")
      }
      var loader = CommandFileLoader(form: nil, order: .caseSensitive, checksumming: false, openTranscripts: false)
      loader.serverDirectory = Array(root.utf8)
      var problems: [String] = []
      loader.report = { (error: CaptureError) in problems.append(error.description) }
      _ = try? loader.load(path: Array(path.utf8))
      for p in problems { report.problems.append("command/\(k): \(p)") }
    }
  }

  /// `file/` directories without a transcript (`transcripts`: the names in `transcript/`):
  /// reported, never removed.
  func noteOrphanFileDirectories(transcripts: Set<[UInt8]>, into report: inout AdoptReport) {
    guard let files = try? TranscriptListing(fileDirectory) else { return }
    let orphans = files.names.filter { $0.first != 0x2E && !transcripts.contains($0) && files.type(of: $0) == .directory }
    for entry in orphans.map({ String(decoding: $0, as: UTF8.self) }).sorted() {
      report.notes.append("file/\(entry): no transcript/\(entry): left as it is")
    }
  }

  static func realPath(_ path: String) -> String? {
    guard let resolved = try? Syscall.realpath(Array(path.utf8)) else { return nil }
    return String(decoding: resolved, as: UTF8.self)
  }
}

extension Array where Element == UInt8 {
  /// A decoded path as text for metadata and messages (encoded as radmind writes it).
  var shownPath: String { String(decoding: PathCodec.encode(self), as: UTF8.self) }
}

/// What every adopted loadset's metadata shares, looked up once per run.
struct AdoptContext {
  let time = Clock.timestamp(milliseconds: true)
  let user = ProcessIdentity.user
  let host = ProcessIdentity.host
  var algorithms: [String: DigestAlgorithm] = [:]

  mutating func algorithm(_ name: String) -> DigestAlgorithm? {
    if let known = algorithms[name] { return known }
    guard let made = try? DigestAlgorithm(named: name), made.isAvailable else { return nil }
    algorithms[name] = made
    return made
  }
}
