import SystemCalls
import TranscriptIO
import Hashing
import RadmindFormat

/// What one `verify` pass learned about stored inodes: shared content (a build's files, linked
/// versions) is hashed once, and a damaged inode is reported with every loadset that shares it.
struct VerifiedInodes: Sendable {
  typealias Key = InodeKey
  struct Hashed: Sendable { var algorithm: String; var checksum: [UInt8]; var size: Int64 }
  var hashed: [Key: Hashed] = [:]
  /// Loadsets naming each inode that has more than one link (in the order verify met them).
  var users: [Key: [String]] = [:]
  /// Damaged inodes: the first path they were found at (`file/NAME/path`).
  var damaged: [Key: String] = [:]

  static func key(_ path: [UInt8]) -> (Key, nlink: UInt64)? {
    guard let st = Syscall.lstatIfPresent(path), FileType(mode: st.st_mode) == .regular else { return nil }
    return (Key(st), UInt64(st.st_nlink))
  }

  mutating func use(_ key: Key, nlink: UInt64, by loadset: String) {
    guard nlink > 1 else { return }
    if users[key]?.last != loadset { users[key, default: []].append(loadset) }
  }

  /// One problem per damaged inode shared by several loadsets, naming them all.
  func sharedDamage() -> [(problem: String, loadsets: [String])] {
    damaged.compactMap { key, first in
      guard let names = users[key], names.count > 1 else { return nil }
      return ("\(first): stored bytes no longer match its transcript, and the damaged file (inode \(key.inode)) is shared by \(names.count) loadsets: \(names.joined(separator: ", "))", names)
    }.sorted { $0.problem < $1.problem }
  }
}

extension LoadsetStore {
  /// Checks the content index against what verify hashed: every entry must name a stored file
  /// (that inode, that size) whose bytes have that checksum.
  func verifyContentIndex(_ inodes: VerifiedInodes, into report: inout VerifyReport) throws(StoreError) {
    guard Syscall.kind(contentDirectory) == .directory else {
      if Syscall.exists(contentDirectory) { report.problems.append(".loadsmith/content is not a directory; run 'loadsmith reindex'") }
      return
    }
    var problems: [String] = []
    for name in try sys(Syscall.listDirectoryNames(contentDirectory)) where !name.hasPrefix(".") {
      var entries: [ContentKey: [ContentLocation]] = [:]
      let path = contentDirectory + "/" + name
      guard Syscall.kind(path) == .file, let bytes = ContentIndexIO.read(path) else {
        problems.append(".loadsmith/content/\(name): not a regular file; run 'loadsmith reindex'")
        continue
      }
      if !Syscall.exists(transcriptPath(name)) {
        problems.append(".loadsmith/content/\(name): index segment of a loadset that is not published; run 'loadsmith reindex'")
        continue
      }
      ContentIndexFormat.parse(bytes, root: Array(fileRoot(name).utf8), into: &entries, problems: &problems, name: name)
      for (key, locations) in entries {
        for l in locations {
          var relative = String(decoding: l.path.dropFirst(fileRoot(name).utf8.count + 1), as: UTF8.self)
          if relative.hasPrefix("/") { relative.removeFirst() }
          let shown = ".loadsmith/content/\(name): entry \(relative)"
          guard let (k, _) = VerifiedInodes.key(l.path) else {
            problems.append("\(shown): names no stored file; run 'loadsmith reindex'")
            continue
          }
          var hashed = inodes.hashed[k]
          if hashed == nil || hashed!.algorithm != key.algorithm, let algorithm = try? DigestAlgorithm(named: key.algorithm),
             case .success(let d) = FileHasher(algorithm: algorithm).hash(path: l.path) {
            hashed = VerifiedInodes.Hashed(algorithm: key.algorithm, checksum: d.checksum, size: d.size)
          }
          if let h = hashed, h.checksum != key.checksum || h.size != key.size {
            problems.append("\(shown): the stored bytes no longer have the indexed checksum")
          }
        }
      }
    }
    report.problems += problems.sorted()
    if !problems.isEmpty { report.suspects.insert(LoadsetStore.contentSubject) }
  }

  /// The subject of content-index problems in ``VerifyReport/suspects``.
  static let contentSubject = ".loadsmith/content"
}
