import Foundation
import StoreTestSupport
import SystemCalls
import Testing
@testable import RadmindFormat
@testable import TranscriptIO

@Suite struct TranscriptIOTests {
  @Test("lines come back whole across buffer refills, the last one without its LF")
  func lineReader() throws {
    let scratch = Scratch("io")
    defer { withExtendedLifetime(scratch) {} }
    let dir = scratch.path
    var text = ""
    for i in 0 ..< 3000 { text += String(repeating: "x", count: i % 97) + "\(i)\n" }
    text += "tail"
    try text.write(toFile: dir + "/t", atomically: false, encoding: .utf8)
    let reader = try LineReader(path: dir + "/t", bufferSize: 64)
    var lines: [String] = []
    while let line = try reader.next() { lines.append(String(decoding: line, as: UTF8.self)) }
    #expect(lines == text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init))
    #expect(!reader.lastLineHadNewline)
    #expect(reader.lineNumber == 3001)
  }

  @Test("an aborted atomic file leaves the target untouched and no temporary behind")
  func atomicAbort() throws {
    let scratch = Scratch("io")
    defer { withExtendedLifetime(scratch) {} }
    let dir = scratch.path
    try "old\n".write(toFile: dir + "/out.T", atomically: false, encoding: .utf8)
    do {
      let file = try AtomicFile(path: dir + "/out.T")
      try file.buffer.append("new\n")
      try file.buffer.flush()
      file.abort()
    }
    #expect(try String(contentsOfFile: dir + "/out.T", encoding: .utf8) == "old\n")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["out.T"])
    let file = try AtomicFile(path: dir + "/out.T")
    try file.buffer.append("new\n")
    try file.commit()
    #expect(try String(contentsOfFile: dir + "/out.T", encoding: .utf8) == "new\n")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["out.T"])
  }

  @Test("the external sort gives the same order spilled or in memory, ties in reverse input order")
  func externalSort() throws {
    var lines: [String] = []
    for i in 0 ..< 5000 {
      let name = ["a", "a b", "a/b", "a-b", "A", "z\\\\q"][i % 6] + "\(i % 37)"
      lines.append("f /\(name) \(i)\n")
    }
    func run(budget: Int) throws -> String {
      var sorter = ExternalSorter(order: .caseSensitive, memoryBudget: budget)
      var tokens = LineTokens()
      for line in lines {
        try Array(line.utf8).withUnsafeBytes { buf in
          tokens.split(buf)
          try sorter.add(line: buf, encodedPath: tokens.token(1, in: buf))
        }
      }
      // finish writes through the descriptor (from a second thread, directly to the disk): read
      // back what reached the file.
      let scratch = Scratch("xsort")
      defer { withExtendedLifetime(scratch) {} }
      let path = scratch.path + "/sorted"
      let fd = try Syscall.open(Array(path.utf8), [.writeOnly, .create, .truncate], mode: 0o644)
      let out = OutputBuffer(fd: fd, name: path, threshold: 1 << 30)
      try sorter.finish(into: out, direct: true)
      Syscall.closeQuietly(fd)
      return try String(contentsOfFile: path, encoding: .utf8)
    }
    let inMemory = try run(budget: 1 << 30)
    let spilled = try run(budget: 4096)
    #expect(inMemory == spilled)
    let out = inMemory.split(separator: "\n").map(String.init)
    #expect(out.count == lines.count)
    // Equal paths: larger input number first.
    let a0 = out.filter { $0.hasPrefix("f /a0 ") }
    #expect(a0 == a0.sorted { Int($0.split(separator: " ")[2])! > Int($1.split(separator: " ")[2])! })
  }

}
