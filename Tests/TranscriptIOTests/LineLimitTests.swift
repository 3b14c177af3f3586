import Foundation
import Testing
@testable import TranscriptIO

/// A line longer than the reader's limit never grows its buffer past the limit (issue 10, item 9).
@Suite struct LineLimitTests {
  func file(_ bytes: [UInt8]) throws -> String {
    let path = NSTemporaryDirectory() + "loadsmith-limit-\(UUID().uuidString)"
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
  }

  @Test("an over-long line comes back cut, its rest skipped, the next line whole")
  func cutAndSkip() throws {
    let long = [UInt8](repeating: 0x61, count: 10_000)
    let path = try file(Array("short\n".utf8) + long + [0x0A] + Array("after\n".utf8))
    defer { unlink(path) }
    let reader = try LineReader(path: path, bufferSize: 64, maxLineLength: 100)
    var lines: [(String, Bool)] = []
    while let line = try reader.next() { lines.append((String(decoding: line, as: UTF8.self), reader.lastLineWasCut)) }
    #expect(lines.map(\.0) == ["short", String(repeating: "a", count: 100), "after"])
    #expect(lines.map(\.1) == [false, true, false])
    #expect(reader.lineNumber == 3)
  }

  @Test("forEachLine splits an over-long line into fgets-sized pieces when asked")
  func split() throws {
    let path = try file(Array("x\n".utf8) + [UInt8](repeating: 0x62, count: 250) + Array("\ny".utf8))
    defer { unlink(path) }
    let reader = try LineReader(path: path, bufferSize: 64, maxLineLength: 100, splitsLongLines: true)
    var pieces: [(Int, Bool)] = []
    try reader.forEachLine { line, _, hadNewline in pieces.append((line.count, hadNewline)); return true }
    #expect(pieces.map(\.0) == [1, 100, 100, 50, 1])
    #expect(pieces.map(\.1) == [true, false, false, true, false])
  }

  @Test("a file with no newline at all is read in bounded memory (the buffer stops at the limit)")
  func boundedOnEndlessLine() throws {
    // /dev/zero never ends: before the limit the reader doubled its buffer until memory ran out.
    let fd = open("/dev/zero", O_RDONLY)
    try #require(fd >= 0)
    defer { close(fd) }
    let reader = LineReader(fd: fd, name: "/dev/zero", bufferSize: 4096, maxLineLength: 1 << 16)
    let line = try #require(try reader.next())
    #expect(line.count == 1 << 16)
    #expect(reader.lastLineWasCut)
  }
}
