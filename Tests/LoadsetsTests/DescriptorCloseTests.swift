import Foundation
import StoreTestSupport
import Testing

/// Every descriptor is closed once. A second `close(2)` of a number is not harmless: in between,
/// another thread may have been given that number (the kernel hands out the lowest free one), and
/// its file is then closed under it. lmerge's failed publish did that (the flaky EISDIR in the test
/// process); strace shows each such second close as `close(N) = -1 EBADF`.
struct DescriptorCloseTests {
  /// Runs `loadsmith ARGS` under `strace -f -e trace=close,closedir` and returns the failed closes.
  func badCloses(_ args: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> [String] {
    let strace = "/usr/bin/strace"
    guard FileManager.default.isExecutableFile(atPath: strace) else {
      Issue.record("strace is needed for this test (scripts/install-deps.sh installs it)", sourceLocation: sourceLocation)
      return []
    }
    let scratch = Scratch("strace")  // removed when it goes away: keep it to the end
    let log = scratch.url("log")
    let p = Process()
    p.executableURL = URL(fileURLWithPath: strace)
    p.arguments = ["-f", "-qq", "-o", log, "-e", "trace=close", CLI.binary] + args
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    p.standardInput = FileHandle.nullDevice
    try p.run()
    p.waitUntilExit()
    let text = try withExtendedLifetime(scratch) { try String(contentsOfFile: log, encoding: .utf8) }
    #expect(text.contains("close("), "strace recorded no close at all", sourceLocation: sourceLocation)
    return text.split(separator: "\n").filter { $0.contains("EBADF") }.map(String.init)
  }

  func lmerge(_ s: Scratch, _ dest: String) -> [String] {
    ["lmerge", "-D", s.url("radmind"), s.url("transcript/high.T"), s.url("transcript/low.T"), s.url("transcript/\(dest)")]
  }

  @Test("lmerge into a non-empty file directory fails, closing the temporary transcript once")
  func failedPublish() throws {
    let s = Scratch()
    makeStore(s)
    s.write("transcript/merged.T", "old\n")
    s.write("file/merged.T/keep", "k")
    #expect(try badCloses(lmerge(s, "merged.T")) == [])
    #expect(s.read("transcript/merged.T") == "old\n")
  }

  @Test("lmerge over a directory named like the transcript fails, closing each descriptor once")
  func transcriptIsDirectory() throws {
    let s = Scratch()
    makeStore(s)
    s.mkdir("transcript/merged.T")
    #expect(try badCloses(lmerge(s, "merged.T")) == [])
  }

  @Test("a successful lmerge, lsort -o and fsdiff -o close each descriptor once")
  func successfulRuns() throws {
    let s = Scratch()
    makeStore(s)
    #expect(try badCloses(lmerge(s, "merged.T")) == [])
    #expect(s.read("transcript/merged.T") == mergedText)
    #expect(try badCloses(["lsort", "-o", s.url("sorted.T"), s.url("transcript/high.T")]) == [])
    #expect(try badCloses(["fsdiff", "-C", "-c", "sha1", "-K", "/dev/null", "-o", s.url("tree.T"), s.url("file")]) == [])
  }
}
