import Foundation
import Testing
@testable import TranscriptIO

struct DirectoryTreeTests {
  @Test("removes a tree whose names are not UTF-8, and never follows a symlink inside it")
  func bytesAndSymlinks() throws {
    let base = FileManager.default.temporaryDirectory.appendingPathComponent("dirtree-\(getpid())-\(UUID().uuidString.prefix(8))").path
    defer { try? FileManager.default.removeItem(atPath: base) }
    let outside = base + "/outside", tree = base + "/tree"
    try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
    try Data("keep".utf8).write(to: URL(fileURLWithPath: outside + "/precious"))
    try FileManager.default.createDirectory(atPath: tree, withIntermediateDirectories: true)
    func make(_ bytes: [UInt8], dir: Bool) {
      var p = Array(tree.utf8) + bytes + [0]
      p.withUnsafeMutableBufferPointer { b in
        b.withMemoryRebound(to: CChar.self) { c in
          if dir { _ = mkdir(c.baseAddress!, 0o755) } else { close(open(c.baseAddress!, O_CREAT | O_WRONLY, 0o644)) }
        }
      }
    }
    make(Array("/caf".utf8) + [0xE9], dir: false)
    make(Array("/d".utf8) + [0xFF], dir: true)
    make(Array("/d".utf8) + [0xFF, 0x2F, 0xFE, 0xFD], dir: false)
    try FileManager.default.createSymbolicLink(atPath: tree + "/link", withDestinationPath: outside)
    try DirectoryTree.remove(Array(tree.utf8))
    #expect(!FileManager.default.fileExists(atPath: tree))
    #expect(FileManager.default.fileExists(atPath: outside + "/precious"))
    try DirectoryTree.remove(Array(tree.utf8))  // missing is fine
    #expect(DirectoryTree.show(Array("a/caf".utf8) + [0xE9]) == "a/caf\\xe9")
  }
}
