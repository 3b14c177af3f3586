import SystemCalls
import Hashing
import RadmindFormat
import TranscriptIO

/// Sharing that survives prune.
///
/// An index entry names content in the loadset that stored it first. When that loadset is
/// removed while a kept loadset still links the same inode, the entry would vanish with its
/// segment and the next capture would copy the content again. So before the segment is dropped,
/// each of its entries whose stored file is still intact (size and mtime as indexed) is entered
/// again under a kept loadset holding a path of that very inode (same key in its transcript).
/// The kept loadset is published and its file durable, so the index still names only durable,
/// published content. Its segment is rewritten whole in `.loadsmith/tmp`, fsynced and renamed
/// over the old one; lines already there are not added twice, so the step can run again after a
/// crash (the intent replays it) and a chain of removals in one prune carries entries along.
extension LoadsetStore {
  func keepSharedContentIndexed(removing name: String) throws(StoreError) {
    guard Syscall.kind(contentDirectory) == .directory,
          let bytes = ContentIndexIO.read(contentDirectory + "/" + name) else { return }
    var entries: [ContentKey: [ContentLocation]] = [:]
    var ignored: [String] = []
    ContentIndexFormat.parse(bytes, root: Array(fileRoot(name).utf8), into: &entries, problems: &ignored, name: name)
    var wanted: [ContentKey: (inode: UInt64, mtime: Int64)] = [:]
    for (key, locations) in entries {
      for l in locations {
        guard let st = LoadsetStore.storedFileStat(l.path), Int64(st.st_size) == key.size,
              LoadsetStore.mtimeNanoseconds(st) == l.mtimeNanoseconds else { continue }
        wanted[key] = (UInt64(st.st_ino), l.mtimeNanoseconds)
        break
      }
    }
    if wanted.isEmpty { return }
    let algorithms = Set(wanted.keys.map(\.algorithm))
    var additions: [(loadset: String, lines: [UInt8])] = []
    for other in try publishedNames().names where !other.isPointer && other.series.type != .neg && other.fileName != name {
      if wanted.isEmpty { break }
      let file = other.fileName
      guard let algorithm = (try? DigestAlgorithm(named: metadata(of: file)?.digest ?? "sha1"))?.name,
            algorithms.contains(algorithm),
            let loaded = try? LoadedTranscript(path: transcriptPath(file), name: file) else { continue }
      let root = Array(fileRoot(file).utf8)
      var lines: [UInt8] = []
      for e in loaded.entries where e.kind == .file && e.prefix != .minus && e.size > 0 {
        let key = ContentKey(algorithm: algorithm, size: e.size, checksum: e.checksum)
        guard let want = wanted[key], let st = LoadsetStore.storedFileStat(BytePath.join(root, e.path)),
              UInt64(st.st_ino) == want.inode, LoadsetStore.mtimeNanoseconds(st) == want.mtime else { continue }
        lines += ContentIndexFormat.line(key, inode: want.inode, mtime: want.mtime, path: e.path)
        wanted[key] = nil
      }
      if !lines.isEmpty { additions.append((file, lines)) }
    }
    for (loadset, lines) in additions { try addToContentSegment(loadset, lines) }
  }

  /// Rewrites the segment of `loadset` with `lines` added (those not in it already).
  private func addToContentSegment(_ loadset: String, _ lines: [UInt8]) throws(StoreError) {
    let path = contentDirectory + "/" + loadset
    var segment = ContentIndexIO.read(path) ?? Array(ContentIndexFormat.header.utf8)
    if segment.last != 0x0A { segment.append(0x0A) }
    let present = Set(segment.split(separator: 0x0A).map { Array($0) })
    for line in lines.split(separator: 0x0A) where !present.contains(Array(line)) {
      segment += line
      segment.append(0x0A)
    }
    let staged = temporaryDirectory + "/content-" + randomHex(6)
    try ContentIndexIO.writeDurably(staged, segment)
    try sys(Syscall.renameShowingBoth(staged, path))
    try? Syscall.syncDirectory(contentDirectory)
    FaultInjection.checkpoint("prune.content")
  }

  static func storedFileStat(_ path: [UInt8]) -> FileStatus? {
    guard let st = Syscall.lstatIfPresent(path), FileType(mode: st.st_mode) == .regular else { return nil }
    return st
  }

  static func mtimeNanoseconds(_ st: FileStatus) -> Int64 {
    Int64(st.st_mtim.tv_sec) &* 1_000_000_000 &+ Int64(st.st_mtim.tv_nsec)
  }
}
