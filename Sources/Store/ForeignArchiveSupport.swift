import SystemCalls
import TranscriptIO

/// What the Library needs to archive and restore foreign loadsets by name: their paths, and
/// publishing one that a restore staged.
extension LoadsetStore {
  /// The published foreign loadset `reference` names (with or without `.T`), and its parts.
  package func foreignLoadsetPaths(_ reference: String) -> (name: String, transcript: String, files: String, meta: String)? {
    guard let path = foreignTranscriptPath(reference) else { return nil }
    let name = String(path.split(separator: "/").last!)
    return (name, path, fileRoot(name), metaPath(name))
  }

  /// Publishes the foreign loadset `name` that `stage` writes into a fresh staging directory
  /// (`DIR/transcript`, `DIR/file`, `DIR/meta`), as ``publishRestored(_:stage:)`` does. When the
  /// store has a loadset of that name already: one with the same transcript, byte for byte, is
  /// left as it is (returns false); any other is refused (nothing is ever replaced).
  package func publishRestoredForeign(_ name: String, stage: (String) throws(StoreError) -> Void) throws(StoreError) -> Bool {
    if let why = LoadsetStore.foreignNameProblem(name) { throw StoreError(.usage, "\(name): \(why)") }
    if (try? LoadsetName(parsing: name)) != nil { throw StoreError(.usage, "\(name): a Loadsmith name, not a foreign loadset") }
    return try write { () throws(StoreError) -> Bool in
      let exists = LoadsetStore.fileType(transcriptPath(name)) != nil
      let staged = try makeStagingDirectory("restore")
      do throws(StoreError) {
        try stage(staged)
        for part in ["transcript", "file", "meta"] where LoadsetStore.fileType(staged + "/" + part) == nil {
          throw StoreError(.store, "restore of \(name) staged no \(part)")
        }
        if exists {
          guard try LoadsetStore.sameBytes(staged + "/transcript", transcriptPath(name)) else {
            throw StoreError(.usage, "\(name) exists in \(root) with a different transcript; a foreign loadset is never replaced (restore into another store, or move transcript/\(name) and file/\(name) away first)")
          }
          try? DirectoryTree.remove(Array(staged.utf8))
          return false
        }
        try LoadsetStore.markForeign(stagedMeta: staged + "/meta")
      } catch {
        try? DirectoryTree.remove(Array(staged.utf8))
        throw error
      }
      var intent = Intent(operation: "restore \(name)")
      intent.actions.append(.publish(staged: String(staged.split(separator: "/").last!), name: name))
      let meta = try? LoadsetStore.readStagedMeta(staged + "/meta")
      let checksum = meta?.loggedChecksum ?? "-"
      intent.actions.append(.log(event: "restore", name: name, from: "-", to: "-", checksum: checksum))
      try commit(intent)
      return true
    }
  }

  /// A restored foreign loadset is foreign again: its staged metadata (the archive's, or one
  /// rebuilt from the manifest, which knows nothing of origins) says `origin foreign`.
  static func markForeign(stagedMeta path: String) throws(StoreError) {
    var meta = try readStagedMeta(path)
    guard meta["origin"] != "foreign" else { return }
    meta["origin"] = "foreign"
    do {
      let fd = try Syscall.open(path, [.writeOnly, .truncate, .noFollow])
      defer { Syscall.closeQuietly(fd) }
      try Syscall.writeAll(fd, Array(meta.text.utf8), path: path)
    } catch { throw .system(error) }
  }

  /// The staged metadata file `path` (a regular file: a restore wrote it).
  static func readStagedMeta(_ path: String) throws(StoreError) -> Metadata {
    let fd: Int32
    do { fd = try RegularFile.openForReading(path) } catch { throw .system(error) }
    defer { Syscall.closeQuietly(fd) }
    var bytes: [UInt8] = [], block = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let n = try readFully(fd, &block, path)
      bytes += block[0..<n]
      if n < block.count { break }
    }
    return Metadata(text: String(decoding: bytes, as: UTF8.self))
  }

  /// True when both regular files hold the same bytes (read in blocks: transcripts can be large).
  static func sameBytes(_ a: String, _ b: String) throws(StoreError) -> Bool {
    let fa: Int32, fb: Int32
    do { fa = try RegularFile.openForReading(a) } catch { throw .system(error) }
    defer { Syscall.closeQuietly(fa) }
    do { fb = try RegularFile.openForReading(b) } catch { return false }  // not a regular file: different
    defer { Syscall.closeQuietly(fb) }
    var x = [UInt8](repeating: 0, count: 1 << 16), y = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let n = try readFully(fa, &x, a), m = try readFully(fb, &y, b)
      if n != m || x[0..<n] != y[0..<m] { return false }
      if n == 0 { return true }
    }
  }

  private static func readFully(_ fd: Int32, _ buffer: inout [UInt8], _ path: String) throws(StoreError) -> Int {
    var total = 0
    while total < buffer.count {
      let read = buffer.withUnsafeMutableBytes { raw in
        Result { () throws(SystemCallError) -> Int in
          try Syscall.read(fd, into: UnsafeMutableRawBufferPointer(rebasing: raw[total...]), path: Array(path.utf8))
        }
      }
      let n: Int
      switch read {
      case .success(let count): n = count
      case .failure(let error): throw .system(error)
      }
      if n == 0 { break }
      total += n
    }
    return total
  }
}
