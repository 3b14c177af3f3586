import Foundation
import StoreTestSupport
import Testing

/// Content sharing, incremental and streaming capture (issue 11).
@Suite(.serialized) struct ContentSharingTests {
  static let bin = "was-apache-bin-rhel5"
  static func node(_ version: String) -> String { "\(bin)-\(version)-node1.T" }

  static func inode(_ path: String) throws -> (ino: UInt64, nlink: UInt64, mode: UInt32) {
    var st = stat()
    try #require(lstat(path, &st) == 0, "lstat \(path)")
    return (UInt64(st.st_ino), UInt64(st.st_nlink), UInt32(st.st_mode) & 0o7777)
  }

  static func capture(_ s: (dir: String, staging: String, store: String), _ extra: [String] = [], env: [String: String] = [:]) throws -> CLI.Result {
    try CLI.run(["capture", s.staging, "--loadset", bin, "--node", "/usr/local/apache"] + extra, store: s.store, env: env)
  }

  /// The transcript line of `path` in `name` (its checksum is the last field).
  static func checksum(_ store: String, _ name: String, _ path: String) throws -> String {
    let text = try String(contentsOfFile: store + "/transcript/" + name, encoding: .utf8)
    let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("f \(path) ") }, "\(path) in \(name)")
    return String(line.split(separator: " ").last!)
  }

  @Test("an unchanged file is hard-linked to the stored copy, a changed one copied; stored files are read-only; empty files are never shared")
  func sharedContent() throws {
    let s = try CLI.scratch("share")
    defer { CLI.remove(s.dir) }
    let apache = s.staging + "/usr/local/apache"
    try "same\n".write(toFile: apache + "/one", atomically: false, encoding: .utf8)
    try "same\n".write(toFile: apache + "/two", atomically: false, encoding: .utf8)
    try Data().write(to: URL(fileURLWithPath: apache + "/empty1"))
    try Data().write(to: URL(fileURLWithPath: apache + "/empty2"))
    #expect(try Self.capture(s).status == 0)
    let v1 = s.store + "/file/" + Self.node("001.001") + "/usr/local/apache"
    // Equal files of one capture share one inode; empty files do not.
    #expect(try Self.inode(v1 + "/one").ino == Self.inode(v1 + "/two").ino)
    #expect(try Self.inode(v1 + "/empty1").ino != Self.inode(v1 + "/empty2").ino)
    #expect(try Self.inode(v1 + "/one").mode == 0o444)
    try "changed\n".write(toFile: apache + "/htdocs/index.html", atomically: false, encoding: .utf8)
    #expect(try Self.capture(s, ["--next-minor"]).status == 0)
    let v2 = s.store + "/file/" + Self.node("001.002") + "/usr/local/apache"
    #expect(try Self.inode(v2 + "/one").ino == Self.inode(v1 + "/one").ino)
    #expect(try Self.inode(v2 + "/htdocs/index.html").ino != Self.inode(v1 + "/htdocs/index.html").ino)
    #expect(try Data(contentsOf: URL(fileURLWithPath: v2 + "/htdocs/index.html")) == Data("changed\n".utf8))
    #expect(try Self.inode(v2 + "/empty1").ino != Self.inode(v1 + "/empty1").ino)
    #expect(try Self.inode(v2 + "/htdocs/index.html").mode == 0o444)
    let v = try CLI.run(["verify"], store: s.store)
    #expect(v.status == 0, "\(v.out)")
  }

  /// Replaces the recorded checksum of `path` in the store's only signature record with
  /// `checksum`, and its `started` line with `started` when given.
  static func tamperRecord(_ store: String, path: String, checksum: String, started: String? = nil) throws {
    let dir = store + "/.loadsmith/signatures"
    let names = try FileManager.default.contentsOfDirectory(atPath: dir)
    try #require(names.count == 1)
    let file = dir + "/" + names[0]
    var lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    var found = false
    for (i, line) in lines.enumerated() {
      var f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
      if f.count == 8 && f[0] == path { f[7] = checksum; lines[i] = f.joined(separator: "\t"); found = true }
      if f.count == 2 && f[0] == "started", let started { lines[i] = "started\t" + started }
    }
    try #require(found, "\(path) in the signature record")
    try lines.joined(separator: "\n").write(toFile: file, atomically: false, encoding: .utf8)
  }

  static func ctimeNanoseconds(_ path: String) -> String {
    var st = stat()
    _ = lstat(path, &st)
    return String(Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec))
  }

  @Test("an unchanged, non-racy file reuses the recorded checksum without being read; a racy one (ctime not older than the capture's start) and --rehash read it")
  func incrementalAndRacy() throws {
    let s = try CLI.scratch("racy")
    defer { CLI.remove(s.dir) }
    let apache = s.staging + "/usr/local/apache"
    try "aaaa\n".write(toFile: apache + "/x", atomically: false, encoding: .utf8)
    try "bbbb\n".write(toFile: apache + "/y", atomically: false, encoding: .utf8)
    usleep(50_000)  // both files strictly older than the capture's start
    #expect(try Self.capture(s).status == 0)
    let x = try Self.checksum(s.store, Self.node("001.001"), "/usr/local/apache/x")
    let y = try Self.checksum(s.store, Self.node("001.001"), "/usr/local/apache/y")
    // The record says x holds y's content (same size): only a capture that trusts it without
    // reading x can write y's checksum for x.
    try Self.tamperRecord(s.store, path: "/usr/local/apache/x", checksum: y)
    #expect(try Self.capture(s, ["--next-minor"]).status == 0)
    #expect(try Self.checksum(s.store, Self.node("001.002"), "/usr/local/apache/x") == y)
    // --rehash reads every file.
    try Self.tamperRecord(s.store, path: "/usr/local/apache/x", checksum: y)
    #expect(try Self.capture(s, ["--next-minor", "--rehash"]).status == 0)
    #expect(try Self.checksum(s.store, Self.node("001.003"), "/usr/local/apache/x") == x)
    // Racy: the previous capture started exactly at x's ctime (not strictly later): x is read.
    try Self.tamperRecord(s.store, path: "/usr/local/apache/x", checksum: y, started: Self.ctimeNanoseconds(apache + "/x"))
    #expect(try Self.capture(s, ["--next-minor"]).status == 0)
    #expect(try Self.checksum(s.store, Self.node("001.004"), "/usr/local/apache/x") == x)
    // A changed file (new ctime and size) is read whatever the record says.
    try Self.tamperRecord(s.store, path: "/usr/local/apache/x", checksum: y)
    try "aaaaa\n".write(toFile: apache + "/x", atomically: false, encoding: .utf8)
    #expect(try Self.capture(s, ["--next-minor"]).status == 0)
    #expect(try Self.checksum(s.store, Self.node("001.005"), "/usr/local/apache/x") != y)
  }

  @Test("a capture that does not publish leaves the previous signature record")
  func recordOnlyOnPublish() throws {
    let s = try CLI.scratch("recpub")
    defer { CLI.remove(s.dir) }
    #expect(try Self.capture(s).status == 0)
    let dir = s.store + "/.loadsmith/signatures"
    let before = try CLI.fullSnapshot(dir)
    try "new\n".write(toFile: s.staging + "/usr/local/apache/new", atomically: false, encoding: .utf8)
    let r = try Self.capture(s, ["--next-minor"], env: ["LOADSMITH_FAULT": "stage.synced"])
    #expect(r.status == 86)
    #expect(try CLI.run(["recover"], store: s.store).status == 0)
    #expect(try CLI.fullSnapshot(dir) == before)
  }

  @Test("a stored file at the link limit is copied instead (EMLINK), and the capture goes on")
  func linkLimit() throws {
    let s = try CLI.scratch("emlink")
    defer { CLI.remove(s.dir) }
    let apache = s.staging + "/usr/local/apache"
    for name in ["a", "b", "c"] { try "dup\n".write(toFile: apache + "/" + name, atomically: false, encoding: .utf8) }
    let env = ["LOADSMITH_LINK_LIMIT": "2"]
    #expect(try Self.capture(s, env: env).status == 0)
    #expect(try Self.capture(s, ["--next-minor"], env: env).status == 0)
    for v in ["001.001", "001.002"] {
      let dir = s.store + "/file/" + Self.node(v) + "/usr/local/apache"
      for name in ["a", "b", "c"] {
        #expect(try Self.inode(dir + "/" + name).nlink <= 2, "\(v) \(name)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name)) == Data("dup\n".utf8))
      }
    }
    let v = try CLI.run(["verify"], store: s.store)
    #expect(v.status == 0, "\(v.out)")
  }

  @Test("an edited stored file is never a link source; verify names every loadset sharing it; reindex leaves it out")
  func editedStoredFile() throws {
    let s = try CLI.scratch("edited")
    defer { CLI.remove(s.dir) }
    #expect(try Self.capture(s).status == 0)
    try CLI.ok(["build", Self.bin, "001.001"], store: s.store)
    let stored = s.store + "/file/" + Self.node("001.001") + "/usr/local/apache/htdocs/index.html"
    let original = try Data(contentsOf: URL(fileURLWithPath: stored))
    try CLI.shell("chmod u+w '\(stored)' && printf 'XXXXXXXXXXXXXXXXXXXXXXXXX' | dd of='\(stored)' conv=notrunc status=none")
    #expect(try Self.capture(s, ["--next-minor"]).status == 0)
    let fresh = s.store + "/file/" + Self.node("001.002") + "/usr/local/apache/htdocs/index.html"
    #expect(try Self.inode(fresh).ino != Self.inode(stored).ino)
    #expect(try Data(contentsOf: URL(fileURLWithPath: fresh)) == original)
    let v = try CLI.run(["verify"], store: s.store)
    #expect(v.status == 1)
    let shared = v.out.split(separator: "\n").first { $0.contains("is shared by 2 loadsets") }
    #expect(shared?.contains(Self.node("001.001")) == true && shared?.contains("\(Self.bin)-001.001.T") == true, "\(v.out)")
    #expect(try CLI.run(["reindex"], store: s.store).status == 0)
    let index = try String(contentsOfFile: s.store + "/.loadsmith/content/" + Self.node("001.001"), encoding: .utf8)
    #expect(!index.contains("htdocs/index.html"))
  }

  @Test("a store without a content index (made before sharing) is indexed by its first capture")
  func oldStoreIndexedOnFirstUse() throws {
    let s = try CLI.scratch("oldstore")
    defer { CLI.remove(s.dir) }
    #expect(try Self.capture(s).status == 0)
    try CLI.shell("rm -rf '\(s.store)/.loadsmith/content' '\(s.store)/.loadsmith/signatures'")
    #expect(try Self.capture(s, ["--next-minor"]).status == 0)
    let v1 = s.store + "/file/" + Self.node("001.001") + "/usr/local/apache/htdocs/index.html"
    let v2 = s.store + "/file/" + Self.node("001.002") + "/usr/local/apache/htdocs/index.html"
    #expect(try Self.inode(v1).ino == Self.inode(v2).ino)
    #expect(try CLI.run(["verify"], store: s.store).status == 0)
  }

  @Test("a node of more entries than one batch streams into the transcript fsdiff -C writes, byte for byte")
  func streamingMatchesFsdiff() throws {
    let s = try CLI.scratch("stream")
    defer { CLI.remove(s.dir) }
    let big = s.staging + "/usr/local/apache/many"
    for d in 0..<5 {
      try FileManager.default.createDirectory(atPath: big + "/d\(d)", withIntermediateDirectories: true)
      for i in 0..<1100 { try "\(i % 7)\n".write(toFile: big + "/d\(d)/f\(i)", atomically: false, encoding: .utf8) }
    }
    try CLI.ok(["capture", s.staging, "--loadset", Self.bin, "--node", "/usr/local/apache", "--relative"], store: s.store)
    let stored = try Data(contentsOf: URL(fileURLWithPath: s.store + "/transcript/" + Self.node("001.001")))
    let fsdiff = try ExcludedLinkTests.output(["fsdiff", "-C", "-c", "sha1", "-K", "/dev/null", "./usr/local/apache"], in: s.staging)
    #expect(fsdiff.status == 0)
    #expect(stored == fsdiff.out)
    #expect(try CLI.run(["verify"], store: s.store).status == 0)
  }
}

@Suite(.serialized) struct ByteAccountingTests {
  /// Regular-file bytes below `dirs`, each inode once (what the test expects `stored` to be).
  static func uniqueBytes(_ dirs: [String]) throws -> (apparent: Int64, stored: Int64) {
    var seen = Set<UInt64>()
    var apparent: Int64 = 0, stored: Int64 = 0
    for dir in dirs {
      let e = try #require(FileManager.default.enumerator(atPath: dir))
      for case let rel as String in e {
        var st = stat()
        guard lstat(dir + "/" + rel, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { continue }
        apparent += Int64(st.st_size)
        if seen.insert(UInt64(st.st_ino)).inserted { stored += Int64(st.st_size) }
      }
    }
    return (apparent, stored)
  }

  @Test("status shows apparent and stored bytes (each inode once) per series and for the store, in text and --json")
  func statusBytes() throws {
    let s = try CLI.scratch("bytes")
    defer { CLI.remove(s.dir) }
    let bin = ContentSharingTests.bin
    #expect(try ContentSharingTests.capture(s).status == 0)
    try CLI.ok(["build", bin, "001.001"], store: s.store)
    try "changed\n".write(toFile: s.staging + "/usr/local/apache/htdocs/index.html", atomically: false, encoding: .utf8)
    #expect(try ContentSharingTests.capture(s, ["--next-minor"]).status == 0)
    try CLI.ok(["build", bin, "001.002"], store: s.store)
    let dirs = ["001.001-node1", "001.001", "001.002-node1", "001.002"].map { s.store + "/file/\(bin)-\($0).T" }
    let expected = try Self.uniqueBytes(dirs)
    #expect(expected.stored < expected.apparent)
    let json = try CLI.ok(["status", "--json"], store: s.store)
    let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    let bytes = try #require(object["bytes"] as? [String: Any])
    let series = try #require((bytes["series"] as? [String: Any])?[bin] as? [String: Any])
    #expect((series["apparent"] as? Int).map(Int64.init) == expected.apparent)
    #expect((series["stored"] as? Int).map(Int64.init) == expected.stored)
    let store = try #require(bytes["store"] as? [String: Any])
    #expect((store["stored"] as? Int).map(Int64.init) == expected.stored)
    let text = try CLI.ok(["status"], store: s.store)
    #expect(text.contains("\(bin): "), "\(text)")
    #expect(text.contains("store: "), "\(text)")
  }
}

@Suite(.serialized) struct ReindexCrashTests {
  @Test("reindex killed at every step: verify passes, and the next capture still shares content")
  func killReindexEverywhere() throws {
    let s = try CLI.scratch("reindex-crash")
    defer { CLI.remove(s.dir) }
    #expect(try ContentSharingTests.capture(s).status == 0)
    let trace = s.dir + "/trace"
    #expect(try CLI.run(["reindex"], store: s.store, env: ["LOADSMITH_FAULT_TRACE": trace]).status == 0)
    let boundaries = try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n").map(String.init)
    #expect(boundaries.contains("reindex.renamed#1"), "\(boundaries)")
    for boundary in boundaries {
      let victim = s.dir + "/victim"
      try CLI.shell("rm -rf '\(victim)' && cp -a '\(s.store)' '\(victim)'")
      #expect(try CLI.run(["reindex"], store: victim, env: ["LOADSMITH_FAULT": boundary]).status == 86)
      let v = try CLI.run(["verify"], store: victim)
      #expect(v.status == 0, "killed at \(boundary): \(v.out)")
      let c = try CLI.run(["capture", s.staging, "--loadset", ContentSharingTests.bin, "--node", "/usr/local/apache", "--next-minor"], store: victim)
      #expect(c.status == 0, "killed at \(boundary): \(c.err)")
      let name = ContentSharingTests.bin
      let a = try ContentSharingTests.inode(victim + "/file/\(name)-001.001-node1.T/usr/local/apache/htdocs/index.html")
      let b = try ContentSharingTests.inode(victim + "/file/\(name)-001.002-node1.T/usr/local/apache/htdocs/index.html")
      #expect(a.ino == b.ino, "killed at \(boundary): content not shared")
    }
  }
}
