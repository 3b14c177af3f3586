import SystemCalls
import Hashing
import RadmindFormat
import TranscriptIO

/// What `verify` found. `problems` empty means the store (or the part asked for) is sound.
package struct VerifyReport: Sendable {
  package var problems: [String] = []
  package var notes: [String] = []
  package var loadsets = 0
  package var files = 0
  package var bytes: Int64 = 0
  /// What each problem is about (a loadset, pointer, `file/` entry, series or command file name,
  /// or ``LoadsetStore/stagingSubject``): what a re-check under the lock looks at again.
  var suspects: Set<String> = []
  /// Inodes hashed so far in this pass (each is hashed once).
  var inodes = VerifiedInodes()

  /// Marks `subject` suspect when problems were added since there were `count`.
  mutating func suspect(_ subject: String, ifProblemsSince count: Int) {
    if problems.count > count { suspects.insert(subject) }
  }
}

/// Which names a verify pass looks at: those `only` holds (when given) that `filter` (a loadset
/// name or a prefix of one, `.T` optional) selects.
struct VerifySelection {
  var filter: String?
  var only: Set<String>?

  func wanted(_ name: String) -> Bool {
    if let only, !only.contains(name) { return false }
    guard let filter else { return true }
    return NameFilter(filter).selects(name)
  }
}

extension LoadsetStore {
  /// What `loadsmith verify [NAME]` checks, in one pass (see ``verify(_:threads:)``):
  ///
  /// - every published transcript parses and is in radmind order;
  /// - every `f`/`a` line has its stored file `file/NAME/<path>` with the listed size and the
  ///   checksum in the digest the loadset was captured with (hashed in parallel); neg loadsets:
  ///   present and zero-length;
  /// - every pointer resolves to an immutable loadset in its own folder, and its `file/` twin
  ///   points at the same one; last-known-good builds, tier pins and command-file lines exist;
  /// - no orphan file directory (a `file/` entry without its transcript) and no leftover staging.
  ///
  /// `only` limits the pass to the subjects a first pass suspected; with `inProgress`,
  /// disagreeing pointer pairs are notes.
  func verifyPass(_ filter: String?, only: Set<String>?, inProgress: Bool, threads: Int) throws(StoreError) -> VerifyReport {
    var report = VerifyReport()
    let selection = VerifySelection(filter: filter, only: only)
    let (names, foreign) = try publishedNames()
    for f in foreign where selection.wanted(f) {
      let before = report.problems.count
      defer { report.suspect(f, ifProblemsSince: before) }
      let path = transcriptPath(f)
      if Syscall.kind(path) == .symlink { report.problems.append("transcript/\(f): a symlink whose name is not a pointer name") }
      else { try verifyForeign(f, threads: threads, into: &report) }
    }
    var published = Set<String>()
    for name in names where !name.isPointer { published.insert(name.fileName) }
    for name in names where selection.wanted(name.fileName) {
      let before = report.problems.count
      defer { report.suspect(name.fileName, ifProblemsSince: before) }
      if name.isPointer {
        verifyPointer(name.fileName, published: published, inProgress: inProgress, into: &report)
      } else {
        try verifyPublished(name, threads: threads, into: &report)
      }
    }
    try verifyFileEntries(selection, into: &report)
    try verifyLastKnownGood(selection, published: published, into: &report)
    verifyPins(wanted: selection.wanted, into: &report)
    try verifyCommandFileTargets(selection, into: &report)
    if filter == nil, !inProgress, only?.contains(LoadsetStore.stagingSubject) ?? true,
       (try sys(Syscall.listDirectoryNames(temporaryDirectory))).contains(where: { _ in true }) {
      report.problems.append(".loadsmith/tmp holds staging leftovers")
      report.suspects.insert(LoadsetStore.stagingSubject)
    }
    for (problem, loadsets) in report.inodes.sharedDamage() {
      report.problems.append(problem)
      report.suspects.formUnion(loadsets)
    }
    if filter == nil, only?.contains(LoadsetStore.contentSubject) ?? true { try verifyContentIndex(report.inodes, into: &report) }
    if filter == nil { try checkHistoryChain(into: &report) }
    return report
  }

  /// One published loadset, against its metadata (or, without any, as sha1).
  private func verifyPublished(_ name: LoadsetName, threads: Int, into report: inout VerifyReport) throws(StoreError) {
    let meta = metadata(of: name.fileName)
    if meta == nil, let kind = RegularFile.typeIfNotRegular(metaPath(name.fileName)) {
      report.problems.append("\(name.fileName): metadata .loadsmith/meta/\(name.fileName) is \(kind), not a regular file; digest unknown, checked with sha1")
    } else if meta == nil { report.problems.append("\(name.fileName): no metadata (.loadsmith/meta/\(name.fileName)); digest unknown, checked with sha1") }
    if let meta { try verifyRecorded(name.fileName, meta: meta, type: name.series.type, threads: threads, into: &report) }
    else { try verifyLoadset(name.fileName, type: name.series.type, digest: "sha1", threads: threads, into: &report) }
  }

  /// file/: every entry needs its transcript; pointers need their twins.
  private func verifyFileEntries(_ selection: VerifySelection, into report: inout VerifyReport) throws(StoreError) {
    for entry in try sys(Syscall.listDirectoryNames(fileDirectory)) where !entry.hasPrefix(".") && selection.wanted(entry) {
      let before = report.problems.count
      defer { report.suspect(entry, ifProblemsSince: before) }
      let path = fileRoot(entry)
      switch Syscall.kind(path) {
      case .symlink:
        if Syscall.kind(transcriptPath(entry)) != .symlink {
          report.problems.append("file/\(entry): pointer without its transcript/ twin")
        }
      case .directory:
        if !Syscall.exists(transcriptPath(entry)) {
          report.problems.append("file/\(entry): orphan file directory (no transcript/\(entry))")
        }
      default:
        report.problems.append("file/\(entry): neither a file directory nor a pointer")
      }
    }
  }

  /// Every last-known-good record names a published loadset.
  private func verifyLastKnownGood(_ selection: VerifySelection, published: Set<String>,
                                   into report: inout VerifyReport) throws(StoreError) {
    for entry in (try? Syscall.listDirectoryNames(lastKnownGoodDirectory)) ?? [] where !entry.hasPrefix(".") && selection.wanted(entry) {
      let before = report.problems.count
      defer { report.suspect(entry, ifProblemsSince: before) }
      if let lkg = try sys(RegularFile.readText(lastKnownGoodDirectory + "/" + entry))?.split(separator: "\n").first,
         !published.contains(String(lkg)) {
        report.problems.append("\(entry): last-known-good \(lkg) is missing")
      }
    }
  }

  /// Every `p`/`n` line of a command file names a published transcript or a pointer.
  private func verifyCommandFileTargets(_ selection: VerifySelection, into report: inout VerifyReport) throws(StoreError) {
    for k in (try? Syscall.listDirectoryNames(commandDirectory)) ?? [] where k.hasSuffix(".K") && !k.hasPrefix(".") && selection.wanted(k.replacingSuffix(".K")) {
      let before = report.problems.count
      defer { report.suspect(k.replacingSuffix(".K"), ifProblemsSince: before) }
      for line in (try sys(RegularFile.readText(commandDirectory + "/" + k)) ?? "").split(separator: "\n") {
        let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        if f.count == 2, f[0] == "p" || f[0] == "n", let why = commandTargetProblem(String(f[1])) {
          report.problems.append("command/\(k): names \(f[1]), which \(why)")
        }
      }
    }
  }

  func verifyPointer(_ name: String, published: Set<String>, inProgress: Bool, into report: inout VerifyReport) {
    let t = Syscall.symlinkTarget(transcriptPath(name))
    let f = Syscall.symlinkTarget(fileRoot(name))
    guard let t else { report.problems.append("transcript/\(name): not a symlink"); return }
    if t.contains("/") {
      report.problems.append("transcript/\(name) -> \(t): a pointer must name a loadset in its own folder")
    } else if !published.contains(t) {
      report.problems.append("transcript/\(name) -> \(t): dangling pointer (no such loadset)")
    } else if (try? LoadsetName(parsing: t)).map({ $0.series == (try? LoadsetName(parsing: name))?.series }) != true {
      report.problems.append("transcript/\(name) -> \(t): points outside its series")
    }
    if f == nil {
      report.problems.append("file/\(name): missing (its transcript/ twin points at \(t))")
    } else if f != t {
      let text = "pointer pair \(name) disagrees: transcript/ -> \(t), file/ -> \(f!)"
      if inProgress { report.notes.append(text) } else { report.problems.append(text) }
    } else if Syscall.kind(fileRoot(t)) != .directory {
      report.problems.append("file/\(name) -> \(t): dangling pointer (no file directory)")
    }
  }

  /// Checks one loadset's transcript (syntax, order) and every stored file.
  func verifyLoadset(_ name: String, type: LoadsetType, digest: String, threads: Int,
                     into report: inout VerifyReport) throws(StoreError) {
    report.loadsets += 1
    if Syscall.kind(fileRoot(name)) != .directory {
      report.problems.append("\(name): file directory file/\(name) is missing")
    }
    let loaded: LoadedTranscript
    do { loaded = try LoadedTranscript(path: transcriptPath(name), name: name) } catch {
      report.problems.append("\(name): \(error)")
      return
    }
    let algorithm: DigestAlgorithm
    do { algorithm = try DigestAlgorithm(named: digest) } catch {
      report.problems.append("\(name): recorded digest \(digest) is not supported")
      return
    }
    let root = Array(fileRoot(name).utf8)
    let files = loaded.entries.indices.filter { loaded.entries[$0].kind.hasContent && loaded.entries[$0].prefix != .minus }
    report.files += files.count
    WorkProgress.begin("verify \(name)", files: files.count, bytes: type == .neg ? nil : files.reduce(0) { $0 + loaded.entries[$1].size })
    defer { WorkProgress.end() }
    if type == .neg {
      verifyNegFiles(name, files: files, of: loaded, root: root, into: &report)
    } else {
      hashStoredFiles(name, files: files, of: loaded, root: root, algorithm: algorithm, digest: digest, threads: threads,
                      into: &report)
    }
  }

  /// A neg loadset's stored files: present, regular and empty.
  private func verifyNegFiles(_ name: String, files: [Int], of loaded: LoadedTranscript, root: [UInt8],
                              into report: inout VerifyReport) {
    for i in files {
      WorkProgress.advance(files: 1)
      let e = loaded.entries[i]
      let path = BytePath.join(root, e.path)
      let found = Syscall.lstatIfPresent(path)
      let st = found ?? FileStatus()
      if found == nil {
        report.problems.append("\(name): \(String(decoding: e.path, as: UTF8.self)): stored file missing")
      } else if FileType(mode: st.st_mode) != .regular {
        report.problems.append("\(name): \(String(decoding: e.path, as: UTF8.self)): stored file \(RegularFile.notRegular(st.st_mode))")
      } else if st.st_size != 0 {
        report.problems.append("\(name): \(String(decoding: e.path, as: UTF8.self)): neg loadsets store zero-length files (found \(st.st_size) bytes)")
      }
    }
  }

  /// Hashes the stored files in parallel (each inode once per pass) and checks size and checksum
  /// against the transcript.
  private func hashStoredFiles(_ name: String, files: [Int], of loaded: LoadedTranscript, root: [UInt8],
                               algorithm: DigestAlgorithm, digest: String, threads: Int, into report: inout VerifyReport) {
    var iterator = files.makeIterator()
    var problems: [String] = []
    var bytes: Int64 = 0
    var inodes = report.inodes
    defer { report.inodes = inodes }
    /// A stored file is hashed unless its inode was hashed before in this pass (a build's files
    /// are its nodes' files; linked versions share content).
    struct Job { var index: Int; var key: VerifiedInodes.Key?; var known: VerifiedInodes.Hashed? }
    let pool = OrderedHashPool(algorithm: algorithm, threads: max(0, threads), regularFilesOnly: true)
    pool.run(next: { () -> (path: [UInt8]?, context: Job)? in
      guard let i = iterator.next() else { return nil }
      let path = BytePath.join(root, loaded.entries[i].path)
      guard let (key, nlink) = VerifiedInodes.key(path) else { return (path, Job(index: i, key: nil, known: nil)) }
      inodes.use(key, nlink: nlink, by: name)
      if let known = inodes.hashed[key], known.algorithm == algorithm.name { return (nil, Job(index: i, key: key, known: known)) }
      return (path, Job(index: i, key: key, known: nil))
    }, deliver: { (job: Job, result: Result<FileDigest, FileHashError>?) -> Bool in
      let e = loaded.entries[job.index]
      let shown = String(decoding: e.path, as: UTF8.self)
      WorkProgress.advance(files: 1, bytes: (try? result?.get())?.bytesHashed ?? 0)
      var found: VerifiedInodes.Hashed?
      switch result {
      case .success(let d)?:
        bytes += d.bytesHashed
        found = VerifiedInodes.Hashed(algorithm: algorithm.name, checksum: d.checksum, size: d.size)
        if let key = job.key { inodes.hashed[key] = found }
      case .failure(let error)?:
        problems.append("\(name): \(shown): stored file \(error.reason)")
      case nil:
        found = job.known
      }
      if let f = found {
        if f.size != e.size {
          problems.append("\(name): \(shown): size wrong (transcript \(e.size), stored \(f.size))")
        } else if f.checksum != e.checksum {
          problems.append("\(name): \(shown): checksum wrong (\(digest))")
        }
        if (f.size != e.size || f.checksum != e.checksum), let key = job.key, inodes.damaged[key] == nil {
          inodes.damaged[key] = "file/\(name)/\(shown.hasPrefix("/") ? String(shown.dropFirst()) : shown)"
        }
      }
      return true
    })
    report.bytes += bytes
    report.problems += problems
  }
}

extension String {
  func replacingSuffix(_ suffix: String) -> String { hasSuffix(suffix) ? String(dropLast(suffix.count)) : self }
}

/// One transcript read whole for `verify`: its parsed entries, in file order (syntax and
/// order checked).
struct LoadedTranscript {
  var name: String
  var entries: [Entry] = []

  init(path: String, name: String) throws(StoreError) {
    self.name = name
    let reader: LineReader
    do { reader = try LineReader(regularFile: path) } catch { throw .system(error) }
    var check = PublishedLineCheck(name: name)
    var entries: [Entry] = []
    try StoreError.mappingScan(of: name) {
      while let line = try reader.next() {
        if isCommentOrBlank(line) { continue }
        let entry = try check.entry(line, number: reader.lineNumber)
        entries.append(entry)
      }
    }
    self.entries = entries
  }
}
