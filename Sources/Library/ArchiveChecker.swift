import SystemCalls
import Archive
import Hashing
import RadmindFormat
import Store
import TranscriptIO

/// Checks a loadset archive member by member against its manifest and the transcript inside it,
/// as `dsl verify` reads it and as `restore` extracts it, in memory that does not grow with the
/// transcript.
///
/// The members must come as the archiver writes them: `transcript/NAME.T` first, then
/// `.loadsmith/meta/NAME.T`, then the folders and files below `file/NAME.T` in transcript order.
/// The transcript is checked as it streams past (``TranscriptScan``: syntax, paths, order, no
/// path twice, its digest and counts against the manifest); every file must then be the next one
/// the transcript lists (read again through a ``TranscriptCursor``), with its size and its
/// checksum in the loadset's digest (neg loadsets: zero length); a listed file that does not
/// come is missing. Anything else (links, devices, other names) is refused.
final class ArchiveChecker {
  let manifest: Manifest
  let loadset: String
  let type: LoadsetType
  let algorithm: DigestAlgorithm
  /// The archive's path: messages start with it, and the transcript is read again from it.
  let subject: String
  /// Keep going after a file's checksum mismatch (verify lists them all) or stop (restore).
  let collectMismatches: Bool
  private let digester: Digester
  private let transcriptMember: [UInt8]
  private let metaMember: [UInt8]
  private let rootMember: [UInt8]
  private let order = PathOrder(caseInsensitive: false)

  private enum Current { case none, transcript, meta, file(Entry) }
  private var current = Current.none
  private var buffer: [UInt8] = []
  private var scan: TranscriptScan?
  private var cursor: TranscriptCursor?
  private var missing = 0
  private(set) var problems: [String] = []
  private(set) var files = 0
  private(set) var bytes: Int64 = 0
  /// What the transcript holds (its lines, stored files and their listed bytes), once read.
  private(set) var transcriptEntries = 0
  private(set) var transcriptFiles = 0
  private(set) var transcriptBytes: Int64 = 0
  private(set) var sawMeta = false
  private(set) var metaBytes: [UInt8] = []

  init(manifest: Manifest, subject: String, collectMismatches: Bool) throws(LibraryError) {
    self.manifest = manifest
    self.subject = subject
    self.collectMismatches = collectMismatches
    loadset = manifest.loadset
    if let foreignType = try ArchiveChecker.foreignType(manifest, subject: subject) {
      type = foreignType
    } else {
      let name: LoadsetName
      do { name = try LoadsetName(parsing: manifest.loadset) } catch {
        throw LibraryError(.corrupt, "\(subject): manifest names '\(manifest.loadset)', not a loadset (\(error.reason))")
      }
      guard name.fileName == manifest.loadset, !name.isPointer else {
        throw LibraryError(.corrupt, "\(subject): manifest names '\(manifest.loadset)', not an immutable loadset")
      }
      type = name.series.type
      guard type.rawValue == manifest.type else {
        throw LibraryError(.corrupt, "\(subject): manifest says type \(manifest.type), the name says \(type.rawValue)")
      }
    }
    do { algorithm = try DigestAlgorithm(named: manifest.digestAlgorithm) } catch {
      throw LibraryError(.corrupt, "\(subject): manifest digest \(manifest.digestAlgorithm) is not supported")
    }
    guard manifest.files >= 0, manifest.bytes >= 0, manifest.archiveBytes >= 0 else {
      throw LibraryError(.corrupt, "\(subject): manifest holds a negative count")
    }
    digester = algorithm.makeDigester()
    transcriptMember = ArchiveLayout.transcriptMember(loadset)
    metaMember = ArchiveLayout.metaMember(loadset)
    rootMember = ArchiveLayout.fileRootMember(loadset)
  }

  /// The type of a foreign loadset's archive (in `DSL/foreign-loadsets/`, its manifest naming a
  /// non-Loadsmith name); nil for any other archive.
  static func foreignType(_ manifest: Manifest, subject: String) throws(LibraryError) -> LoadsetType? {
    guard DSL.isForeignArchivePath(subject), (try? LoadsetName(parsing: manifest.loadset)) == nil else { return nil }
    if let why = LoadsetStore.foreignNameProblem(manifest.loadset) {
      throw LibraryError(.corrupt, "\(subject): manifest names '\(manifest.loadset)': \(why)")
    }
    guard let type = LoadsetType(rawValue: manifest.type), type != .cfg else {
      throw LibraryError(.corrupt, "\(subject): manifest says type \(manifest.type); a foreign loadset is bin or neg")
    }
    return type
  }

  private func reject(_ entry: TarEntry, _ reason: String) -> ArchiveError {
    .rejected("\(subject): member '\(show(entry.path))': \(reason)")
  }

  /// Before `entry`'s data: is it a member this loadset's archive may hold?
  func willExtract(_ entry: TarEntry) throws(ArchiveError) {
    let path = ArchiveLayout.trimmed(entry.path)
    guard let cursor else {
      guard path == transcriptMember, entry.kind == .regular, scan == nil else {
        throw reject(entry, "the first member must be the transcript \(show(transcriptMember))")
      }
      current = .transcript
      scan = TranscriptScan(loadset: loadset, subject: subject, algorithm: algorithm)
      return
    }
    if path == metaMember && entry.kind == .regular && !sawMeta && files == 0 {
      guard entry.size <= 1 << 20 else { throw reject(entry, "metadata too large") }
      current = .meta
      buffer = []
      return
    }
    let underRoot = path == rootMember || (path.count > rootMember.count && path.starts(with: rootMember + [0x2F]))
    guard underRoot else { throw reject(entry, "not a part of \(loadset)") }
    switch entry.kind {
    case .directory:
      current = .none
    case .regular:
      let relative = Array(path[(rootMember.count + 1)...])
      let listed: Entry
      do throws(LibraryError) { listed = try nextListed(relative, cursor) } catch {
        if error.code == .usage { throw reject(entry, error.message) }
        throw .rejected(error.message)
      }
      let expected = type == .neg ? 0 : listed.size
      guard entry.size == expected else {
        throw reject(entry, type == .neg ? "neg loadsets store zero-length files (this has \(entry.size) bytes)"
                                         : "has \(entry.size) bytes, the transcript says \(expected)")
      }
      digester.reset()
      current = .file(listed)
    default:
      throw reject(entry, "a store's file directory holds only folders and regular files")
    }
  }

  /// The transcript's entry for the file member at `relative`: the next stored file it lists.
  /// Listed files the archive skipped are missing; a member the transcript does not list next
  /// is refused (a `.usage` error carries only the reason).
  private func nextListed(_ relative: [UInt8], _ cursor: TranscriptCursor) throws(LibraryError) -> Entry {
    while let listed = try cursor.peek() {
      let c = order.compare(relative, ArchiveLayout.relative(listed.path))
      if c == 0 {
        cursor.advance()
        return listed
      }
      if c < 0 { break }
      noteMissing(listed)
      cursor.advance()
    }
    throw LibraryError(.usage, "the transcript lists no such file here (not listed, listed once, or out of transcript order)")
  }

  private func noteMissing(_ listed: Entry) {
    missing += 1
    if missing <= 20 {
      problems.append("\(subject): \(show(listed.path)): listed in the transcript, missing from the archive")
    }
  }

  /// Each chunk of the current member's data.
  func observe(_ chunk: UnsafeRawBufferPointer) {
    switch current {
    case .file: digester.update(chunk); WorkProgress.advance(bytes: Int64(chunk.count))
    case .transcript:
      // A bad line stops the scan; the error is raised in didExtract.
      if scanFailure == nil {
        do throws(LibraryError) { try scan?.feed(chunk) } catch { scanFailure = error }
      }
    case .meta: buffer.append(contentsOf: chunk)
    case .none: break
    }
  }
  private var scanFailure: LibraryError?

  /// After the member's data.
  func didExtract(_ entry: TarEntry) throws(ArchiveError) {
    switch current {
    case .none:
      break
    case .transcript:
      do throws(LibraryError) { try finishTranscript() } catch { throw .rejected(error.message) }
    case .meta:
      sawMeta = true
      metaBytes = buffer
      try checkMeta(entry)
    case .file(let listed):
      files += 1
      bytes += entry.size
      WorkProgress.advance(files: 1)
      if type != .neg && listed.hasChecksum {
        let sum = digester.finalizeBase64()
        if sum != listed.checksum {
          let message = "\(subject): \(show(listed.path)): \(algorithm.name) checksum \(show(sum)) differs from the transcript's \(show(listed.checksum))"
          if !collectMismatches { throw .rejected(message) }
          problems.append(message)
        }
      }
    }
    current = .none
    buffer = []
  }

  /// The transcript has streamed past: it must be whole, match the manifest's digest and counts;
  /// then the files are matched against it, read again.
  private func finishTranscript() throws(LibraryError) {
    guard let scan else { return }
    if let scanFailure { throw scanFailure }
    let digest = try scan.finish()
    if digest != manifest.transcriptDigest {
      throw LibraryError(.corrupt, "\(subject): transcript digest \(digest) does not match the manifest's \(manifest.transcriptDigest)")
    }
    (transcriptEntries, transcriptFiles, transcriptBytes) = (scan.entries, scan.files, scan.bytes)
    let archivedBytes = type == .neg ? 0 : scan.bytes
    if manifest.files != scan.files || manifest.bytes != archivedBytes {
      throw LibraryError(.corrupt, "\(subject): the manifest says \(manifest.files) files / \(manifest.bytes) bytes, the transcript lists \(scan.files) / \(archivedBytes)")
    }
    cursor = try TranscriptCursor(archivePath: subject, loadset: loadset, subject: subject, algorithm: algorithm)
  }

  /// The store's metadata must say what the manifest and the transcript say: it becomes the
  /// restored loadset's `status`.
  private func checkMeta(_ entry: TarEntry) throws(ArchiveError) {
    let meta = LoadsetStore.Metadata(bytes: buffer)
    if let d = meta["digest"], d != manifest.digestAlgorithm {
      throw reject(entry, "metadata says digest \(d), the manifest \(manifest.digestAlgorithm)")
    }
    if let c = meta["transcript-checksum"], c != manifest.transcriptDigest {
      throw reject(entry, "metadata's transcript checksum does not match the manifest")
    }
    let expected = [("name", loadset), ("type", type.rawValue), ("entries", String(transcriptEntries)),
                    ("files", String(transcriptFiles)), ("bytes", String(transcriptBytes))]
    for (key, value) in expected {
      if let recorded = meta[key], recorded != value {
        throw reject(entry, "metadata says \(key) \(recorded), the transcript \(value)")
      }
    }
  }

  /// After the last member (and the verified end of the archive): nothing missing, counts as
  /// the manifest says.
  func finish() throws(LibraryError) {
    if let scanFailure { throw scanFailure }
    guard let cursor else { throw LibraryError(.corrupt, "\(subject): the archive holds no transcript") }
    while let listed = try cursor.peek() {
      noteMissing(listed)
      cursor.advance()
    }
    if missing > 20 { problems.append("\(subject): ... \(missing - 20) more files missing") }
    if cursor.digest() != manifest.transcriptDigest {
      throw LibraryError(.corrupt, "\(subject): the transcript changed while the archive was read")
    }
    if files != manifest.files || bytes != manifest.bytes {
      problems.append("\(subject): archive holds \(files) files / \(bytes) bytes, the manifest says \(manifest.files) / \(manifest.bytes)")
    }
    if !collectMismatches, let first = problems.first { throw LibraryError(.corrupt, first) }
  }
}

/// The result of checking one archive.
package struct ArchiveVerification: Sendable {
  package var archive: String
  package var loadset: String
  package var files = 0
  package var bytes: Int64 = 0
  package var problems: [String] = []
  /// What the signature check found (nil when it was refused before: see `problems`).
  package var signature: ManifestSignature.Status?
}

extension DSL {
  /// Checks the manifest beside `archivePath` and the archive against it (sha256, length), so that
  /// a swapped, truncated or altered archive is refused before it is read.
  /// The signature over the manifest is checked first of all (``checkSignature``).
  static func checkManifest(archivePath: String, policy: SignaturePolicy) throws(LibraryError) -> (Manifest, ManifestSignature.Status) {
    let manifestPath = DSL.manifestPath(forArchive: archivePath)
    guard LibraryFiles.exists(archivePath) else { throw LibraryError(.usage, "\(archivePath): no such archive") }
    guard let bytes = try LibraryFiles.readFile(manifestPath, limit: Manifest.maxFileBytes) else {
      throw LibraryError(.corrupt, "\(archivePath): no manifest \(manifestPath) beside it")
    }
    let signature = try checkSignature(archivePath: archivePath, manifestPath: manifestPath, manifestBytes: bytes, policy: policy)
    let manifest = try Manifest(json: String(decoding: bytes, as: UTF8.self), path: manifestPath)
    if let signer = signature.signer, manifest.signingKey != signer {
      throw LibraryError(.corrupt, "\(archivePath): refused: signed by '\(signer)' but the manifest names '\(manifest.signingKey ?? "no key")'")
    }
    let archiveName = String(archivePath.split(separator: "/").last ?? "")
    if manifest.archive != archiveName {
      throw LibraryError(.corrupt, "\(archivePath): the manifest describes \(manifest.archive)")
    }
    let (sha, size) = try LibraryFiles.sha256(ofFile: archivePath)
    if size != manifest.archiveBytes || sha != manifest.archiveSHA256 {
      throw LibraryError(.corrupt, "\(archivePath): archive does not match its manifest (sha256 \(sha), \(size) bytes; manifest: \(manifest.archiveSHA256), \(manifest.archiveBytes) bytes)")
    }
    return (manifest, signature)
  }

  /// `dsl verify ARCHIVE`: manifest, sha256, gzip CRC and length, tar structure, and every file
  /// against the transcript inside (its recorded digest; neg: presence and zero length).
  /// Damage is reported in `problems`; only an unreadable archive path throws.
  package static func verify(archive archivePath: String, policy: SignaturePolicy) -> ArchiveVerification {
    var result = ArchiveVerification(archive: archivePath, loadset: "?")
    do throws(LibraryError) {
      let (manifest, signature) = try checkManifest(archivePath: archivePath, policy: policy)
      result.signature = signature
      result.loadset = manifest.loadset
      let checker = try ArchiveChecker(manifest: manifest, subject: archivePath, collectMismatches: true)
      WorkProgress.begin("verify \(manifest.archive)", files: manifest.files, bytes: manifest.bytes)
      defer { WorkProgress.end() }
      let fd = try sys(archivePath) { () throws(SystemCallError) in try Syscall.open(archivePath, [.readOnly]) }
      defer { Syscall.closeQuietly(fd) }
      do throws(ArchiveError) {
        let reader = try ArchiveReader(fd: fd, path: archivePath)
        while let entry = try reader.next() {
          try checker.willExtract(entry)
          try reader.forEachDataChunk { (chunk) throws(ArchiveError) in checker.observe(chunk) }
          try checker.didExtract(entry)
        }
      } catch {
        if case .rejected(let message) = error { throw LibraryError(.corrupt, message) }
        throw LibraryError(error, in: archivePath)
      }
      try checker.finish()
      result.files = checker.files
      result.bytes = checker.bytes
      result.problems = checker.problems
    } catch {
      result.problems.append(error.message)
    }
    return result
  }

  /// Every archive in the DSL (`FAMILY/COMPONENT/TYPE/*.tar.gz`), sorted.
  package func archives() throws(LibraryError) -> [String] {
    var out: [String] = []
    for family in try LibraryFiles.list(root) where family != "protected" && !family.hasPrefix(".") {
      if family == DSL.foreignFolderName {
        out += try LibraryFiles.list(foreignFolder).filter { $0.hasSuffix(".tar.gz") && !$0.hasPrefix(".") }.map { foreignFolder + "/" + $0 }
        continue
      }
      for component in try LibraryFiles.list(root + "/" + family) where !component.hasPrefix(".") {
        for type in try LibraryFiles.list("\(root)/\(family)/\(component)") where !type.hasPrefix(".") {
          let folder = "\(root)/\(family)/\(component)/\(type)"
          for file in try LibraryFiles.list(folder) where file.hasSuffix(".tar.gz") && !file.hasPrefix(".") {
            out.append(folder + "/" + file)
          }
        }
      }
    }
    return out
  }

  /// `prune`'s question: nil when `name`'s archive exists, matches its manifest and verifies
  /// completely; otherwise why not.
  package func archivedAndVerified(_ name: LoadsetName) -> String? {
    guard LibraryFiles.exists(archivePath(for: name)) else { return "no archive in \(root)" }
    // Unsigned archives from before signing count; a signature that does not verify does not.
    let policy: SignaturePolicy
    do { policy = try signaturePolicy(extraTrustedKeys: nil, allowUnsigned: true) } catch { return error.message }
    let result = DSL.verify(archive: archivePath(for: name), policy: policy)
    if let problem = result.problems.first { return "archive does not verify: \(problem)" }
    return result.loadset == name.fileName ? nil : "archive holds \(result.loadset)"
  }
}
