import Foundation
import StoreTestSupport
import Testing

/// Issue 11: large stored files are written past the page cache (O_DIRECT) in whole blocks, the
/// tail through the cache; a file that fits the copy buffer is read once. The bytes must be the
/// staging bytes exactly, whatever the size's alignment, and equal files still share.
@Suite(.serialized) struct CaptureDirectWriteTests {
  static let bin = "was-apache-bin-rhel5"
  /// Around the 64 KiB threshold, the 4 KiB block and the 1 MiB buffer.
  static let sizes = [65_535, 65_536, 65_537, 1_048_575, 1_048_576, 1_048_577, 3 * 1_048_576 + 7, 2 * 1_048_576]

  static func bytes(_ size: Int, seed: UInt64) -> Data {
    var x = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    var d = [UInt8](repeating: 0, count: size)
    for i in 0..<size { x ^= x << 13; x ^= x >> 7; x ^= x << 17; d[i] = UInt8(truncatingIfNeeded: x) }
    return Data(d)
  }

  static func inode(_ path: String) -> UInt64 {
    var st = stat()
    return lstat(path, &st) == 0 ? UInt64(st.st_ino) : 0
  }

  @Test("large files of every alignment are stored byte for byte, direct or not; equal large files share one inode", arguments: ["1", "0"])
  func storedBytes(direct: String) throws {
    let s = try CLI.scratch("direct")
    defer { CLI.remove(s.dir) }
    let big = s.staging + "/usr/local/apache/big"
    try FileManager.default.createDirectory(atPath: big, withIntermediateDirectories: true)
    for (i, size) in Self.sizes.enumerated() {
      try Self.bytes(size, seed: UInt64(i + 1)).write(to: URL(fileURLWithPath: "\(big)/f\(i)"))
    }
    // Equal content within one capture: a large pair (copied, then linked) and a small pair.
    try Self.bytes(3 * 1_048_576 + 7, seed: 7).write(to: URL(fileURLWithPath: "\(big)/twin"))
    try Self.bytes(70_000, seed: 9).write(to: URL(fileURLWithPath: "\(big)/small-a"))
    try Self.bytes(70_000, seed: 9).write(to: URL(fileURLWithPath: "\(big)/small-b"))
    let env = ["LOADSMITH_DIRECT_WRITE": direct]
    let c = try CLI.run(["capture", s.staging, "--loadset", Self.bin, "--node", "/usr/local/apache"], store: s.store, env: env)
    try #require(c.status == 0, "\(c.out)\(c.err)")
    let stored = s.store + "/file/\(Self.bin)-001.001-node1.T/usr/local/apache/big"
    for name in (0..<Self.sizes.count).map({ "f\($0)" }) + ["twin", "small-a", "small-b"] {
      let want = try Data(contentsOf: URL(fileURLWithPath: "\(big)/\(name)"))
      let got = try Data(contentsOf: URL(fileURLWithPath: "\(stored)/\(name)"))
      #expect(got == want, "\(name): stored \(got.count) bytes differ from staging's \(want.count)")
    }
    #expect(Self.inode("\(stored)/twin") == Self.inode("\(stored)/f6"))
    #expect(Self.inode("\(stored)/small-a") == Self.inode("\(stored)/small-b"))
    // A second capture with --rehash hashes every file and links every one of them.
    let again = try CLI.run(["capture", s.staging, "--loadset", Self.bin, "--node", "/usr/local/apache", "--rehash"], store: s.store, env: env)
    try #require(again.status == 0, "\(again.out)\(again.err)")
    let second = s.store + "/file/\(Self.bin)-001.002-node1.T/usr/local/apache/big"
    for name in (0..<Self.sizes.count).map({ "f\($0)" }) {
      #expect(Self.inode("\(second)/\(name)") == Self.inode("\(stored)/\(name)"), "\(name) was copied again")
    }
    let v = try CLI.run(["verify"], store: s.store)
    #expect(v.status == 0, "\(v.out)")
  }
}
