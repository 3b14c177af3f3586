import Foundation
import StoreTestSupport
import Testing

/// Issue 10, item 2 and a smaller item: prune of a build holding a file name that is not UTF-8
/// finishes, and every removed loadset (nodes too) is logged.
@Suite(.serialized) struct PruneBytesTests {
  static let bin = Released.bin

  @Test("prune of a build holding a non-UTF-8 name finishes: transcript, nodes and files gone, no intent; nodes logged")
  func pruneNonUTF8() throws {
    let r = try Released("prune-bytes", release: false)
    defer { r.cleanup() }
    #expect(try CLI.sh("printf x > \"\(r.staging)/usr/local/apache/$(printf 'caf\\351')\"").status == 0)
    try r.nextVersion("001.002", release: true)
    #expect(try CLI.sh("rm -f \"\(r.staging)/usr/local/apache/$(printf 'caf\\351')\"").status == 0)
    try r.nextVersion("001.003", release: true)
    try r.nextVersion("001.004", release: true)
    let out = try CLI.run(["prune", Self.bin, "--keep", "1"], store: r.store)
    #expect(out.status == 0, "\(out.err)\(out.out)")
    let fm = FileManager.default
    for v in ["001.002", "001.002-node1", "001.002-node2"] {
      #expect(!fm.fileExists(atPath: r.store + "/transcript/\(Self.bin)-\(v).T"), "\(v)")
      #expect(!fm.fileExists(atPath: r.store + "/file/\(Self.bin)-\(v).T"), "\(v)")
      #expect(!fm.fileExists(atPath: r.store + "/.loadsmith/meta/\(Self.bin)-\(v).T"), "\(v)")
    }
    #expect(!fm.fileExists(atPath: r.store + "/.loadsmith/intent"))
    #expect(try fm.contentsOfDirectory(atPath: r.store + "/.loadsmith/tmp").isEmpty)
    #expect(try CLI.run(["verify"], store: r.store).status == 0)
    let history = try String(contentsOfFile: r.store + "/.loadsmith/history.log", encoding: .utf8)
    for v in ["001.002", "001.002-node1", "001.002-node2"] {
      #expect(history.contains("\tprune\t\(Self.bin)-\(v).T\t"), "\(v): \(history)")
    }
    // Restore brings it back through a scratch tree holding the same name: nothing is left behind.
    let restored = try CLI.run(["restore", r.archive("\(Self.bin)-001.002"), "--store", r.store])
    #expect(restored.status == 0, "\(restored.err)")
    #expect(try fm.contentsOfDirectory(atPath: r.store + "/.loadsmith/tmp").isEmpty)
    #expect(try CLI.run(["verify"], store: r.store).status == 0)
  }
}
