import Foundation
import StoreTestSupport
import Testing

/// `build` honours the injectable link limit as capture and restore do (issue 11): a node's
/// stored file with that many links is copied into the build, not linked.
@Suite(.serialized) struct BuildLinkLimitTests {
  static let bin = ContentSharingTests.bin
  static let files = ["a", "b", "c", "d"]

  /// Captures 001.001 (four equal files, so the node shares one stored copy as far as the limit
  /// allows), builds it under `limit`, and checks the build's files, verify and `lcksum -n`.
  static func buildUnder(limit: Int) throws {
    let s = try CLI.scratch("buildlimit\(limit)")
    defer { CLI.remove(s.dir) }
    let apache = s.staging + "/usr/local/apache"
    try FileManager.default.createDirectory(atPath: apache + "/deep/er", withIntermediateDirectories: true)
    for name in files { try "dup\n".write(toFile: apache + "/deep/er/" + name, atomically: false, encoding: .utf8) }
    let env = ["LOADSMITH_LINK_LIMIT": String(limit)]
    #expect(try ContentSharingTests.capture(s, env: env).status == 0)
    let node = s.store + "/file/" + ContentSharingTests.node("001.001") + "/usr/local/apache"
    let before = try files.map { try ContentSharingTests.inode(node + "/deep/er/" + $0).nlink }
    let b = try CLI.run(["build", bin, "001.001"], store: s.store, env: env)
    #expect(b.status == 0, "\(b.out)\(b.err)")
    let build = s.store + "/file/\(bin)-001.001.T/usr/local/apache"
    for (name, links) in zip(files, before) {
      let built = try ContentSharingTests.inode(build + "/deep/er/" + name)
      #expect(built.nlink <= UInt64(limit), "\(name): \(built.nlink) links under limit \(limit)")
      // A node file already at the limit is copied (another inode), never linked.
      if links >= UInt64(limit) {
        #expect(try built.ino != ContentSharingTests.inode(node + "/deep/er/" + name).ino, "\(name)")
      }
      #expect(try Data(contentsOf: URL(fileURLWithPath: build + "/deep/er/" + name)) == Data("dup\n".utf8))
    }
    let v = try CLI.run(["verify"], store: s.store)
    #expect(v.status == 0, "\(v.out)\(v.err)")
    let name = "\(bin)-001.001.T"
    let l = try CLI.run(["lcksum", "-n", "-c", "sha1", "-D", s.store, s.store + "/transcript/" + name])
    #expect(l.status == 0 && l.out == "\(name): verified\n", "\(l.out)\(l.err)")
  }

  @Test("build under LOADSMITH_LINK_LIMIT=1 copies every stored file (into new directories too); verify and lcksum -n pass")
  func limitOne() throws { try Self.buildUnder(limit: 1) }

  @Test("build under LOADSMITH_LINK_LIMIT=2 links files below the limit and copies the full ones; verify and lcksum -n pass")
  func limitTwo() throws { try Self.buildUnder(limit: 2) }
}
