import SystemCalls
import Hashing
import RadmindFormat
import Synchronization
import TranscriptIO

/// Stored content by digest: what lets a capture hard-link a file already in the store instead
/// of copying it again.
///
///     .loadsmith/content/NAME    one segment per published loadset: the content it stored first
///
/// A segment line is `ALGORITHM SIZE CHECKSUM INODE MTIME-NS PATH` (tab-separated, PATH encoded
/// as in a transcript, relative to `file/NAME`). A segment is staged with its loadset and renamed
/// into place after the loadset's transcript by the intent's publish step, so an entry always
/// names content that is already durable and published. Entries are hints, checked at every use:
/// the stored file must still have that size and modification time in nanoseconds (an edit in
/// place changes the time, so edited content is never linked; a copy made with `cp -a` keeps it),
/// on the store's filesystem, inside `file/`. The inode is informational. Empty files are
/// never indexed (they would only use up the link limit).
///
/// The index is derived data: ``LoadsetStore/reindex()`` rebuilds it from the published loadsets
/// (hashing each stored inode once), and a store without `.loadsmith/content` (made before
/// sharing) is indexed that way by its first capture.
struct ContentKey: Hashable, Sendable {
  var algorithm: String
  var size: Int64
  var checksum: [UInt8]
}

/// Where one stored copy lives, as the index saw it.
struct ContentLocation: Sendable {
  /// Absolute path of the stored file.
  var path: [UInt8]
  var inode: UInt64
  var mtimeNanoseconds: Int64
}

enum ContentIndexFormat {
  static let header = "loadsmith-content 1\n"

  static func line(_ key: ContentKey, inode: UInt64, mtime: Int64, path: [UInt8]) -> [UInt8] {
    var out = Array("\(key.algorithm)\t\(key.size)\t".utf8)
    out += key.checksum
    out += Array("\t\(inode)\t\(mtime)\t".utf8)
    PathCodec.encode(path, into: &out)
    out.append(0x0A)
    return out
  }

  /// Parses a segment; lines that do not parse are skipped (an index is only ever a hint).
  static func parse(_ bytes: [UInt8], root: [UInt8], into entries: inout [ContentKey: [ContentLocation]], problems: inout [String], name: String) {
    var lineNumber = 0
    for line in bytes.split(separator: 0x0A, omittingEmptySubsequences: true) {
      lineNumber += 1
      if lineNumber == 1 {
        if Array(line) + [0x0A] != Array(header.utf8) { problems.append(".loadsmith/content/\(name): not a content index segment"); return }
        continue
      }
      let f = line.split(separator: 0x09, omittingEmptySubsequences: false)
      guard f.count == 6, let size = Int64(String(decoding: f[1], as: UTF8.self)),
            let inode = UInt64(String(decoding: f[3], as: UTF8.self)),
            let mtime = Int64(String(decoding: f[4], as: UTF8.self)),
            let path = PathCodec.decode(Array(f[5])), path.first == 0x2F || path.first == 0x2E,
            !path.split(separator: 0x2F).contains(where: { $0.elementsEqual([0x2E, 0x2E]) }) else {
        problems.append(".loadsmith/content/\(name): line \(lineNumber): not an index entry")
        continue
      }
      let key = ContentKey(algorithm: String(decoding: f[0], as: UTF8.self), size: size, checksum: Array(f[2]))
      entries[key, default: []].append(ContentLocation(path: BytePath.join(root, path), inode: inode, mtimeNanoseconds: mtime))
    }
  }
}

/// The injectable link limit: `LOADSMITH_LINK_LIMIT=N` makes a stored file with N links count as
/// full (as `Errno.linkLimit` would), so tests reach the copy fallback without 65,000 links.
enum LinkLimit {
  static let fromEnvironment: UInt64? = Syscall.environment("LOADSMITH_LINK_LIMIT").flatMap { UInt64($0) }
  static let override = Mutex<UInt64?>(nil)
  static var current: UInt64? { override.withLock { $0 } ?? fromEnvironment }
}

extension LoadsetStore {
  var contentDirectory: String { stateDirectory + "/content" }

  /// Every index entry of the store (empty when there is no index).
  func loadContentIndex(problems: inout [String]) throws(StoreError) -> [ContentKey: [ContentLocation]] {
    var entries: [ContentKey: [ContentLocation]] = [:]
    guard Syscall.kind(contentDirectory) == .directory else { return entries }
    for name in try sys(Syscall.listDirectoryNames(contentDirectory)) where !name.hasPrefix(".") {
      let path = contentDirectory + "/" + name
      guard Syscall.kind(path) == .file, let bytes = ContentIndexIO.read(path) else {
        problems.append(".loadsmith/content/\(name): not a regular file")
        continue
      }
      ContentIndexFormat.parse(bytes, root: Array(fileRoot(name).utf8), into: &entries, problems: &problems, name: name)
    }
    return entries
  }

  /// The index for a capture: rebuilt first when the store has none (a store made before sharing).
  func contentIndexForCapture() throws(StoreError) -> [ContentKey: [ContentLocation]] {
    if Syscall.kind(contentDirectory) != .directory { _ = try rebuildContentIndex() }
    var ignored: [String] = []
    return try loadContentIndex(problems: &ignored)
  }

  /// `loadsmith reindex`: rebuilds `.loadsmith/content` from the published loadsets alone.
  package func reindex() throws(StoreError) -> (loadsets: Int, entries: Int) {
    try write { () throws(StoreError) -> (loadsets: Int, entries: Int) in try rebuildContentIndex() }
  }

  /// Builds the index in `.loadsmith/tmp` (each stored inode hashed once; only files whose bytes
  /// match their transcript are entered) and renames it into place. A crash leaves the old index
  /// or none (then the next capture rebuilds it); tmp leftovers are removed by the next writer.
  func rebuildContentIndex() throws(StoreError) -> (loadsets: Int, entries: Int) {
    let staged = try makeStagingDirectory("content")
    FaultInjection.checkpoint("reindex.staging")
    var seen = Set<ContentKey>()
    var inodes = Set<UInt64>()
    var loadsets = 0, count = 0
    for name in try publishedNames().names where !name.isPointer && name.series.type != .neg {
      let file = name.fileName
      guard Syscall.kind(transcriptPath(file)) == .file,
            let loaded = try? LoadedTranscript(path: transcriptPath(file), name: file),
            let algorithm = try? DigestAlgorithm(named: metadata(of: file)?.digest ?? "sha1") else { continue }
      let root = Array(fileRoot(file).utf8)
      let hasher = FileHasher(algorithm: algorithm)
      var segment = Array(ContentIndexFormat.header.utf8)
      var added = 0
      for e in loaded.entries where e.kind == .file && e.prefix != .minus && e.size > 0 {
        let key = ContentKey(algorithm: algorithm.name, size: e.size, checksum: e.checksum)
        if seen.contains(key) { continue }
        let path = BytePath.join(root, e.path)
        guard let st = Syscall.lstatIfPresent(path), FileType(mode: st.st_mode) == .regular,
              Int64(st.st_size) == e.size, !inodes.contains(UInt64(st.st_ino)) else { continue }
        inodes.insert(UInt64(st.st_ino))
        guard case .success(let d) = hasher.hash(path: path), d.checksum == e.checksum, d.size == e.size else { continue }
        let mtime = Int64(st.st_mtim.tv_sec) &* 1_000_000_000 &+ Int64(st.st_mtim.tv_nsec)
        segment += ContentIndexFormat.line(key, inode: UInt64(st.st_ino), mtime: mtime, path: e.path)
        seen.insert(key)
        added += 1
      }
      if added > 0 {
        try ContentIndexIO.writeDurably(staged + "/" + file, segment)
        loadsets += 1
        count += added
      }
    }
    try? Syscall.syncDirectory(staged)
    FaultInjection.checkpoint("reindex.staged")
    let old = temporaryDirectory + "/content-old-" + randomHex(6)
    if Syscall.exists(contentDirectory) { try sys(Syscall.renameShowingBoth(contentDirectory, old)) }
    FaultInjection.checkpoint("reindex.removed")
    try sys(Syscall.renameShowingBoth(staged, contentDirectory))
    try? Syscall.syncDirectory(stateDirectory)
    FaultInjection.checkpoint("reindex.renamed")
    try? DirectoryTree.remove(old)
    return (loadsets, count)
  }

  /// Drops the index segment of a loadset being removed.
  func removeContentSegment(_ name: String) throws(StoreError) {
    let path = contentDirectory + "/" + name
    do { try Syscall.unlink(Array(path.utf8)) } catch { if error.errno != Errno.noEntry { throw .system(error) } }
    try? Syscall.syncDirectory(contentDirectory)
  }

  /// Publishes the staged index segment of `name` (after its transcript): a rename.
  func publishContentSegment(staged: String, as name: String) throws(StoreError) {
    let segment = staged + "/content"
    guard Syscall.exists(segment) else { return }
    if Syscall.kind(contentDirectory) == .directory {
      try sys(Syscall.renameShowingBoth(segment, contentDirectory + "/" + name))
      try? Syscall.syncDirectory(contentDirectory)
    }
    FaultInjection.checkpoint("publish.content")
  }
}

enum ContentIndexIO {
  static func read(_ path: String) -> [UInt8]? {
    guard let fd = try? Syscall.open(path, [.readOnly, .noFollow, .nonBlocking]) else { return nil }
    defer { Syscall.closeQuietly(fd) }
    guard let st = try? Syscall.fstat(fd, path: path), FileType(mode: st.st_mode) == .regular else { return nil }
    var out: [UInt8] = []
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 1)
    defer { buffer.deallocate() }
    while true {
      guard let n = try? Syscall.read(fd, into: buffer, path: path) else { return nil }
      if n == 0 { return out }
      out += buffer[0..<n]
    }
  }

  static func writeDurably(_ path: String, _ bytes: [UInt8]) throws(StoreError) {
    let fd: Int32
    do { fd = try Syscall.open(path, [.writeOnly, .create, .truncate], mode: 0o644) } catch { throw .system(error) }
    defer { Syscall.closeQuietly(fd) }
    try sys(Syscall.writeAll(fd, bytes, path: path))
    do { try Syscall.fsync(fd, path: path) } catch { throw .system(error) }
  }
}
