import SystemCalls
import Archive
import Hashing
import RadmindFormat
import Store
import TranscriptIO

/// What `archive` did.
package struct ArchiveOutcome: Sendable {
  package var manifest: Manifest
  package var archivePath: String
  /// True when the loadset was archived before (nothing was written).
  package var alreadyArchived: Bool
  /// The Release tag recorded (nil when already archived).
  package var tag: String?
}

extension DSL {
  /// Archives the published loadset `name` from `store` into
  /// `DSL/FAMILY/COMPONENT/TYPE/NAME-VERSION.tar.gz`, writes its manifest and records the
  /// `Release-VERSION-yyyymmdd` tag. An already archived loadset is left as it is.
  ///
  /// Every stored file is checked while it is archived: bin and cfg files against the size and
  /// checksum the transcript records (in the loadset's digest), neg files for zero length; a
  /// mismatch fails the archive. The archive is written under a temporary name, fsynced and
  /// renamed; the manifest follows it. On any failure (ENOSPC included) neither is left behind.
  ///
  /// Does not take the store's lock: loadsets are immutable, and the release hook calls this
  /// while `release` holds it.
  ///
  /// - Parameter level: zlib level. The default 5 costs about 25% less CPU than gzip's 6 for
  ///   about 1% more output on text-like loadsets (measured: 1 GB, 20k files: +1.4% vs
  ///   `tar -czf`), well inside the 3% the DSL allows; pass 6 for gzip's own trade-off.
  ///
  /// - Parameter tagRelease: false when a release archives the build: its intent writes the tag.
  package func archive(_ name: LoadsetName, from store: LoadsetStore, threads: Int = 2,
                      level: Int = 5, signingKey: SigningKey? = nil, tagRelease: Bool = true) throws(LibraryError) -> ArchiveOutcome {
    guard !name.isPointer else { throw LibraryError(.usage, "\(name.fileName) is a pointer; archive what it names") }
    let archivePath = archivePath(for: name), manifestPath = manifestPath(for: name)
    // Held to the end: no other archive writes in the folder; leftovers of crashed ones are gone.
    let folderLock = try ArchiveFolderLock(folder: folder(for: name))
    defer { folderLock.release() }
    if isArchived(name) {
      let manifest = try readManifest(manifestPath)
      return ArchiveOutcome(manifest: manifest, archivePath: archivePath, alreadyArchived: true, tag: nil)
    }
    let parent = name.series.type != .cfg ? store.pointerTarget(LoadsetName.current(name.series)) : nil
    let outcome = try archiveStored(ArchivedParts(
      loadset: name.fileName, type: name.series.type, transcriptPath: store.publishedTranscriptPath(name),
      metaPath: store.publishedMetadataPath(name), fileDirectory: store.publishedFileDirectory(name),
      folder: folder(for: name), archivePath: archivePath, manifestPath: manifestPath, archiveName: name.stem + ".tar.gz",
      parent: parent), from: store, threads: threads, level: level, signingKey: signingKey)
    guard tagRelease else { return outcome }
    do throws(LibraryError) {
      var tagged = outcome
      tagged.tag = try recordTag("Release", for: name)
      return tagged
    } catch {
      removeHalfRecorded(archivePath: archivePath, manifestPath: manifestPath)
      throw error
    }
  }

  /// Where one loadset comes from in the store and goes in the DSL.
  struct ArchivedParts {
    var loadset: String
    var type: LoadsetType
    var transcriptPath: String
    var metaPath: String
    var fileDirectory: String
    var folder: String
    var archivePath: String
    var manifestPath: String
    var archiveName: String
    /// The loadset the series' current pointer names, if another (recorded in the manifest).
    var parent: String?
  }

  /// Writes the archive and its manifest (signature first) of `parts`; the caller holds the
  /// folder's lock and has checked that it is not archived yet.
  func archiveStored(_ parts: ArchivedParts, from store: LoadsetStore, threads: Int, level: Int,
                     signingKey: SigningKey?) throws(LibraryError) -> ArchiveOutcome {
    let loadset = parts.loadset, archivePath = parts.archivePath, manifestPath = parts.manifestPath
    let transcriptPath = parts.transcriptPath
    guard let transcriptBytes = try LibraryFiles.readFile(transcriptPath) else {
      throw LibraryError(.usage, "\(loadset): no such loadset in \(store.root)")
    }
    let metaBytes = try LibraryFiles.readFile(parts.metaPath)
    let meta = LoadsetStore.Metadata(bytes: metaBytes ?? [])
    let digestName = meta.digest
    let algorithm: DigestAlgorithm
    do { algorithm = try DigestAlgorithm(named: digestName) } catch {
      throw LibraryError(.corrupt, "\(loadset): recorded digest \(digestName) is not supported")
    }
    let index = try TranscriptIndex(bytes: transcriptBytes, loadset: loadset, subject: loadset)
    let transcriptDigest = index.digest(algorithm)
    if let recorded = meta["transcript-checksum"], recorded != transcriptDigest {
      throw LibraryError(.corrupt, "\(loadset): transcript checksum \(transcriptDigest) differs from the recorded \(recorded); run 'loadsmith verify'")
    }
    try LibraryFiles.makeDirectories(parts.folder)

    var files = 0
    var bytes: Int64 = 0
    let fileDirectory = parts.fileDirectory
    WorkProgress.begin("archive \(loadset)", files: index.files.count, bytes: parts.type == .neg ? 0 : index.files.reduce(0) { $0 + $1.entry.size })
    defer { WorkProgress.end() }
    do {
      try writeAtomically(at: Array(archivePath.utf8), permissions: 0o644) { fd in
        let writer = try ArchiveWriter(fd: fd, level: level, threads: threads)
        try DSL.addSmallFile(writer, member: ArchiveLayout.transcriptMember(loadset), bytes: transcriptBytes,
                             like: transcriptPath)
        if let metaBytes {
          try DSL.addSmallFile(writer, member: ArchiveLayout.metaMember(loadset), bytes: metaBytes,
                               like: parts.metaPath)
        }
        let counts = try DSL.addFiles(index, type: parts.type, algorithm: algorithm, from: fileDirectory,
                                      rootMember: ArchiveLayout.fileRootMember(loadset), to: writer, loadset: loadset)
        (files, bytes) = counts
        try writer.finish()
      }
    } catch let error as LibraryError {
      throw error
    } catch let error as ArchiveError {
      throw LibraryError(error, in: "archiving \(loadset) to \(archivePath)")
    } catch {
      throw LibraryError(.system, "archiving \(loadset): \(error)")
    }

    do throws(LibraryError) {
      let (sha, size) = try LibraryFiles.sha256(ofFile: archivePath)
      var manifest = Manifest(
        loadset: loadset, type: parts.type.rawValue, archive: parts.archiveName, archiveSHA256: sha,
        archiveBytes: size, digestAlgorithm: algorithm.name, transcriptDigest: transcriptDigest, files: files,
        bytes: bytes, sourceStore: store.root, created: Clock.timestamp(milliseconds: false), who: Syscall.userAtHost)
      manifest.signingKey = signingKey?.name
      if let current = parts.parent, current != loadset { manifest.parent = current }
      do throws(StoreError) { manifest.historyHead = try store.historyHead() } catch { throw LibraryError(error) }
      let manifestBytes = Array(manifest.json.utf8)
      // The signature goes first: a manifest is never visible without the signature over it.
      if let signingKey {
        try LibraryFiles.writeFileAtomically(ManifestSignature.path(forManifest: manifestPath),
                                      try ManifestSignature.sign(manifestBytes, with: signingKey))
      }
      try LibraryFiles.writeFileAtomically(manifestPath, manifestBytes)
      return ArchiveOutcome(manifest: manifest, archivePath: archivePath, alreadyArchived: false, tag: nil)
    } catch {
      removeHalfRecorded(archivePath: archivePath, manifestPath: manifestPath)
      throw error
    }
  }

  /// No manifest, no archive: a half-recorded archive must not look archived.
  func removeHalfRecorded(archivePath: String, manifestPath: String) {
    if !LibraryFiles.exists(manifestPath) || (try? readManifest(manifestPath)) == nil {
      try? Syscall.unlink(Array(manifestPath.utf8))
      try? Syscall.unlink(Array(ManifestSignature.path(forManifest: manifestPath).utf8))
      try? Syscall.unlink(Array(archivePath.utf8))
    }
  }


  /// Reads and parses the manifest at `path`.
  package func readManifest(_ path: String) throws(LibraryError) -> Manifest {
    guard let bytes = try LibraryFiles.readFile(path, limit: Manifest.maxFileBytes) else {
      throw LibraryError(.usage, "\(path): no manifest (the archive is incomplete or not from a DSL)")
    }
    return try Manifest(json: String(decoding: bytes, as: UTF8.self), path: path)
  }

  /// Adds the small file at `path` (transcript, meta), which must still hold exactly `bytes`,
  /// the bytes that were checked (loadsets are immutable; this catches a damaged store).
  static func addSmallFile(_ writer: ArchiveWriter, member: [UInt8], bytes: [UInt8], like path: String) throws {
    let fd = try sys(path) { () throws(SystemCallError) in try Syscall.open(path, [.readOnly, .noFollow, .nonBlocking]) }  // never blocks on a FIFO
    defer { Syscall.closeQuietly(fd) }
    let st = try sys(path) { () throws(SystemCallError) in try Syscall.fstat(fd, path: path) }
    guard Int64(st.st_size) == Int64(bytes.count) else {
      throw LibraryError(.corrupt, "\(path) changed while being archived")
    }
    try writer.addFile(path: member, fd: fd, metadata: EntryMetadata(st))
  }

  /// Adds every stored file of `index` (and the folders above it) below `rootMember`, checking
  /// each against the transcript. Returns the files and bytes archived.
  static func addFiles(_ index: TranscriptIndex, type: LoadsetType, algorithm: DigestAlgorithm, from fileDirectory: String,
                       rootMember: [UInt8], to writer: ArchiveWriter, loadset: String) throws -> (Int, Int64) {
    let base = Array(fileDirectory.utf8)
    func metadata(ofDirectory relative: [UInt8]) throws -> EntryMetadata {
      let path = relative.isEmpty ? base : BytePath.join(base, relative)
      let st = try sys(show(path)) { () throws(SystemCallError) in try Syscall.lstat(path) }
      guard st.fileType == .directory else {
        throw LibraryError(.corrupt, "\(show(path)): not a directory in the store's file directory")
      }
      return EntryMetadata(st)
    }
    try writer.addDirectory(path: rootMember, metadata: try metadata(ofDirectory: []))
    let digester = algorithm.makeDigester()
    var open: [ArraySlice<UInt8>] = []  // folders already archived, outermost first
    var files = 0
    var bytes: Int64 = 0
    for stored in index.files {
      let relative = ArchiveLayout.relative(stored.entry.path)
      let components = relative.split(separator: 0x2F, omittingEmptySubsequences: true)
      let parents = components.dropLast()
      var common = 0
      while common < min(open.count, parents.count) && open[common] == parents[parents.startIndex + common] { common += 1 }
      open.removeLast(open.count - common)
      for i in common..<parents.count {
        open.append(parents[parents.startIndex + i])
        let folder = Array(open.joined(separator: [0x2F]))
        try writer.addDirectory(path: ArchiveLayout.member(root: rootMember, relative: folder),
                                metadata: try metadata(ofDirectory: folder))
      }
      let path = BytePath.join(base, stored.entry.path)
      let shown = String(decoding: stored.entry.path, as: UTF8.self)
      let fd: Int32
      do { fd = try Syscall.open(path, [.readOnly, .noFollow, .nonBlocking]) } catch {  // never blocks on a FIFO
        if error.errno == Errno.tooManyLinks { throw LibraryError(.corrupt, "\(loadset): \(shown): stored file is a symlink, not a regular file") }
        throw LibraryError(error, shown: show(path))
      }
      defer { Syscall.closeQuietly(fd) }
      let st = try sys(show(path)) { () throws(SystemCallError) in try Syscall.fstat(fd, path: path) }
      guard st.fileType == .regular else {
        throw LibraryError(.corrupt, "\(loadset): \(shown): stored file \(RegularFile.notRegular(st.st_mode))")
      }
      let expected = type == .neg ? 0 : stored.entry.size
      if Int64(st.st_size) != expected {
        throw LibraryError(.corrupt, type == .neg
          ? "\(loadset): \(shown): neg loadsets store zero-length files (found \(st.st_size) bytes)"
          : "\(loadset): \(shown): stored file has \(st.st_size) bytes, the transcript says \(expected)")
      }
      let checking = type != .neg && stored.entry.hasChecksum
      if checking {
        digester.reset()
        try writer.addFile(path: stored.member, fd: fd, metadata: EntryMetadata(st), observe: { digester.update($0) })
        if digester.finalizeBase64() != stored.entry.checksum {
          throw LibraryError(.corrupt, "\(loadset): \(shown): stored file's \(algorithm.name) checksum differs from the transcript; run 'loadsmith verify'")
        }
      } else {
        try writer.addFile(path: stored.member, fd: fd, metadata: EntryMetadata(st))
      }
      files += 1
      bytes += Int64(st.st_size)
      WorkProgress.advance(files: 1, bytes: Int64(st.st_size))
    }
    return (files, bytes)
  }
}

func show(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
