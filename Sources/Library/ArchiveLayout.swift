import SystemCalls
import Hashing
import RadmindFormat

/// Where a loadset's parts sit inside its archive: the store's own layout, so that
/// `tar -xzf ARCHIVE -C STORE` would put them where the store keeps them.
///
///     transcript/NAME.T              the transcript (first member)
///     .loadsmith/meta/NAME.T         the store's metadata (digest, checksum, counts; second)
///     file/NAME.T/...                the stored files, in transcript order, with their folders
///
/// A transcript path `/etc/hosts` or `./etc/hosts` is stored as `file/NAME.T/etc/hosts`.
enum ArchiveLayout {
  static func transcriptMember(_ loadset: String) -> [UInt8] { Array("transcript/\(loadset)".utf8) }
  static func metaMember(_ loadset: String) -> [UInt8] { Array(".loadsmith/meta/\(loadset)".utf8) }
  static func fileRootMember(_ loadset: String) -> [UInt8] { Array("file/\(loadset)".utf8) }

  /// A decoded transcript path relative to the file directory: leading `/` and `./` removed,
  /// `.` and `/` (the root) become empty.
  static func relative(_ path: [UInt8]) -> [UInt8] {
    var i = 0
    while true {
      if i < path.count && path[i] == 0x2F { i += 1; continue }
      if i + 1 < path.count && path[i] == 0x2E && path[i + 1] == 0x2F { i += 2; continue }
      break
    }
    if i == path.count - 1 && path[i] == 0x2E { return [] }
    return Array(path[i...])
  }

  /// `file/NAME.T/REL` (or `file/NAME.T` for the root).
  static func member(root: [UInt8], relative rel: [UInt8]) -> [UInt8] {
    rel.isEmpty ? root : BytePath.join(root, rel)
  }

  /// A member name without trailing slashes (directories may be archived as `dir/`).
  static func trimmed(_ path: [UInt8]) -> [UInt8] {
    var p = path
    while p.count > 1 && p.last == 0x2F { p.removeLast() }
    return p
  }
}

/// A transcript read whole and parsed: its entries with stored files, by archive member name.
struct TranscriptIndex {
  struct StoredFile {
    var entry: Entry
    var member: [UInt8]
  }
  let bytes: [UInt8]
  /// `f`/`a` entries (not `-` lines), in transcript order.
  var files: [StoredFile] = []
  /// Member name -> index in `files`.
  var byMember: [[UInt8]: Int] = [:]

  /// Parses `bytes` (the transcript of `loadset`); a bad line is a ``LibraryError/Code/corrupt``.
  init(bytes: [UInt8], loadset: String, subject: String) throws(LibraryError) {
    self.bytes = bytes
    let root = ArchiveLayout.fileRootMember(loadset)
    var parser = TranscriptLineParser()
    var lineNumber = 0
    var start = 0
    var failure: LibraryError?
    bytes.withUnsafeBytes { raw in
      while start < raw.count {
        var end = start
        while end < raw.count && raw[end] != 0x0A { end += 1 }
        lineNumber += 1
        let line = UnsafeRawBufferPointer(rebasing: raw[start..<end])
        start = end + 1
        if isCommentOrBlank(line) { continue }
        let entry: Entry
        do throws(LineError) { entry = try parser.parse(line) } catch {
          failure = LibraryError(.corrupt, "\(subject): transcript \(loadset) line \(lineNumber): \(error)")
          return
        }
        if let why = entry.storePathProblem {  // every line: a `d /../tmp` must not be restored either
          failure = LibraryError(.corrupt, "\(subject): transcript \(loadset) line \(lineNumber): \(why)")
          return
        }
        guard entry.kind.hasContent, entry.prefix != .minus else { continue }
        let member = ArchiveLayout.member(root: root, relative: ArchiveLayout.relative(entry.path))
        if byMember[member] != nil {
          failure = LibraryError(.corrupt, "\(subject): transcript \(loadset) line \(lineNumber): path listed twice")
          return
        }
        byMember[member] = files.count
        files.append(StoredFile(entry: entry, member: member))
      }
    }
    if let failure { throw failure }
  }

  /// The transcript's checksum in `algorithm`, base64 (what the store's meta records).
  func digest(_ algorithm: DigestAlgorithm) -> String {
    let d = algorithm.makeDigester()
    d.reset()
    d.update(bytes)
    return String(decoding: d.finalizeBase64(), as: UTF8.self)
  }
}
