import Foundation
import StoreTestSupport
import Testing

/// Issue 11: sharing survives the prune of the loadset that stored the content first.
@Suite(.serialized) struct PruneSharingTests {
  static func inode(_ path: String) -> UInt64? {
    var st = stat()
    return lstat(path, &st) == 0 ? UInt64(st.st_ino) : nil
  }

  /// Every non-empty stored file of `later` has the inode of the same path in `kept`.
  static func unshared(_ store: String, kept: String, later: String) throws -> [String] {
    let root = store + "/file/" + later
    var out: [String] = []
    let walk = try #require(FileManager.default.enumerator(atPath: root))
    var files = 0
    while let relative = walk.nextObject() as? String {
      let path = root + "/" + relative
      var st = stat()
      guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_size > 0 else { continue }
      files += 1
      if inode(store + "/file/" + kept + "/" + relative) != UInt64(st.st_ino) { out.append(relative) }
    }
    #expect(files >= 3, "\(later) holds \(files) non-empty files")
    return out
  }

  static func captureAgain(_ r: Released, _ version: String, env: [String: String] = [:]) throws {
    let c = try CLI.run(["capture", r.staging, "--loadset", Released.bin, "--node", "/usr/local/apache", "--node", "/etc/httpd",
                         "--version", version], store: r.store, env: env)
    try #require(c.status == 0, "\(c.out)\(c.err)")
  }

  @Test("content first stored by a pruned loadset stays indexed: the next capture links the kept copy; verify stays clean")
  func sharingSurvivesPrune() throws {
    let r = try Released("prune-share")  // 001.001 stores everything first
    defer { r.cleanup() }
    let bin = Released.bin
    try r.nextVersion("001.002", release: true)  // links all but index.html to 001.001's copies
    try Self.captureAgain(r, "001.003")  // the same content again, so 001.002 becomes last-known-good
    try CLI.ok(["build", bin, "001.003"], store: r.store)
    try CLI.ok(["release", bin, "001.003"], store: r.store)
    let first = r.store + "/file/\(bin)-001.001-node1.T/usr/local/apache/bin/httpd"
    let kept = r.store + "/file/\(bin)-001.002-node1.T/usr/local/apache/bin/httpd"
    #expect(Self.inode(first) != nil && Self.inode(first) == Self.inode(kept))
    let out = try CLI.ok(["prune", bin, "--keep", "1"], store: r.store)
    #expect(out.contains("removed 1 build(s)"), "\(out)")
    #expect(Self.inode(first) == nil)
    #expect(try CLI.run(["verify"], store: r.store).status == 0)
    try Self.captureAgain(r, "001.004")
    for node in ["node1", "node2"] {
      let missed = try Self.unshared(r.store, kept: "\(bin)-001.002-\(node).T", later: "\(bin)-001.004-\(node).T")
      #expect(missed.isEmpty, "copied again instead of linked: \(missed)")
    }
    let v = try CLI.run(["verify"], store: r.store)
    #expect(v.status == 0, "\(v.out)")
  }

  @Test("prune killed after moving index entries: the next writer finishes it, verify passes, sharing holds")
  func pruneKilledAtContentStep() throws {
    let r = try Released("prune-share-crash")
    defer { r.cleanup() }
    let bin = Released.bin
    try r.nextVersion("001.002", release: true)
    try Self.captureAgain(r, "001.003")
    try CLI.ok(["build", bin, "001.003"], store: r.store)
    try CLI.ok(["release", bin, "001.003"], store: r.store)
    let killed = try CLI.run(["prune", bin, "--keep", "1"], store: r.store, env: ["LOADSMITH_FAULT": "prune.content"])
    #expect(killed.status == 86, "the prune.content step was not reached: \(killed.out)\(killed.err)")
    let v = try CLI.run(["verify"], store: r.store)
    #expect(v.status == 0, "\(v.out)")
    #expect(Self.inode(r.store + "/file/\(bin)-001.001-node1.T/usr/local/apache/bin/httpd") == nil)
    try Self.captureAgain(r, "001.004")
    for node in ["node1", "node2"] {
      let missed = try Self.unshared(r.store, kept: "\(bin)-001.002-\(node).T", later: "\(bin)-001.004-\(node).T")
      #expect(missed.isEmpty, "copied again instead of linked: \(missed)")
    }
    #expect(try CLI.run(["verify"], store: r.store).status == 0)
  }
}
