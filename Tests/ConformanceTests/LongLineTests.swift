import Foundation
import StoreTestSupport
import Testing

/// A line longer than radmind's limit fails at once in bounded memory (issue 10, item 9): the
/// tools run under a 256 MiB address-space limit, where the old reader (which doubled its buffer
/// until the line ended) aborted on `/dev/zero`, a line that never ends.
@Suite struct LongLineTests {
  func limited(_ args: [String]) throws -> (status: Int32, err: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/sh")
    p.arguments = ["-c", "ulimit -v 262144; exec \"$0\" \"$@\"", CLI.binary] + args
    let err = Pipe()
    p.standardOutput = FileHandle.nullDevice
    p.standardError = err
    try p.run()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: e, as: UTF8.self))
  }

  @Test("lsort /dev/zero refuses the first fgets piece, as radmind's lsort does")
  func lsortEndlessLine() throws {
    let r = try limited(["lsort", "/dev/zero"])
    #expect(r.status == 1)
    #expect(r.err == "/dev/zero: line 1: not enough fields\n")
  }

  @Test("diff reports an endless line as too long at once")
  func diffEndlessLine() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("long-line-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { CLI.remove(dir) }
    try "f /a 0644 0 0 1 1 x\n".write(toFile: dir + "/small.T", atomically: false, encoding: .utf8)
    let r = try limited(["diff", "/dev/zero", dir + "/small.T"])
    #expect(r.status != 0)
    #expect(r.err.hasSuffix("/dev/zero: line 1: line too long\n"))
  }

}
