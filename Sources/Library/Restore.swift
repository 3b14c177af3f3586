import SystemCalls
import Archive
import Store
import TranscriptIO

/// What `restore` put back.
package struct RestoreOutcome: Sendable {
  package var loadset: String
  package var store: String
  package var files: Int
  package var bytes: Int64
  package var signature: ManifestSignature.Status
  /// True when the store had this foreign loadset already, with the same transcript: nothing changed.
  package var unchanged = false
}

extension DSL {
  /// `restore ARCHIVE --store DIR`: puts the archived loadset back into `store`, atomically.
  ///
  /// The manifest must match the archive (sha256, length) before anything is read. The archive
  /// is extracted into the store's staging area (`.loadsmith/tmp/`), every member checked as it
  /// streams past (``ArchiveChecker``: names, sizes, checksums in the recorded digest, nothing
  /// missing, gzip CRC at the end), and entries that would escape (`..`, absolute names, links)
  /// are refused before anything is written for them. Only then is the loadset published, as a
  /// capture is: under the store's lock, through an intent record, transcript last. On any
  /// failure the staging is removed and the store is unchanged. A loadset the store already has
  /// is refused (published loadsets are immutable).
  package static func restore(archive archivePath: String, into store: LoadsetStore,
                             policy: SignaturePolicy) throws(LibraryError) -> RestoreOutcome {
    let (manifest, signature) = try checkManifest(archivePath: archivePath, policy: policy)
    if try ArchiveChecker.foreignType(manifest, subject: archivePath) != nil {
      return try restoreForeign(archive: archivePath, manifest: manifest, signature: signature, into: store)
    }
    let name: LoadsetName
    do { name = try LoadsetName(parsing: manifest.loadset) } catch {
      throw LibraryError(.corrupt, "\(archivePath): manifest names '\(manifest.loadset)' (\(error.reason))")
    }
    let checker = try ArchiveChecker(manifest: manifest, subject: archivePath, collectMismatches: false)
    try publishExtracted(archivePath, manifest: manifest, checker: checker) { (stage) throws(StoreError) in
      try store.publishRestored(name, stage: stage)
    }
    return RestoreOutcome(loadset: manifest.loadset, store: store.root, files: checker.files, bytes: checker.bytes,
                          signature: signature)
  }

  /// `restore` of a foreign loadset's archive: put back under its own name, byte for byte, as a
  /// foreign loadset; an identical one in the store is left as it is, a different one refused.
  static func restoreForeign(archive archivePath: String, manifest: Manifest, signature: ManifestSignature.Status,
                             into store: LoadsetStore) throws(LibraryError) -> RestoreOutcome {
    let checker = try ArchiveChecker(manifest: manifest, subject: archivePath, collectMismatches: false)
    let published = try publishExtracted(archivePath, manifest: manifest, checker: checker) { (stage) throws(StoreError) in
      try store.publishRestoredForeign(manifest.loadset, stage: stage)
    }
    var outcome = RestoreOutcome(loadset: manifest.loadset, store: store.root, files: checker.files, bytes: checker.bytes,
                                 signature: signature)
    outcome.unchanged = !published
    return outcome
  }

  /// The one way from a checked archive into the store, for both kinds of restore: `publish`
  /// hands the store's staging folder to the extraction (``extract(_:checker:into:)``) under a
  /// progress phase. An extraction failure is thrown as itself (not as the store's wrapper of it).
  static func publishExtracted<Result>(
    _ archivePath: String, manifest: Manifest, checker: ArchiveChecker,
    _ publish: (_ stage: (String) throws(StoreError) -> Void) throws(StoreError) -> Result
  ) throws(LibraryError) -> Result {
    WorkProgress.begin("restore \(manifest.loadset)", files: manifest.files, bytes: manifest.bytes)
    defer { WorkProgress.end() }
    var failure: LibraryError?
    do throws(StoreError) {
      return try publish { (staged) throws(StoreError) in
        do throws(LibraryError) {
          try extract(archivePath, checker: checker, into: staged)
        } catch {
          failure = error
          throw StoreError(.usage, error.message)
        }
      }
    } catch {
      throw failure ?? LibraryError(error)
    }
  }

  /// Extracts into `staged/x`, checking every member, then arranges the store's staging layout:
  /// `staged/transcript`, `staged/file`, `staged/meta`.
  static func extract(_ archivePath: String, checker: ArchiveChecker, into staged: String) throws(LibraryError) {
    let loadset = checker.loadset
    let scratch = staged + "/x"
    try sys(scratch) { () throws(SystemCallError) in try Syscall.mkdir(scratch, mode: 0o700) }
    let fd = try sys(archivePath) { () throws(SystemCallError) in try Syscall.open(archivePath, [.readOnly]) }
    defer { Syscall.closeQuietly(fd) }
    do throws(ArchiveError) {
      let reader = try ArchiveReader(fd: fd, path: archivePath)
      let hooks = ExtractHooks(willExtract: { (entry) throws(ArchiveError) in try checker.willExtract(entry) },
                               observeData: { checker.observe($0) },
                               didExtract: { (entry) throws(ArchiveError) in try checker.didExtract(entry) })
      _ = try reader.extractAll(into: Array(scratch.utf8), hooks: hooks)
    } catch {
      if case .rejected(let message) = error { throw LibraryError(.corrupt, message) }
      throw LibraryError(error, in: "restoring \(archivePath)")
    }
    try checker.finish()
    // A loadset without stored files may come without its (empty) file directory.
    try LibraryFiles.makeDirectories("\(scratch)/file/\(loadset)")
    for (from, to) in [("\(scratch)/transcript/\(loadset)", "\(staged)/transcript"),
                       ("\(scratch)/file/\(loadset)", "\(staged)/file")] {
      try sys(from) { () throws(SystemCallError) in try Syscall.rename(Array(from.utf8), Array(to.utf8)) }
    }
    let metaPath = "\(scratch)/.loadsmith/meta/\(loadset)"
    if LibraryFiles.exists(metaPath) {
      try sys(metaPath) { () throws(SystemCallError) in try Syscall.rename(Array(metaPath.utf8), Array("\(staged)/meta".utf8)) }
    } else {
      // An archive without the store's metadata: rebuild what verify and diff need from the manifest.
      // Counts from the transcript itself (checked against the manifest), as capture writes them.
      let m = checker.manifest
      let meta = LoadsetStore.Metadata(name: loadset, type: checker.type.rawValue, digest: m.digestAlgorithm,
                                       transcriptChecksum: m.transcriptDigest, entries: checker.transcriptEntries,
                                       files: checker.transcriptFiles, bytes: checker.transcriptBytes)
      try LibraryFiles.writeFileAtomically("\(staged)/meta", Array(meta.text.utf8))
    }
    removeTree(scratch)
  }

  /// Removes a scratch tree (best effort; the store removes staging leftovers anyway).
  static func removeTree(_ path: String) {
    try? LoadsetStore.removeTree(path)  // names as bytes: a non-UTF-8 name is removed too
  }
}
