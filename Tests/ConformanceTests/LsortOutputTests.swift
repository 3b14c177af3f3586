import Foundation
import StoreTestSupport
import Testing

/// lsort -o departs from radmind only in being atomic: a failed run leaves no output behind.
@Suite struct LsortOutputTests {
  @Test("a bad line leaves no new -o file and an existing one untouched; an unwritable -o is reported first")
  func failedRunLeavesNothing() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lsort-o-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try "f /b 1\nf\n".write(toFile: dir + "/bad.T", atomically: false, encoding: .utf8)
    let fresh = try CLI.run(["lsort", "-o", dir + "/new.T", dir + "/bad.T"])
    #expect(fresh.status == 1 && fresh.err == "\(dir)/bad.T: line 2: not enough fields\n")
    #expect(!FileManager.default.fileExists(atPath: dir + "/new.T"))
    try "old\n".write(toFile: dir + "/old.T", atomically: false, encoding: .utf8)
    _ = try CLI.run(["lsort", "-o", dir + "/old.T", dir + "/bad.T"])
    #expect(try String(contentsOfFile: dir + "/old.T", encoding: .utf8) == "old\n")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["bad.T", "old.T"])
    let missingDir = try CLI.run(["lsort", "-o", dir + "/no/such.T", dir + "/bad.T"])
    #expect(missingDir.status == 1 && missingDir.err == "\(dir)/no/such.T: No such file or directory\n")
  }

  /// An input big enough for the two-thread final merge of `-o` (65,536 records or more), with
  /// equal paths in several cases, escaped paths and lines longer than radmind's 4095-byte
  /// fgets pieces (each piece is a record of its own, keyed by its second token).
  static func bigInput(_ dir: String) throws -> String {
    var text = ""
    for i in 0 ..< 70_000 {
      let path = ["/usr/Lib/x", "/usr/lib/x", "/usr/lib/x\\by", "/a b", "/usr/lib/x/y"][i % 5] + String(i % 301)
      text += "f \(path) 0644 \(i)\n"
      if i % 9_000 == 0 { text += "f /long\(i)" + String(repeating: " /seg\(i % 7)", count: 2_000) + "\n" }
    }
    let input = dir + "/big.T"
    try text.write(toFile: input, atomically: false, encoding: .utf8)
    return input
  }

  @Test("-o (merged on two threads, written from both ends) gives the bytes lsort writes to stdout, with and without -I")
  func twoThreadOutputMatchesStdout() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lsort-o2-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let input = try Self.bigInput(dir)
    for flags in [[], ["-I"]] {
      let toStdout = try CLI.run(["lsort"] + flags + [input])
      #expect(toStdout.status == 0)
      try "old\n".write(toFile: dir + "/out.T", atomically: false, encoding: .utf8)
      let toFile = try CLI.run(["lsort"] + flags + ["-o", dir + "/out.T", input])
      #expect(toFile.status == 0 && toFile.err.isEmpty)
      let written = try String(contentsOfFile: dir + "/out.T", encoding: .utf8)
      #expect(written.utf8.count == toStdout.out.utf8.count)
      #expect(written == toStdout.out)
      let cached = try CLI.run(["lsort"] + flags + ["-o", dir + "/cached.T", input], env: ["LOADSMITH_DIRECT_WRITE": "0"])
      #expect(cached.status == 0)
      #expect(try String(contentsOfFile: dir + "/cached.T", encoding: .utf8) == toStdout.out)
    }
  }

  @Test("a full disk during the two-thread merge fails the run and leaves the old -o file and no temporary")
  func fullDiskDuringMerge() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lsort-full-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir + "/small", withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let input = try Self.bigInput(dir)
    let mounted = try Processes.run(["/bin/mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", dir + "/small"]).status
    #expect(mounted == 0, "cannot mount a tmpfs: this test needs root (CI runs as root)")
    guard mounted == 0 else { return }
    defer { _ = try? Processes.run(["/bin/umount", dir + "/small"]) }
    try "old\n".write(toFile: dir + "/small/out.T", atomically: false, encoding: .utf8)
    let r = try CLI.run(["lsort", "-o", dir + "/small/out.T", input])
    #expect(r.status == 1 && r.err.contains("No space left on device"))
    #expect(try String(contentsOfFile: dir + "/small/out.T", encoding: .utf8) == "old\n")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/small") == ["out.T"])
  }
}
