import Foundation
import Glibc
import StoreTestSupport
@testable import Archive

/// A fresh directory under /tmp, removed by `cleanup()`.
struct TempDir {
  let path: String
  init() {
    var template = Array("/tmp/archive-test-XXXXXX".utf8CString)
    let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    precondition(made != nil)
    path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
  }
  var bytes: [UInt8] { Array(path.utf8) }
  func sub(_ name: String) -> String { path + "/" + name }
  func cleanup() { _ = try? FileManager.default.removeItem(atPath: path) }
}

func bytePath(_ base: String, _ relative: [UInt8]) -> [UInt8] { Array(base.utf8) + [0x2F] + relative }

@discardableResult
func writeFile(_ path: [UInt8], _ data: [UInt8], mode: mode_t = 0o644) -> CInt {
  let fd = open(cString(path), O_WRONLY | O_CREAT | O_TRUNC, mode)
  precondition(fd >= 0, "open \(displayPath(path)): \(errno)")
  data.withUnsafeBytes { _ = write(fd, $0.baseAddress, $0.count) }
  close(fd)
  return 0
}

/// A NUL-terminated copy usable where C wants a path (bytes need not be UTF-8).
func cString(_ path: [UInt8]) -> UnsafePointer<CChar> {
  let p = UnsafeMutablePointer<CChar>.allocate(capacity: path.count + 1)
  for (i, b) in path.enumerated() { p[i] = CChar(bitPattern: b) }
  p[path.count] = 0
  return UnsafePointer(p)  // leaked on purpose: tests only
}

func readWholeFile(_ path: [UInt8]) -> [UInt8] {
  let fd = open(cString(path), O_RDONLY)
  precondition(fd >= 0, "open \(displayPath(path)): \(errno)")
  defer { close(fd) }
  var out: [UInt8] = []
  var buffer = [UInt8](repeating: 0, count: 1 << 16)
  while true {
    let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
    if n <= 0 { break }
    out += buffer[0..<n]
  }
  return out
}

/// Text-like bytes that compress like source code (not random).
func textLike(_ count: Int, seed: UInt64) -> [UInt8] {
  var rng = seed
  let words = ["radmind", "loadset", "transcript", "the", "of", "archive", "tar", "gzip", "func", "let",
               "var", "return", "if", "else", "{", "}", "(", ")", "0644", "0755", "/usr/lib", "\n", "  "]
  var out: [UInt8] = []
  out.reserveCapacity(count)
  while out.count < count {
    rng = rng &* 6364136223846793005 &+ 1442695040888963407
    out += Array(words[Int(rng >> 33) % words.count].utf8)
    out.append(0x20)
  }
  return Array(out[0..<count])
}

func randomBytes(_ count: Int) -> [UInt8] {
  var g = SystemRandomNumberGenerator()
  return (0..<count).map { _ in UInt8.random(in: 0...255, using: &g) }
}

/// Runs a program, returning its exit status and its standard output and error together.
@discardableResult
func run(_ program: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
  let r = try Processes.run([program] + arguments)
  return (r.status, r.out + r.err)
}

/// What a tree holds, as comparable values: path -> description of the object.
struct TreeItem: Equatable, CustomStringConvertible {
  var kind: String
  var mode: UInt32
  var uid: UInt32
  var gid: UInt32
  var mtime: Int64
  var content: [UInt8]  // data, or symlink target
  var linkGroup: String  // for regular files: first path sharing the inode
  var description: String {
    "\(kind) \(String(mode, radix: 8)) \(uid):\(gid) @\(mtime) \(content.count)B link=\(linkGroup)"
  }
}

/// Walks `root` with lstat (independent of the library's walker) and describes each object.
func describeTree(_ root: [UInt8]) -> [[UInt8]: TreeItem] {
  var result: [[UInt8]: TreeItem] = [:]
  var inodes: [String: [UInt8]] = [:]
  func walk(_ relative: [UInt8]) {
    let full = relative.isEmpty ? root : root + [0x2F] + relative
    guard let dir = opendir(cString(full)) else { return }
    var names: [[UInt8]] = []
    while let e = readdir(dir) {
      let name = withUnsafeBytes(of: &e.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
      if name != [0x2E] && name != [0x2E, 0x2E] { names.append(name) }
    }
    closedir(dir)
    for name in names.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
      let rel = relative.isEmpty ? name : relative + [0x2F] + name
      let path = root + [0x2F] + rel
      var st = stat()
      precondition(lstat(cString(path), &st) == 0)
      var item = TreeItem(kind: "", mode: UInt32(st.st_mode) & 0o7777, uid: st.st_uid, gid: st.st_gid,
                          mtime: Int64(st.st_mtim.tv_sec), content: [], linkGroup: "")
      switch st.st_mode & S_IFMT {
      case S_IFDIR: item.kind = "dir"; walk(rel)
      case S_IFREG:
        item.kind = "file"
        item.content = readWholeFile(path)
        let key = "\(st.st_dev):\(st.st_ino)"
        if st.st_nlink > 1 {
          if inodes[key] == nil { inodes[key] = rel }
          item.linkGroup = displayPath(inodes[key]!)
        }
      case S_IFLNK:
        item.kind = "symlink"
        item.mode = 0  // symlink modes are not meaningful on Linux
        var buf = [UInt8](repeating: 0, count: 4096)
        let n = buf.withUnsafeMutableBytes { readlink(cString(path), $0.baseAddress!.assumingMemoryBound(to: CChar.self), 4096) }
        item.content = Array(buf[0..<n])
      default: item.kind = "other"
      }
      result[rel] = item
    }
  }
  walk([])
  return result
}

/// A BufferFiller over bytes in memory, for feeding the reader crafted streams.
final class MemoryFiller: BufferFiller, @unchecked Sendable {
  let data: [UInt8]
  var position = 0
  init(_ data: [UInt8]) { self.data = data }
  func fill(_ buffer: UnsafeMutableRawBufferPointer) throws(ArchiveError) -> Int {
    let n = min(buffer.count, data.count - position)
    data.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + position, byteCount: n) }
    position += n
    return n
  }
}

/// Writes through a pipe-free temp file and returns the bytes the writer produced.
func archiveBytes(_ body: (ArchiveWriter) throws -> Void, compressed: Bool = true, blockSize: Int = 256 << 10) throws -> [UInt8] {
  let dir = TempDir()
  defer { dir.cleanup() }
  let path = dir.sub("out")
  let fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o644)
  let writer = compressed ? try ArchiveWriter(fd: fd, blockSize: blockSize) : ArchiveWriter(uncompressedFD: fd)
  try body(writer)
  try writer.finish()
  close(fd)
  return readWholeFile(Array(path.utf8))
}

func withTempFile<R>(_ bytes: [UInt8], _ body: (CInt, String) throws -> R) throws -> R {
  let dir = TempDir()
  defer { dir.cleanup() }
  let path = dir.sub("in")
  writeFile(Array(path.utf8), bytes)
  let fd = open(path, O_RDONLY)
  defer { close(fd) }
  return try body(fd, path)
}

/// Reads every entry and its data with our reader.
func readAll(_ reader: ArchiveReader) throws -> [(entry: TarEntry, data: [UInt8])] {
  var out: [(TarEntry, [UInt8])] = []
  var buffer = [UInt8](repeating: 0, count: 7919)  // odd size: exercises partial chunks
  while let entry = try reader.next() {
    var data: [UInt8] = []
    while true {
      let n = try buffer.withUnsafeMutableBytes { try reader.readData(into: $0) }
      if n == 0 { break }
      data += buffer[0..<n]
    }
    out.append((entry, data))
  }
  return out
}
