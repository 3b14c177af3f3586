#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Archive
import Hashing
import RadmindFormat
import Store

/// Checks a loadset archive member by member against its manifest and the transcript inside it,
/// as `dsl verify` reads it and as `restore` extracts it.
///
/// The members must come as the archiver writes them: `transcript/NAME.T` first (so every file
/// that follows can be checked as it streams past), then `.loadsmith/meta/NAME.T`, then the
/// folders and files below `file/NAME.T`. Every file must be one the transcript lists, with its
/// size and its checksum in the loadset's digest (neg loadsets: zero length); every listed file
/// must appear once. Anything else (links, devices, other names) is refused.
final class ArchiveChecker {
  let manifest: Manifest
  let loadset: String
  let type: LoadsetType
  let algorithm: DigestAlgorithm
  let subject: String
  /// Keep going after a file's checksum mismatch (verify lists them all) or stop (restore).
  let collectMismatches: Bool
  private let digester: Digester
  private let transcriptMember: [UInt8]
  private let metaMember: [UInt8]
  private let rootMember: [UInt8]

  private enum Current { case none, transcript, meta, file(Int) }
  private var current = Current.none
  private var buffer: [UInt8] = []
  private(set) var index: TranscriptIndex?
  private var seen: [Bool] = []
  private(set) var problems: [String] = []
  private(set) var files = 0
  private(set) var bytes: Int64 = 0
  private(set) var sawMeta = false
  private(set) var metaBytes: [UInt8] = []

  init(manifest: Manifest, subject: String, collectMismatches: Bool) throws(LibraryError) {
    self.manifest = manifest
    self.subject = subject
    self.collectMismatches = collectMismatches
    loadset = manifest.loadset
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
    do { algorithm = try DigestAlgorithm(named: manifest.digestAlgorithm) } catch {
      throw LibraryError(.corrupt, "\(subject): manifest digest \(manifest.digestAlgorithm) is not supported")
    }
    digester = algorithm.makeDigester()
    transcriptMember = ArchiveLayout.transcriptMember(loadset)
    metaMember = ArchiveLayout.metaMember(loadset)
    rootMember = ArchiveLayout.fileRootMember(loadset)
  }

  private func reject(_ entry: TarEntry, _ reason: String) -> ArchiveError {
    .rejected("\(subject): member '\(show(entry.path))': \(reason)")
  }

  /// Before `entry`'s data: is it a member this loadset's archive may hold?
  func willExtract(_ entry: TarEntry) throws(ArchiveError) {
    let path = ArchiveLayout.trimmed(entry.path)
    guard let index else {
      guard path == transcriptMember, entry.kind == .regular else {
        throw reject(entry, "the first member must be the transcript \(show(transcriptMember))")
      }
      guard entry.size <= 1 << 32 else { throw reject(entry, "transcript too large") }
      current = .transcript
      buffer = []
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
      guard let i = index.byMember[path] else { throw reject(entry, "the transcript lists no such file") }
      guard !seen[i] else { throw reject(entry, "appears twice") }
      let listed = index.files[i].entry
      let expected = type == .neg ? 0 : listed.size
      guard entry.size == expected else {
        throw reject(entry, type == .neg ? "neg loadsets store zero-length files (this has \(entry.size) bytes)"
                                         : "has \(entry.size) bytes, the transcript says \(expected)")
      }
      digester.reset()
      current = .file(i)
    default:
      throw reject(entry, "a store's file directory holds only folders and regular files")
    }
  }

  /// Each chunk of the current member's data.
  func observe(_ chunk: UnsafeRawBufferPointer) {
    switch current {
    case .file: digester.update(chunk)
    case .transcript, .meta: buffer.append(contentsOf: chunk)
    case .none: break
    }
  }

  /// After the member's data.
  func didExtract(_ entry: TarEntry) throws(ArchiveError) {
    switch current {
    case .none:
      break
    case .transcript:
      do throws(LibraryError) {
        let parsed = try TranscriptIndex(bytes: buffer, loadset: loadset, subject: subject)
        let digest = parsed.digest(algorithm)
        if digest != manifest.transcriptDigest {
          throw LibraryError(.corrupt, "\(subject): transcript digest \(digest) does not match the manifest's \(manifest.transcriptDigest)")
        }
        index = parsed
        seen = Array(repeating: false, count: parsed.files.count)
      } catch {
        throw .rejected(error.message)
      }
    case .meta:
      sawMeta = true
      metaBytes = buffer
      let meta = MetadataText(buffer)
      if let d = meta.fields["digest"], d != manifest.digestAlgorithm {
        throw reject(entry, "metadata says digest \(d), the manifest \(manifest.digestAlgorithm)")
      }
      if let c = meta.fields["transcript-checksum"], c != manifest.transcriptDigest {
        throw reject(entry, "metadata's transcript checksum does not match the manifest")
      }
    case .file(let i):
      seen[i] = true
      files += 1
      bytes += entry.size
      let listed = index!.files[i].entry
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

  /// After the last member (and the verified end of the archive): nothing missing, counts as
  /// the manifest says.
  func finish() throws(LibraryError) {
    guard let index else { throw LibraryError(.corrupt, "\(subject): the archive holds no transcript") }
    let missing = index.files.indices.filter { !seen[$0] }
    for i in missing.prefix(20) {
      problems.append("\(subject): \(show(index.files[i].entry.path)): listed in the transcript, missing from the archive")
    }
    if missing.count > 20 { problems.append("\(subject): ... \(missing.count - 20) more files missing") }
    if files != manifest.files || bytes != manifest.bytes {
      problems.append("\(subject): archive holds \(files) files / \(bytes) bytes, the manifest says \(manifest.files) / \(manifest.bytes)")
    }
    if !collectMismatches, let first = problems.first { throw LibraryError(.corrupt, first) }
  }
}

/// The result of checking one archive.
public struct ArchiveVerification: Sendable {
  public var archive: String
  public var loadset: String
  public var files = 0
  public var bytes: Int64 = 0
  public var problems: [String] = []
}

extension DSL {
  /// Checks the manifest beside `archivePath` and the archive against it (sha256, length), so that
  /// a swapped, truncated or altered archive is refused before it is read.
  static func checkManifest(archivePath: String) throws(LibraryError) -> Manifest {
    let manifestPath = DSL.manifestPath(forArchive: archivePath)
    guard Posix.exists(archivePath) else { throw LibraryError(.usage, "\(archivePath): no such archive") }
    guard let bytes = try Posix.readFile(manifestPath) else {
      throw LibraryError(.corrupt, "\(archivePath): no manifest \(manifestPath) beside it")
    }
    let manifest = try Manifest(json: String(decoding: bytes, as: UTF8.self), path: manifestPath)
    let archiveName = String(archivePath.split(separator: "/").last ?? "")
    if manifest.archive != archiveName {
      throw LibraryError(.corrupt, "\(archivePath): the manifest describes \(manifest.archive)")
    }
    let (sha, size) = try Posix.sha256(ofFile: archivePath)
    if size != manifest.archiveBytes || sha != manifest.archiveSHA256 {
      throw LibraryError(.corrupt, "\(archivePath): archive does not match its manifest (sha256 \(sha), \(size) bytes; manifest: \(manifest.archiveSHA256), \(manifest.archiveBytes) bytes)")
    }
    return manifest
  }

  /// `dsl verify ARCHIVE`: manifest, sha256, gzip CRC and length, tar structure, and every file
  /// against the transcript inside (its recorded digest; neg: presence and zero length).
  /// Damage is reported in `problems`; only an unreadable archive path throws.
  public static func verify(archive archivePath: String) -> ArchiveVerification {
    var result = ArchiveVerification(archive: archivePath, loadset: "?")
    do throws(LibraryError) {
      let manifest = try checkManifest(archivePath: archivePath)
      result.loadset = manifest.loadset
      let checker = try ArchiveChecker(manifest: manifest, subject: archivePath, collectMismatches: true)
      let fd = Glibc.open(archivePath, O_RDONLY | O_CLOEXEC)
      if fd < 0 { throw Posix.failure("open", archivePath) }
      defer { close(fd) }
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
  public func archives() throws(LibraryError) -> [String] {
    var out: [String] = []
    for family in try Posix.list(root) where family != "protected" && !family.hasPrefix(".") {
      for component in try Posix.list(root + "/" + family) where !component.hasPrefix(".") {
        for type in try Posix.list("\(root)/\(family)/\(component)") where !type.hasPrefix(".") {
          let folder = "\(root)/\(family)/\(component)/\(type)"
          for file in try Posix.list(folder) where file.hasSuffix(".tar.gz") && !file.hasPrefix(".") {
            out.append(folder + "/" + file)
          }
        }
      }
    }
    return out
  }

  /// `prune`'s question: nil when `name`'s archive exists, matches its manifest and verifies
  /// completely; otherwise why not.
  public func archivedAndVerified(_ name: LoadsetName) -> String? {
    guard Posix.exists(archivePath(for: name)) else { return "no archive in \(root)" }
    let result = DSL.verify(archive: archivePath(for: name))
    if let problem = result.problems.first { return "archive does not verify: \(problem)" }
    return result.loadset == name.fileName ? nil : "archive holds \(result.loadset)"
  }
}
