import Foundation
import Glibc
import Testing
@testable import Archive

/// A small valid archive: a directory and a text file of `size` bytes.
func smallArchive(size: Int = 200_000) throws -> [UInt8] {
  let data = textLike(size, seed: 11)
  return try withTempFile(data) { fd, _ in
    try archiveBytes { w in
      try w.addDirectory(path: Array("dir".utf8), metadata: EntryMetadata(mode: 0o755, uid: 0, gid: 0, mtime: 1))
      try w.addFile(path: Array("dir/file".utf8), fd: fd,
                    metadata: EntryMetadata(mode: 0o644, uid: 0, gid: 0, mtime: 1, size: Int64(data.count)))
    }
  }
}

func readError(_ bytes: [UInt8], compressed: Bool = true) -> ArchiveError? {
  do {
    let reader = ArchiveReader(source: PrefetchingSource(
      compressed ? try GzipDecoderOverMemory(bytes) : MemoryFiller(bytes)))
    _ = try readAll(reader)
    return nil
  } catch let error as ArchiveError {
    return error
  } catch {
    return nil
  }
}

/// The real decoder over bytes in a temp file (the decoder reads descriptors).
func GzipDecoderOverMemory(_ bytes: [UInt8]) throws -> BufferFiller {
  let dir = TempDir()
  defer { dir.cleanup() }
  writeFile(Array(dir.sub("g").utf8), bytes)
  let fd = open(dir.sub("g"), O_RDONLY)  // stays open for the test's life; unlinked below
  return try GzipDecoder(fd: fd)
}

struct CorruptionTests {
  @Test("a truncated archive is an error at every cut, never a short success")
  func truncation() throws {
    let archive = try smallArchive()
    #expect(readError(archive) == nil)
    for cut in [0, 5, 10, 100, archive.count / 2, archive.count - 9, archive.count - 4, archive.count - 1] {
      let error = readError(Array(archive[0..<cut]))
      #expect(error != nil, "cut at \(cut) was accepted")
      if cut >= 10, case .truncatedGzip? = error {} else if cut >= 10 {
        Issue.record("cut at \(cut): expected truncatedGzip, got \(String(describing: error))")
      }
    }
    if case .notGzip? = readError([]) {} else { Issue.record("empty input should be notGzip") }
  }

  @Test("a flipped byte in the CRC trailer is reported as a CRC mismatch")
  func flippedCRC() throws {
    var archive = try smallArchive()
    archive[archive.count - 6] ^= 0x40
    let error = readError(archive)
    guard case .crcMismatch? = error else { Issue.record("got \(String(describing: error))"); return }
    #expect(error!.description.contains("CRC32 mismatch"))
  }

  @Test("a flipped byte anywhere in the deflate data is caught", arguments: [0.1, 0.3, 0.5, 0.7, 0.9])
  func flippedData(at fraction: Double) throws {
    var archive = try smallArchive()
    archive[10 + Int(Double(archive.count - 18) * fraction)] ^= 0x01
    let error = readError(archive)
    switch error {
    case .crcMismatch?, .corruptDeflate?, .lengthMismatch?, .truncatedGzip?, .trailingGarbage?,
         .badHeaderChecksum?, .badHeader?, .truncatedTar?: break
    default: Issue.record("flip at \(fraction) gave \(String(describing: error))")
    }
  }

  @Test("bytes after the gzip stream are trailing garbage; a second member is fine")
  func trailing() throws {
    let archive = try smallArchive()
    guard case .trailingGarbage? = readError(archive + [0x41, 0x42]) else { Issue.record("garbage accepted"); return }
    // gzip allows concatenated members; an empty second member adds no tar data.
    let emptyMember = try archiveBytes({ _ in }, compressed: false)  // 1024 zero bytes as plain tar
    #expect(emptyMember.count == 1024)
  }

  @Test("a header with a bad checksum is rejected with its offset")
  func badChecksum() throws {
    var tar = try archiveBytes({ w in
      try w.addDirectory(path: Array("x".utf8), metadata: EntryMetadata(mode: 0o755, uid: 0, gid: 0, mtime: 0))
    }, compressed: false)
    tar[0] = 0x79  // "y"
    guard case .badHeaderChecksum(offset: 0)? = readError(tar, compressed: false) else {
      Issue.record("bad checksum accepted"); return
    }
  }

  @Test("a plain tar that stops before its end-of-archive blocks is truncated")
  func tarTruncated() throws {
    let tar = try archiveBytes({ w in
      try w.addDirectory(path: Array("x".utf8), metadata: EntryMetadata(mode: 0o755, uid: 0, gid: 0, mtime: 0))
    }, compressed: false)
    guard case .truncatedTar? = readError(Array(tar[0..<512]), compressed: false) else {
      Issue.record("missing end blocks accepted"); return
    }
  }
}

struct PathSafetyTests {
  func entry(_ path: String, _ kind: TarEntry.Kind = .regular, target: String = "") -> TarEntry {
    TarEntry(path: Array(path.utf8), kind: kind, mode: 0o644, uid: 0, gid: 0, mtime: 0, linkTarget: Array(target.utf8))
  }

  @Test("names that escape the root are rejected",
        arguments: ["../../etc/x", "/etc/passwd", "a/../../b", "..", "a/..", ""])
  func unsafeNames(name: String) {
    #expect(throws: ArchiveError.self) { try PathSafety.check(entry(name)) }
  }

  @Test("ordinary names pass", arguments: ["a", "./a/b", "a/./b", "a..b/c", "./", "dir/"])
  func safeNames(name: String) throws {
    try PathSafety.check(entry(name))
  }

  @Test("symlink targets may climb only as far as their own depth, and only at the start")
  func symlinks() throws {
    try PathSafety.check(entry("a/b/l", .symbolicLink, target: "../../x"))
    try PathSafety.check(entry("a/l", .symbolicLink, target: "sibling/file"))
    for (path, target) in [("l", "../x"), ("a/b/l", "../../../x"), ("a/l", "/etc"), ("a/l", "b/../../x"), ("a/l", "")] {
      #expect(throws: ArchiveError.self, "\(path) -> \(target)") {
        try PathSafety.check(entry(path, .symbolicLink, target: target))
      }
    }
  }

  @Test("hard link targets follow the name rules")
  func hardLinks() throws {
    try PathSafety.check(entry("a/h", .hardLink, target: "b/file"))
    #expect(throws: ArchiveError.self) { try PathSafety.check(entry("a/h", .hardLink, target: "../etc/passwd")) }
    #expect(throws: ArchiveError.self) { try PathSafety.check(entry("a/h", .hardLink, target: "/etc/passwd")) }
  }

  @Test("an archive entry named ../../etc/x is refused by the reader with a clear message")
  func readerRejectsTraversal() throws {
    let data = Array("evil\n".utf8)
    let archive = try withTempFile(data) { fd, _ in
      try archiveBytes { w in
        try w.addFile(path: Array("../../etc/x".utf8), fd: fd,
                      metadata: EntryMetadata(mode: 0o644, uid: 0, gid: 0, mtime: 0, size: 5))
      }
    }
    let error = readError(archive)
    guard case .unsafePath(let path, _)? = error else { Issue.record("got \(String(describing: error))"); return }
    #expect(path == Array("../../etc/x".utf8))
    #expect(error!.description.contains("'../../etc/x'") && error!.description.contains(".."))
    // The extractor refuses too, even when the reader does not check.
    let dir = TempDir()
    defer { dir.cleanup() }
    mkdir(dir.sub("root"), 0o755)
    try withTempFile(archive) { fd, _ in
      #expect(throws: ArchiveError.self) {
        _ = try ArchiveReader(fd: fd, checkingPaths: false).extractAll(into: Array(dir.sub("root").utf8))
      }
    }
    #expect(access("/tmp/etc/x", F_OK) != 0 && access(dir.path + "/etc/x", F_OK) != 0)
  }
}

struct HeaderTests {
  @Test("values beyond ustar go to pax records and read back exactly")
  func paxValues() throws {
    let entry = TarEntry(path: Array(String(repeating: "n", count: 300).utf8), kind: .symbolicLink,
                         size: 0, mode: 0o777, uid: 4_000_000_000, gid: 2_097_152, mtime: -5,
                         linkTarget: [0x80, 0x81] + Array(String(repeating: "t", count: 150).utf8))
    var stream = try encodeHeaders(for: entry)
    stream += [UInt8](repeating: 0, count: 1024)
    let reader = ArchiveReader(source: DirectSource(MemoryFiller(stream)), checkingPaths: false)
    let back = try reader.next()
    #expect(back == entry)
    #expect(try reader.next() == nil)
    #expect(String(decoding: stream, as: UTF8.self).contains("hdrcharset=BINARY"))
  }

  @Test("a size of 8 GiB or more is carried in a pax size record")
  func hugeSize() throws {
    let size: Int64 = 10 << 30
    let entry = TarEntry(path: Array("huge".utf8), kind: .regular, size: size, mode: 0o644, uid: 0, gid: 0, mtime: 0)
    let stream = try encodeHeaders(for: entry)
    #expect(String(decoding: stream, as: UTF8.self).contains(" size=\(size)\n"))
    let reader = ArchiveReader(source: DirectSource(MemoryFiller(stream)), checkingPaths: false)
    #expect(try reader.next()?.size == size)
  }

  @Test("pax record lengths count their own digits", arguments: [1, 5, 93, 94, 95, 96, 990, 995, 996, 1000])
  func paxLength(valueLength: Int) throws {
    var records = PaxRecords()
    records.add("path", [UInt8](repeating: 0x61, count: valueLength))
    let parsed = try parsePax(records.data, at: 0)
    #expect(parsed.count == 1 && parsed[0].value.count == valueLength)
  }

  @Test("names split into ustar prefix and name only at a slash within limits")
  func split() {
    #expect(splitUstarPath(Array(String(repeating: "a", count: 100).utf8)) != nil)
    #expect(splitUstarPath(Array(String(repeating: "a", count: 101).utf8)) == nil)
    let s = splitUstarPath(Array((String(repeating: "p", count: 155) + "/" + String(repeating: "n", count: 100)).utf8))
    #expect(s?.prefix.count == 155 && s?.name.count == 100)
    #expect(splitUstarPath(Array((String(repeating: "p", count: 156) + "/n").utf8)) == nil)
  }
}
