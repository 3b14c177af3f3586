import StoreTestSupport
import SystemCalls
import Testing
@testable import TranscriptIO

/// The one system-call layer: paths stay bytes, errors name call, path and errno, and a directory
/// fsync reports its failure instead of ignoring it.
@Suite struct SystemCallsTests {
  @Test("an error keeps the path byte for byte: not UTF-8, a doubled slash and a trailing slash")
  func errorKeepsPathBytes() throws {
    let scratch = Scratch("syscalls")
    let path = scratch.bytes + [0x2F, 0x2F, 0x6E, 0xFF, 0x2F]
    do {
      _ = try Syscall.lstat(path)
      Issue.record("lstat of a missing name succeeded")
    } catch {
      #expect(error.pathBytes == path)
      #expect(error.call == "lstat")
      #expect(error.errno == Errno.noEntry)
      #expect(error.description.hasSuffix(": No such file or directory"))
    }
  }

  @Test("mkdir -p makes every missing parent, names each one it made, and accepts what exists")
  func makeDirectories() throws {
    let scratch = Scratch("syscalls")
    var made: [[UInt8]] = []
    try Syscall.makeDirectories(scratch.bytes + Array("/a/b/c/".utf8)) { made.append($0) }
    #expect(made == ["/a", "/a/b", "/a/b/c"].map { scratch.bytes + Array($0.utf8) })
    try Syscall.makeDirectories(scratch.bytes + Array("/a/b".utf8))
    #expect(Syscall.lstatIfPresent(scratch.bytes + Array("/a/b/c".utf8))?.fileType == .directory)
  }

  @Test("the directory fsync after a rename reports a failure (it used to be ignored)")
  func directorySyncReportsFailure() throws {
    let scratch = Scratch("syscalls")
    #expect(throws: SystemCallError.self) {
      try AtomicFile.syncDirectory(of: scratch.bytes + Array("/missing/file".utf8))
    }
    try AtomicFile.syncDirectory(of: scratch.bytes + Array("/file".utf8))
  }

  @Test("readdir gives every name as bytes, never . or ..")
  func names() throws {
    let scratch = Scratch("syscalls")
    scratch.write("plain", "x")
    let odd: [UInt8] = [0x6F, 0xFF]
    let fd = try Syscall.open(scratch.bytes + [0x2F] + odd, [.writeOnly, .create, .exclusive])
    try Syscall.close(fd, path: odd)
    let names = try Syscall.names(in: scratch.bytes).sorted { $0.lexicographicallyPrecedes($1) }
    #expect(names == [odd, Array("plain".utf8)])
  }
}
