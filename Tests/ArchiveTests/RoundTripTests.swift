import Foundation
import Glibc
import Testing
@testable import Archive

let hasTar = access("/usr/bin/tar", X_OK) == 0
let hasGzip = access("/usr/bin/gzip", X_OK) == 0

/// Builds a tree that needs every header feature: long names (split and pax), a
/// non-UTF-8 name, a uid beyond the octal range, a negative mtime, symlinks, hard links,
/// empty files, and a file that spans several compression blocks.
func makeAwkwardTree(_ root: String) {
  let r = Array(root.utf8)
  func p(_ s: String) -> [UInt8] { r + [0x2F] + Array(s.utf8) }
  mkdir(cString(p("d")), 0o755)
  mkdir(cString(p("d/sub")), 0o700)
  writeFile(p("d/empty"), [])
  writeFile(p("d/hello.txt"), Array("hello\n".utf8), mode: 0o640)
  writeFile(p("d/big.txt"), textLike(3 << 20 + 12345, seed: 7))
  writeFile(p("d/sub/setuid"), Array("x".utf8), mode: 0o4755)
  chmod(cString(p("d/sub/setuid")), 0o4755)
  // 150 bytes: fits ustar prefix + name.
  let longDir = String(repeating: "a", count: 90)
  mkdir(cString(p("d/\(longDir)")), 0o755)
  writeFile(p("d/\(longDir)/" + String(repeating: "b", count: 57)), Array("split\n".utf8))
  // One 120-byte component: cannot be split, needs pax path.
  writeFile(p("d/" + String(repeating: "c", count: 120)), Array("pax\n".utf8))
  // A path over 256 bytes.
  var deep = "d"
  for i in 0..<4 { deep += "/" + String(repeating: Character(String(i)), count: 70); mkdir(cString(p(deep)), 0o755) }
  writeFile(p(deep + "/leaf"), Array("deep\n".utf8))
  // Non-UTF-8 name (Latin-1 "café" and a stray 0xFF).
  writeFile(r + Array("/d/caf".utf8) + [0xE9, 0xFF], Array("latin1\n".utf8))
  // Big uid/gid (beyond 0o7777777 = 2097151) and a negative mtime.
  writeFile(p("d/owned"), Array("owned\n".utf8))
  chown(cString(p("d/owned")), 3_000_000, 2_500_000)
  var times = [timespec(tv_sec: -86400 * 400, tv_nsec: 0), timespec(tv_sec: -86400 * 400, tv_nsec: 0)]
  utimensat(AT_FDCWD, cString(p("d/hello.txt")), &times, 0)
  // Symlinks (short, long target) and hard links.
  symlink("hello.txt", cString(p("d/link")))
  symlink(cString(Array(String(repeating: "x/", count: 70).utf8) + Array("t".utf8)), cString(p("d/sub/longlink")))
  link(cString(p("d/hello.txt")), cString(p("d/sub/hard")))
  link(cString(p("d/big.txt")), cString(p("d/big-again.txt")))
  // Directory times last, after their contents.
  var dirTimes = [timespec(tv_sec: 1_000_000_000, tv_nsec: 0), timespec(tv_sec: 1_000_000_000, tv_nsec: 0)]
  utimensat(AT_FDCWD, cString(p("d/sub")), &dirTimes, 0)
}

struct RoundTripTests {
  @Test("a tree with every awkward feature survives our writer and reader, GNU tar and gzip -t")
  func awkwardTreeRoundTrip() throws {
    let dir = TempDir()
    defer { dir.cleanup() }
    let source = dir.sub("src")
    mkdir(source, 0o755)
    makeAwkwardTree(source)
    let expected = describeTree(Array(source.utf8))
    #expect(expected.count >= 20)

    let archive = Array(dir.sub("a.tar.gz").utf8)
    try writeAtomically(at: archive) { fd in
      let writer = try ArchiveWriter(fd: fd, level: 6, threads: 2, blockSize: 64 << 10)
      try writer.addTree(at: Array(source.utf8))
      try writer.finish()
    }

    // Our reader: names, kinds, metadata and data match what is on disk.
    let fd = open(cString(archive), O_RDONLY)
    defer { close(fd) }
    let entries = try readAll(try ArchiveReader(fd: fd))
    #expect(entries.count == expected.count)
    for (entry, data) in entries {
      guard let item = expected[entry.path] else {
        Issue.record("unexpected entry \(displayPath(entry.path))"); continue
      }
      #expect(entry.uid == item.uid && entry.gid == item.gid, "\(displayPath(entry.path))")
      #expect(entry.mtime == item.mtime, "\(displayPath(entry.path))")
      switch entry.kind {
      case .regular: #expect(item.kind == "file" && data == item.content && entry.mode == item.mode)
      case .directory: #expect(item.kind == "dir" && entry.mode == item.mode)
      case .symbolicLink: #expect(item.kind == "symlink" && entry.linkTarget == item.content)
      case .hardLink:
        #expect(item.kind == "file")
        #expect(displayPath(entry.linkTarget) == item.linkGroup)
      case .other: Issue.record("unexpected kind")
      }
    }
    #expect(entries.contains { $0.entry.uid == 3_000_000 && $0.entry.gid == 2_500_000 })
    #expect(entries.contains { $0.entry.mtime == -86400 * 400 })
    #expect(entries.contains { $0.entry.path.count > 256 })

    // Our extractor reproduces the tree.
    let ours = dir.sub("ours")
    mkdir(ours, 0o755)
    let fd2 = open(cString(archive), O_RDONLY)
    defer { close(fd2) }
    let count = try ArchiveReader(fd: fd2).extractAll(into: Array(ours.utf8))
    #expect(count == expected.count)
    #expect(describeTree(Array(ours.utf8)) == expected)

    do {
      try #require(hasGzip, "gzip is needed (scripts/install-deps.sh installs it)")
      let check = try run("/usr/bin/gzip", ["-t", String(decoding: archive, as: UTF8.self)])
      #expect(check.status == 0, "gzip -t: \(check.output)")
    }
    do {
      try #require(hasTar, "GNU tar is needed (scripts/install-deps.sh installs it)")
      let list = try run("/usr/bin/tar", ["-tzvf", String(decoding: archive, as: UTF8.self)])
      #expect(list.status == 0, "tar -tzvf: \(list.output)")
      #expect(list.output.contains("3000000/2500000"))
      let theirs = dir.sub("theirs")
      mkdir(theirs, 0o755)
      let extract = try run("/usr/bin/tar", ["--numeric-owner", "-xzf", String(decoding: archive, as: UTF8.self), "-C", theirs])
      #expect(extract.status == 0, "tar -xzf: \(extract.output)")
      let gnu = describeTree(Array(theirs.utf8))
      for (path, item) in expected where gnu[path] != item {
        Issue.record("GNU tar differs at \(displayPath(path)): \(String(describing: gnu[path])) vs \(item)")
      }
      #expect(gnu.count == expected.count)
    }
  }

  @Test("an archive made by GNU tar (pax and gnu formats) reads back with the same contents",
        arguments: ["posix", "gnu"])
  func readsGNUArchives(format: String) throws {
    try #require(hasTar, "GNU tar is needed (scripts/install-deps.sh installs it)")
    let dir = TempDir()
    defer { dir.cleanup() }
    let source = dir.sub("src")
    mkdir(source, 0o755)
    makeAwkwardTree(source)
    let archive = dir.sub("gnu.tar.gz")
    let made = try run("/usr/bin/tar", ["--format=\(format)", "-czf", archive, "-C", source, "d"])
    #expect(made.status == 0, "\(made.output)")
    let expected = describeTree(Array(source.utf8))
    let out = dir.sub("out")
    mkdir(out, 0o755)
    let fd = open(archive, O_RDONLY)
    defer { close(fd) }
    _ = try ArchiveReader(fd: fd).extractAll(into: Array(out.utf8))
    let ours = describeTree(Array(out.utf8))
    for (path, item) in expected where ours[path] != item {
      Issue.record("\(format): differs at \(displayPath(path)): \(String(describing: ours[path])) vs \(item)")
    }
    #expect(ours.count == expected.count)
  }

  @Test("parallel gzip output decodes to the input at every size around block boundaries",
        arguments: [0, 1, 511, 65535, 65536, 65537, 3 * 65536, 1_000_003])
  func gzipSizes(size: Int) throws {
    let input = textLike(size, seed: UInt64(size))
    let dir = TempDir()
    defer { dir.cleanup() }
    let path = dir.sub("x.gz")
    let fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o644)
    let sink = try ParallelGzipWriter(fd: fd, level: 6, threads: 2, blockSize: 64 << 10)
    try input.withUnsafeBytes { try sink.write($0) }
    try sink.finish()
    close(fd)
    let rfd = open(path, O_RDONLY)
    defer { close(rfd) }
    let decoder = try GzipDecoder(fd: rfd)
    var output = [UInt8](repeating: 0, count: size + 100)
    let n = try output.withUnsafeMutableBytes { try decoder.decode(into: $0) }
    #expect(n == size)
    #expect(Array(output[0..<n]) == input)
    do {
      try #require(hasGzip, "gzip is needed (scripts/install-deps.sh installs it)")
      let check = try run("/usr/bin/gzip", ["-t", path])
      #expect(check.status == 0, "\(check.output)")
    }
  }

  @Test("the compression ratio stays within 3% of gzip -6 on text")
  func ratioCloseToGzip() throws {
    try #require(hasGzip, "gzip is needed (scripts/install-deps.sh installs it)")
    let input = textLike(4 << 20, seed: 3)
    let dir = TempDir()
    defer { dir.cleanup() }
    writeFile(Array(dir.sub("plain").utf8), input)
    let fd = open(dir.sub("ours.gz"), O_RDWR | O_CREAT | O_TRUNC, 0o644)
    let sink = try ParallelGzipWriter(fd: fd)
    try input.withUnsafeBytes { try sink.write($0) }
    try sink.finish()
    close(fd)
    _ = try run("/bin/sh", ["-c", "gzip -6 -c \(dir.sub("plain")) > \(dir.sub("ref.gz"))"])
    let ours = readWholeFile(Array(dir.sub("ours.gz").utf8)).count
    let reference = readWholeFile(Array(dir.sub("ref.gz").utf8)).count
    #expect(Double(ours) <= Double(reference) * 1.03, "ours \(ours) vs gzip \(reference)")
  }
}
