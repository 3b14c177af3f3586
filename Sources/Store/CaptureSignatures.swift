import SystemCalls
import Capture
import RadmindFormat
import TranscriptIO

/// Incremental capture's memory: for each staging root and node, the stat signature and checksum
/// of every regular file the last published capture stored.
///
///     .loadsmith/signatures/<key>   key: 16 hex digits of FNV-1a over root, node and path form
///
/// The record starts with `loadsmith-signatures 1`, then `root`, `node`, `digest` and `started`
/// (the wall clock in nanoseconds when that capture began walking) lines, then one line per file
/// in walk order: `PATH DEVICE INODE SIZE MTIME-NS CTIME-NS MODE CHECKSUM`. It is staged with the
/// node's loadset and renamed into place by the intent's publish step, so a capture that does not
/// publish leaves the previous record.
///
/// A file's checksum is reused only when its signature is unchanged and, git's racy-timestamp
/// rule, both its mtime and ctime are strictly older than the moment the recorded capture
/// started: a file changed within that capture's own timestamp granularity is read again.
struct SignatureRecordKey {
  static func name(root: [UInt8], node: [UInt8], relative: Bool) -> String {
    var h: UInt64 = 0xcbf29ce484222325
    for b in root + [0] + node + [relative ? 1 : 0] { h = (h ^ UInt64(b)) &* 0x100000001b3 }
    let hex = String(h, radix: 16)
    return String(repeating: "0", count: 16 - hex.count) + hex
  }
}

/// What a file looked like to `lstat`, in the fields the signature compares.
struct StatSignature: Equatable {
  var device: UInt64
  var inode: UInt64
  var size: Int64
  var mtime: Int64
  var ctime: Int64
  var mode: UInt32

  init(_ o: FilesystemObject) {
    device = o.device; inode = o.inode; size = o.size
    mtime = o.mtimeNanoseconds; ctime = o.ctimeNanoseconds; mode = o.mode
  }
  init(device: UInt64, inode: UInt64, size: Int64, mtime: Int64, ctime: Int64, mode: UInt32) {
    self.device = device; self.inode = inode; self.size = size; self.mtime = mtime; self.ctime = ctime; self.mode = mode
  }
}

/// Reads a previous record alongside the walk (both in walk order): constant memory.
final class SignatureRecordReader {
  let reader: LineReader
  let order: PathOrder
  let started: Int64
  private var current: (path: [UInt8], signature: StatSignature, checksum: [UInt8])?
  private var done = false

  /// nil when there is no usable record (none, another root, node or digest, damaged header).
  init?(path: String, root: [UInt8], node: [UInt8], digest: String, order: PathOrder) {
    guard Syscall.kind(path) == .file, let r = try? LineReader(regularFile: path) else { return nil }
    var header: [String: [UInt8]] = [:]
    for expected in ["loadsmith-signatures 1", "root", "node", "digest", "started"] {
      guard let line = try? r.next() else { return nil }
      let bytes = Array(line)
      if expected.hasPrefix("loadsmith") {
        guard bytes == Array(expected.utf8) else { return nil }
        continue
      }
      guard let tab = bytes.firstIndex(of: 0x09), String(decoding: bytes[..<tab], as: UTF8.self) == expected else { return nil }
      header[expected] = Array(bytes[(tab + 1)...])
    }
    guard header["root"].flatMap({ PathCodec.decode($0) }) == root, header["node"].flatMap({ PathCodec.decode($0) }) == node,
          header["digest"] == Array(digest.utf8),
          let started = header["started"].flatMap({ Int64(String(decoding: $0, as: UTF8.self)) }) else { return nil }
    reader = r
    self.order = order
    self.started = started
  }

  /// The recorded checksum of `path` when `signature` equals the recorded one and the file is
  /// not racy; nil otherwise (the file is read). Paths must be asked for in walk order.
  func checksum(for path: [UInt8], signature: StatSignature) -> [UInt8]? {
    while !done {
      if current == nil { advance(); continue }
      let c = order.compare(current!.path, path)
      if c < 0 { current = nil; continue }
      if c > 0 { return nil }
      let hit = current!
      current = nil
      guard hit.signature == signature, signature.mtime < started, signature.ctime < started else { return nil }
      return hit.checksum
    }
    return nil
  }

  private func advance() {
    guard let line = try? reader.next() else { done = true; return }
    let f = Array(line).split(separator: 0x09, omittingEmptySubsequences: false)
    func n<T: FixedWidthInteger>(_ i: Int) -> T? { T(String(decoding: f[i], as: UTF8.self)) }
    guard f.count == 8, let path = PathCodec.decode(Array(f[0])), let dev: UInt64 = n(1), let ino: UInt64 = n(2),
          let size: Int64 = n(3), let mtime: Int64 = n(4), let ctime: Int64 = n(5), let mode: UInt32 = n(6) else {
      done = true  // a damaged record: read everything from here on
      return
    }
    current = (path, StatSignature(device: dev, inode: ino, size: size, mtime: mtime, ctime: ctime, mode: mode), Array(f[7]))
  }
}

/// Writes the new record into the staged loadset, line by line.
struct SignatureRecordWriter {
  let fd: Int32
  let path: String
  var buffer: [UInt8] = []

  init(path: String, root: [UInt8], node: [UInt8], digest: String, started: Int64) throws(StoreError) {
    self.path = path
    do { fd = try Syscall.open(path, [.writeOnly, .create, .exclusive], mode: 0o644) } catch { throw .system(error) }
    buffer = Array("loadsmith-signatures 1\nroot\t".utf8)
    PathCodec.encode(root, into: &buffer)
    buffer += Array("\nnode\t".utf8)
    PathCodec.encode(node, into: &buffer)
    buffer += Array("\ndigest\t\(digest)\nstarted\t\(started)\n".utf8)
  }

  mutating func add(_ path: [UInt8], _ s: StatSignature, checksum: [UInt8]) throws(StoreError) {
    PathCodec.encode(path, into: &buffer)
    buffer += Array("\t\(s.device)\t\(s.inode)\t\(s.size)\t\(s.mtime)\t\(s.ctime)\t\(s.mode)\t".utf8)
    buffer += checksum
    buffer.append(0x0A)
    if buffer.count >= 1 << 16 { try flush() }
  }

  mutating func flush() throws(StoreError) {
    try sys(Syscall.writeAll(fd, buffer, path: path))
    buffer.removeAll(keepingCapacity: true)
  }

  mutating func finish() throws(StoreError) {
    try flush()
    Syscall.closeQuietly(fd)
  }
}

extension LoadsetStore {
  var signatureDirectory: String { stateDirectory + "/signatures" }

  /// Publishes a staged signature record (after the loadset's transcript): a rename.
  func publishSignatureRecord(staged: String) throws(StoreError) {
    let record = staged + "/signatures"
    guard Syscall.exists(record), let key = try sys(RegularFile.readText(staged + "/signatures-key"))?
      .split(separator: "\n").first.map(String.init) else { return }
    try sys(Syscall.makeDirectoryIfMissing(signatureDirectory))
    try sys(Syscall.renameShowingBoth(record, signatureDirectory + "/" + key))
    try? Syscall.syncDirectory(signatureDirectory)
    FaultInjection.checkpoint("publish.signatures")
  }

  static var nowNanoseconds: Int64 {
    let ts = Clock.nowCoarse()  // the clock file timestamps come from
    return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
  }
}
