import Foundation
import StoreTestSupport
import Testing

@Suite(.serialized) struct BadInputTests {
  static let bin = "was-apache-bin-rhel5"

  @Test("bad input: a clear error, a non-zero exit, and the store unchanged")
  func badInput() throws {
    let s = try CommandTests.released("bad")
    defer { CLI.remove(s.dir) }
    try CLI.shell("ln -s /etc '\(s.staging)/usr/escape' && mkdir -p '\(s.staging)/opt' && ln -s /usr/share '\(s.staging)/opt/share'")
    let cases: [([String], String)] = [
      (["capture", s.staging, "--loadset", "was-Apache-bin-rhel5", "--node", "/usr/local/apache"], "COMPONENT 'Apache'"),
      (["capture", s.staging, "--loadset", "was-apache-exe-rhel5", "--node", "/usr/local/apache"], "TYPE 'exe'"),
      (["capture", s.staging, "--loadset", Self.bin, "--node", "/usr/local/apache", "--version", "001.001"], "immutable"),
      (["capture", s.staging, "--loadset", Self.bin, "--node", "/usr/local/apache", "--version", "1.2"], "three digits"),
      (["capture", s.dir + "/nonexistent", "--loadset", Self.bin, "--node", "/usr/local/apache", "--next-minor"], "No such file"),
      (["capture", s.staging, "--loadset", Self.bin, "--node", "/usr/escape/passwd", "--next-minor"], "outside the staging root"),
      (["capture", s.staging, "--loadset", Self.bin, "--node", "/opt/share/doc", "--next-minor"], "outside the staging root"),
      (["capture", s.staging, "--loadset", Self.bin, "--node", "/usr/local/../../etc", "--next-minor"], "'..'"),
      (["capture", s.staging, "--loadset", Self.bin, "--node", "usr/local/apache", "--next-minor"], "absolute path"),
      (["capture", s.staging, "--loadset", Self.bin, "--node", "/usr/local/nothing", "--next-minor"], "does not exist"),
      (["capture", s.staging, "--loadset", Self.bin, "--node", "/etc/httpd", "--node", "/etc/httpd/conf", "--next-minor"], "overlap"),
      (["capture", s.staging, "--loadset", "was-apache-cfg", "--node", "/etc/httpd/conf", "--version", "001.001"], "numbered automatically"),
      (["capture", s.staging, "--loadset", Self.bin, "--node", "/usr/local/apache", "-c", "nosuchdigest", "--next-minor"], "unsupported checksum"),
      (["build", Self.bin, "001.001"], "immutable"),
      (["build", Self.bin, "004.001"], "no node loadsets"),
      (["release", Self.bin, "009.009"], "does not exist"),
      (["release", "was-apache-cfg", "001.001"], "promoted"),
      (["promote", "was-apache-cfg"], "no dev"),
      (["rollback", Self.bin], "nothing to roll back to"),
      (["rollback", "was-apache-cfg"], "nothing to roll back to"),
      (["rollback", Self.bin, "--to", "007.001"], "no such build"),
      (["command", "write", "was-nothing"], "no loadsets"),
      (["diff", "was-apache-bin-rhel5@009.001", "was-apache-bin-rhel5-current"], "no such loadset"),
    ]
    let before = try CLI.fullSnapshot(s.store)
    for (args, message) in cases {
      let r = try CLI.run(args, store: s.store)
      #expect(r.status != 0, "\(args) should fail")
      #expect(r.err.contains(message), "\(args): expected '\(message)' in: \(r.err)")
      #expect(try CLI.fullSnapshot(s.store) == before, "\(args) changed the store")
    }
  }

  @Test("symlinks in the staging tree pointing outside it are captured as links, never followed")
  func symlinksAreLinks() throws {
    let s = try CLI.scratch("links")
    defer { CLI.remove(s.dir) }
    try CLI.shell("ln -s /etc/passwd '\(s.staging)/usr/local/apache/htdocs/passwd' && ln -s ../../../../.. '\(s.staging)/usr/local/apache/up'")
    try CLI.ok(["capture", s.staging, "--loadset", Self.bin, "--node", "/usr/local/apache"], store: s.store)
    let t = try String(contentsOfFile: s.store + "/transcript/\(Self.bin)-001.001-node1.T", encoding: .utf8)
    #expect(t.contains("l /usr/local/apache/htdocs/passwd") && t.contains("/etc/passwd\n"))
    #expect(t.contains("l /usr/local/apache/up"))
    #expect(!t.contains("/usr/local/apache/up/"))
  }
}

@Suite(.serialized) struct LockTests {
  @Test("many writers in parallel serialize: every change lands, the history is complete and ordered")
  func parallelWriters() throws {
    let s = try CLI.scratch("lock")
    defer { CLI.remove(s.dir) }
    let writers = 12
    let group = DispatchGroup()
    let results = LockedArray()
    for i in 0..<writers {
      group.enter()
      DispatchQueue.global().async {
        defer { group.leave() }
        let args = i % 3 == 2 ? ["status"] : ["capture", s.staging, "--loadset", "was-apache-cfg", "--node", "/etc/httpd/conf"]
        let r = try? CLI.run(args, store: s.store)
        results.append(r?.status ?? -1)
      }
    }
    group.wait()
    #expect(results.values.allSatisfy { $0 == 0 })
    let captures = (0..<writers).filter { $0 % 3 != 2 }.count
    let names = try FileManager.default.contentsOfDirectory(atPath: s.store + "/transcript").filter { $0.hasPrefix("was-apache-cfg-0") }.sorted()
    #expect(names == (1...captures).map { String(format: "was-apache-cfg-%04d.T", $0) })
    // The history: one publish and one dev move per capture, each move starting where the last ended.
    let log = try String(contentsOfFile: s.store + "/.loadsmith/history.log", encoding: .utf8)
    let records = log.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
    #expect(records.allSatisfy { $0.count == 10 })  // nine fields and the chain link
    #expect(try CLI.run(["verify"], store: s.store).status == 0)  // the chain holds under concurrent writers
    let publishes = records.filter { $0[3] == "publish" }.map { $0[4] }
    #expect(publishes == names)
    let moves = records.filter { $0[3] == "move" }
    #expect(moves.count == captures)
    var previous = "-"
    for m in moves {
      #expect(m[5] == previous)
      previous = m[6]
    }
    #expect(records.map { $0[0] } == records.map { $0[0] }.sorted())
    #expect(try CLI.run(["verify"], store: s.store).status == 0)
  }
}

final class LockedArray: @unchecked Sendable {
  private let lock = NSLock()
  private var storage: [Int32] = []
  func append(_ v: Int32) { lock.lock(); storage.append(v); lock.unlock() }
  var values: [Int32] { lock.lock(); defer { lock.unlock() }; return storage }
}

@Suite(.serialized) struct VerifyTests {
  @Test("verify catches a flipped byte, a deleted file and a dangling pointer")
  func catches() throws {
    let s = try CommandTests.released("verify")
    defer { CLI.remove(s.dir) }
    #expect(try CLI.run(["verify"], store: s.store).status == 0)
    let file = s.store + "/file/was-apache-bin-rhel5-001.001-node1.T/usr/local/apache/bin/httpd"
    var data = try Data(contentsOf: URL(fileURLWithPath: file))
    data[3] ^= 0x01
    try data.write(to: URL(fileURLWithPath: file))
    var r = try CLI.run(["verify"], store: s.store)
    #expect(r.status == 1 && r.out.contains("/usr/local/apache/bin/httpd: checksum wrong"))
    data[3] ^= 0x01
    try data.write(to: URL(fileURLWithPath: file))
    #expect(try CLI.run(["verify"], store: s.store).status == 0)

    try FileManager.default.removeItem(atPath: s.store + "/file/was-apache-bin-rhel5-001.001.T/etc/httpd/conf/mime.types")
    r = try CLI.run(["verify"], store: s.store)
    #expect(r.status == 1 && r.out.contains("was-apache-bin-rhel5-001.001.T: /etc/httpd/conf/mime.types: stored file"))

    try CLI.shell("cd '\(s.store)/transcript' && ln -sfn was-apache-bin-rhel5-004.001.T was-apache-bin-rhel5-current.T")
    r = try CLI.run(["verify"], store: s.store)
    #expect(r.status == 1 && r.out.contains("dangling pointer"))
    #expect(r.out.contains("disagrees"))

    // An orphan file directory and a neg file that is not zero-length.
    try CLI.shell("mkdir '\(s.store)/file/stray.T' && echo x > '\(s.store)/file/was-apache-neg-rhel5-001.001.T/var/log/httpd/access_log'")
    r = try CLI.run(["verify"], store: s.store)
    #expect(r.out.contains("orphan file directory") && r.out.contains("zero-length"))
  }
}
