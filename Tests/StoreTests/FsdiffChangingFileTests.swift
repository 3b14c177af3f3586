import Foundation
import StoreTestSupport
import Testing

/// `fsdiff -c` never records the checksum of a file that moved while it was read.
@Suite struct FsdiffChangingFileTests {
  @Test("a file growing while fsdiff -c reads it is a clear error, not a checksum")
  func growingFile() throws {
    let s = try CLI.scratch("fsdiff-growing")
    defer { CLI.remove(s.dir) }
    let tree = s.dir + "/tree"
    try FileManager.default.createDirectory(atPath: tree, withIntermediateDirectories: true)
    #expect(try CLI.sh("head -c 134217728 /dev/zero > '\(tree)/big'").status == 0)
    let writer = Process()
    writer.executableURL = URL(fileURLWithPath: "/bin/sh")
    writer.arguments = ["-c", "while :; do printf 0123456789 >> '\(tree)/big'; done"]
    try writer.run()
    // SIGKILL: the shell may inherit SIGTERM ignored from the test runner.
    defer { kill(writer.processIdentifier, SIGKILL); writer.waitUntilExit() }
    Thread.sleep(forTimeInterval: 0.2)
    var failed: CLI.Result?
    for _ in 0..<5 {  // each run reads 128 MiB while the file grows every few microseconds
      let r = try CLI.run(["fsdiff", "-C", "-c", "sha1", "-K", "/dev/null", tree])
      if r.status != 0 { failed = r; break }
    }
    let r = try #require(failed, "fsdiff -c recorded a checksum of a file that grew while it was read")
    #expect(r.status == 2)
    #expect(r.err.contains("big: file changed while being read"), "\(r.err)")
  }
}
