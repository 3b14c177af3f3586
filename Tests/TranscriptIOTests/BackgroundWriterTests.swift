import Foundation
import StoreTestSupport
import SystemCalls
import Testing
@testable import TranscriptIO

@Suite struct BackgroundWriterTests {
  @Test("bytes appended in pieces of every size, across many small buffers, arrive in order and whole")
  func order() throws {
    let scratch = Scratch("bgw")
    defer { withExtendedLifetime(scratch) {} }
    let path = scratch.path + "/out"
    let fd = try Syscall.open(Array(path.utf8), [.writeOnly, .create, .truncate], mode: 0o644)
    let writer = BackgroundWriter(fd: fd, name: path, bufferSize: 61, buffers: 2)
    var expected: [UInt8] = []
    var generator = SystemRandomNumberGenerator()
    for i in 0 ..< 3000 {
      let piece = (0 ..< Int.random(in: 0 ... 200, using: &generator)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ i) }
      try piece.withUnsafeBytes { try writer.append($0) }
      try writer.append(0x0A)
      expected += piece + [0x0A]
    }
    try writer.finish()
    Syscall.closeQuietly(fd)
    #expect(Array(try Data(contentsOf: URL(fileURLWithPath: path))) == expected)
  }

  @Test("direct: whole buffers go past the page cache, the tail through it; the bytes are the same")
  func direct() throws {
    let scratch = Scratch("bgw")
    defer { withExtendedLifetime(scratch) {} }
    let path = scratch.path + "/direct"
    let fd = try Syscall.open(Array(path.utf8), [.writeOnly, .create, .truncate], mode: 0o644)
    let writer = BackgroundWriter(fd: fd, name: path, bufferSize: 8192, buffers: 2, direct: true)
    // The scratch directory is on a file system with O_DIRECT (ext4 here); tmpfs would refuse it.
    #expect(writer.writesDirectly)
    var expected: [UInt8] = []
    var generator = SystemRandomNumberGenerator()
    for i in 0 ..< 2000 {
      let piece = (0 ..< Int.random(in: 0 ... 300, using: &generator)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ i) }
      try piece.withUnsafeBytes { try writer.append($0) }
      try writer.append(0x0A)
      expected += piece + [0x0A]
    }
    try writer.finish()
    // Left buffered for whoever writes next (a partial block would fail with O_DIRECT).
    #expect(!writer.writesDirectly)
    try [UInt8]([0x41]).withUnsafeBytes { _ = try Syscall.write(fd, $0, path: path) }
    Syscall.closeQuietly(fd)
    #expect(expected.count > 8192 * 4 && expected.count % 4096 != 0)
    #expect(Array(try Data(contentsOf: URL(fileURLWithPath: path))) == expected + [0x41])
  }

  @Test("a write error (a descriptor opened read-only) is thrown, not lost")
  func writeError() throws {
    let scratch = Scratch("bgw")
    defer { withExtendedLifetime(scratch) {} }
    let path = scratch.path + "/ro"
    try Data("x".utf8).write(to: URL(fileURLWithPath: path))
    let fd = try Syscall.open(Array(path.utf8), .readOnly)
    defer { Syscall.closeQuietly(fd) }
    let writer = BackgroundWriter(fd: fd, name: path, bufferSize: 16, buffers: 2)
    #expect(throws: SystemCallError.self) {
      for _ in 0 ..< 100 { try [UInt8](repeating: 0x41, count: 10).withUnsafeBytes { try writer.append($0) } }
      try writer.finish()
    }
  }
}
