import Foundation
import StoreTestSupport
import Testing

/// Every command on the fixtures, through the command line.
@Suite(.serialized) struct CommandTests {
  static let bin = "was-apache-bin-rhel5"

  /// init, capture bin + neg, build, release: the state most tests start from.
  static func released(_ label: String) throws -> (dir: String, staging: String, store: String) {
    let s = try CLI.scratch(label)
    try CLI.ok(["capture", s.staging, "--loadset", bin, "--node", "/usr/local/apache", "--node", "/etc/httpd", "--version", "001.001"], store: s.store)
    try CLI.ok(["capture", s.staging, "--loadset", "was-apache-neg-rhel5", "--node", "/var/log/httpd"], store: s.store)
    try CLI.ok(["build", bin, "001.001"], store: s.store)
    try CLI.ok(["build", "was-apache-neg-rhel5", "001.001"], store: s.store)
    try CLI.ok(["release", bin, "001.001"], store: s.store)
    try CLI.ok(["release", "was-apache-neg-rhel5", "001.001"], store: s.store)
    return s
  }

  @Test("capture writes node loadsets laid out as radmind's server expects, with checksums")
  func captureLayout() throws {
    let s = try Self.released("capture")
    defer { CLI.remove(s.dir) }
    let t = try String(contentsOfFile: s.store + "/transcript/\(Self.bin)-001.001-node1.T", encoding: .utf8)
    #expect(t.hasPrefix("d /usr/local/apache "))
    #expect(t.contains("f /usr/local/apache/htdocs/robots\\bfile.txt"))
    #expect(t.contains("l /usr/local/apache/conf "))  // a symlink pointing outside: recorded, not followed
    #expect(!t.contains(" - \n") && !t.contains("\nd /etc"))
    // file/<transcript>/<decoded path>, byte for byte.
    let stored = try Data(contentsOf: URL(fileURLWithPath: s.store + "/file/\(Self.bin)-001.001-node1.T/usr/local/apache/htdocs/robots file.txt"))
    let source = try Data(contentsOf: URL(fileURLWithPath: s.staging + "/usr/local/apache/htdocs/robots file.txt"))
    #expect(stored == source)
    // neg: real sizes, zero-length stored files.
    let neg = try String(contentsOfFile: s.store + "/transcript/was-apache-neg-rhel5-001.001.T", encoding: .utf8)
    #expect(neg.contains("f /var/log/httpd/access_log"))
    let attrs = try FileManager.default.attributesOfItem(atPath: s.store + "/file/was-apache-neg-rhel5-001.001.T/var/log/httpd/access_log")
    #expect((attrs[.size] as? Int) == 0)
    // The build lists both nodes in radmind order and hard-links their files.
    let build = try String(contentsOfFile: s.store + "/transcript/\(Self.bin)-001.001.T", encoding: .utf8)
    #expect(build.hasPrefix("d /etc/httpd ") && build.contains("d /usr/local/apache "))
    let a = try FileManager.default.attributesOfItem(atPath: s.store + "/file/\(Self.bin)-001.001.T/etc/httpd/conf/httpd.conf")
    #expect((a[.referenceCount] as? Int) == 2)  // the node's file and the build's link to it
    #expect(try CLI.run(["verify"], store: s.store).status == 0)
    // --relative writes ./ paths.
    try CLI.ok(["capture", s.staging, "--loadset", "was-apache-cfg", "--node", "/etc/httpd/conf", "--relative"], store: s.store)
    let cfg = try String(contentsOfFile: s.store + "/transcript/was-apache-cfg-0001.T", encoding: .utf8)
    #expect(cfg.hasPrefix("d ./etc/httpd/conf "))
    #expect(FileManager.default.fileExists(atPath: s.store + "/file/was-apache-cfg-0001.T/etc/httpd/conf/httpd.conf"))
  }

  @Test("radmind's lcksum -n (our byte-compatible front end) verifies every bin and cfg loadset of a store")
  func lcksumVerifiesStore() throws {
    let s = try Self.released("lcksum")
    defer { CLI.remove(s.dir) }
    try CLI.ok(["capture", s.staging, "--loadset", "was-apache-cfg", "--node", "/etc/httpd/conf"], store: s.store)
    try CLI.ok(["capture", s.staging, "--loadset", "was-apache-cfg", "--node", "/etc/httpd/conf", "--relative"], store: s.store)
    let names = try FileManager.default.contentsOfDirectory(atPath: s.store + "/transcript").sorted()
    var checked = 0
    for name in names where !name.contains("-neg-") {
      let path = s.store + "/transcript/" + name
      if (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) != nil { continue }  // pointers
      let r = try CLI.run(["lcksum", "-n", "-c", "sha1", "-D", s.store, path])
      #expect(r.status == 0, "\(name): \(r.out)\(r.err)")
      #expect(r.out == "\(name): verified\n")
      checked += 1
    }
    #expect(checked == 5)  // two nodes and the build of 001.001, two cfg snapshots
    // And it notices a flipped byte, as radmind's would.
    let victim = s.store + "/file/\(Self.bin)-001.001-node1.T/usr/local/apache/htdocs/index.html"
    var bytes = try Data(contentsOf: URL(fileURLWithPath: victim))
    bytes[0] ^= 0x20
    try bytes.write(to: URL(fileURLWithPath: victim))
    let bad = try CLI.run(["lcksum", "-n", "-c", "sha1", "-D", s.store, s.store + "/transcript/\(Self.bin)-001.001-node1.T"])
    #expect(bad.status == 1 && bad.out.contains("checksum wrong"))
  }

  @Test("release, rollback, last-known-good, status --json, log, diff, command write")
  func lifecycle() throws {
    let s = try Self.released("lifecycle")
    defer { CLI.remove(s.dir) }
    try "changed\n".write(toFile: s.staging + "/usr/local/apache/htdocs/index.html", atomically: false, encoding: .utf8)
    try CLI.ok(["capture", s.staging, "--loadset", Self.bin, "--node", "/usr/local/apache", "--node", "/etc/httpd", "--next-minor"], store: s.store)
    let unbuilt = try CLI.run(["release", Self.bin, "001.002"], store: s.store)
    #expect(unbuilt.status != 0 && unbuilt.err.contains("not built"))
    try CLI.ok(["build", Self.bin, "001.002"], store: s.store)
    let out = try CLI.ok(["release", Self.bin, "001.002"], store: s.store)
    #expect(out.contains("last-known-good: \(Self.bin)-001.001.T"))
    let link = try FileManager.default.destinationOfSymbolicLink(atPath: s.store + "/transcript/\(Self.bin)-current.T")
    #expect(link == "\(Self.bin)-001.002.T")
    #expect(try FileManager.default.destinationOfSymbolicLink(atPath: s.store + "/file/\(Self.bin)-current.T") == link)
    let prod = try String(contentsOfFile: s.store + "/command/was-apache-PROD.K", encoding: .utf8)
    #expect(prod.contains("p \(Self.bin)-001.002.T") && prod.contains("n was-apache-neg-rhel5-001.001.T"))

    let diff = try CLI.run(["diff", "\(Self.bin)@001.001", "\(Self.bin)-current"], store: s.store)
    #expect(diff.status == 1 && diff.out.contains("changed"))

    try CLI.ok(["rollback", Self.bin], store: s.store)
    #expect(try FileManager.default.destinationOfSymbolicLink(atPath: s.store + "/transcript/\(Self.bin)-current.T") == "\(Self.bin)-001.001.T")
    #expect(try String(contentsOfFile: s.store + "/command/was-apache-PROD.K", encoding: .utf8).contains("p \(Self.bin)-001.001.T"))
    try CLI.ok(["rollback", Self.bin, "--to", "001.002"], store: s.store)

    // cfg: capture, promote, capture, promote, rollback.
    try CLI.ok(["capture", s.staging, "--loadset", "was-apache-cfg", "--node", "/etc/httpd/conf"], store: s.store)
    try CLI.ok(["promote", "was-apache-cfg"], store: s.store)
    try "KeepAlive On\n".write(toFile: s.staging + "/etc/httpd/conf/httpd.conf", atomically: false, encoding: .utf8)
    try CLI.ok(["capture", s.staging, "--loadset", "was-apache-cfg", "--node", "/etc/httpd/conf"], store: s.store)
    try CLI.ok(["promote", "was-apache-cfg"], store: s.store)
    func target(_ p: String) throws -> String { try FileManager.default.destinationOfSymbolicLink(atPath: s.store + "/transcript/was-apache-cfg-\(p).T") }
    #expect(try target("stable") == "was-apache-cfg-0002.T" && target("stale") == "was-apache-cfg-0001.T")
    try CLI.ok(["rollback", "was-apache-cfg"], store: s.store)
    #expect(try target("stable") == "was-apache-cfg-0001.T")

    let written = try CLI.ok(["command", "write", "was-apache"], store: s.store)
    #expect(written.contains("was-apache-DEV.K"))
    let dev = try String(contentsOfFile: s.store + "/command/was-apache-DEV.K", encoding: .utf8)
    let lines = dev.split(separator: "\n").filter { !$0.hasPrefix("#") }
    #expect(lines == ["p \(Self.bin)-001.002.T", "p was-apache-cfg-0002.T", "n was-apache-neg-rhel5-001.001.T"])
    let stage = try String(contentsOfFile: s.store + "/command/was-apache-STAGE.K", encoding: .utf8)
    #expect(stage.contains("p was-apache-cfg-0001.T"))

    let json = try CLI.ok(["status", "--json"], store: s.store)
    let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
    let series = object?["series"] as? [[String: Any]] ?? []
    let binSeries = series.first { $0["series"] as? String == Self.bin }
    #expect(binSeries?["lastKnownGood"] as? String == "\(Self.bin)-001.001.T")
    #expect((binSeries?["builds"] as? [Any])?.count == 2)
    let text = try CLI.ok(["status", Self.bin], store: s.store)
    #expect(text.contains("current.T -> \(Self.bin)-001.002.T") && !text.contains("was-apache-cfg-0001"))

    let log = try CLI.ok(["log", Self.bin], store: s.store)
    #expect(log.contains("publish  \(Self.bin)-001.001-node1.T") && log.contains("move  \(Self.bin)-current.T"))
    #expect(!log.contains("was-apache-cfg"))
    #expect(try CLI.run(["verify"], store: s.store).status == 0)
  }

  @Test("build refuses node conflicts unless --precedence settles them")
  func conflicts() throws {
    let s = try CLI.scratch("conflict")
    defer { CLI.remove(s.dir) }
    // Two staging trees captured as nodes of one version cannot conflict (nodes do not overlap), so
    // make a conflict by hand: a second node that lists /etc/httpd/conf/httpd.conf differently.
    try CLI.ok(["capture", s.staging, "--loadset", Self.bin, "--node", "/etc/httpd/conf", "--node", "/usr/local/apache", "--version", "001.001"], store: s.store)
    let t2 = s.store + "/transcript/\(Self.bin)-001.001-node2.T"
    let t1 = try String(contentsOfFile: s.store + "/transcript/\(Self.bin)-001.001-node1.T", encoding: .utf8)
    let line = t1.split(separator: "\n").first { $0.contains("httpd.conf") }!
    let altered = line.replacingOccurrences(of: "0644", with: "0600")
    let node2 = try String(contentsOfFile: t2, encoding: .utf8)
    try (altered + "\n" + node2).write(toFile: t2, atomically: false, encoding: .utf8)
    try CLI.shell("mkdir -p '\(s.store)/file/\(Self.bin)-001.001-node2.T/etc/httpd/conf' && cp '\(s.staging)/etc/httpd/conf/httpd.conf' '\(s.store)/file/\(Self.bin)-001.001-node2.T/etc/httpd/conf/'")
    let before = try CLI.fullSnapshot(s.store)
    let refused = try CLI.run(["build", Self.bin, "001.001"], store: s.store)
    #expect(refused.status != 0 && refused.err.contains("conflict") && refused.err.contains("--precedence"))
    // Both nodes and both lines are shown.
    #expect(refused.err.contains("node1: \(line)") && refused.err.contains("node2: \(altered)"))
    #expect(try CLI.fullSnapshot(s.store) == before)
    // A precedence that leaves a conflicting node out settles nothing.
    let partial = try CLI.run(["build", Self.bin, "001.001", "--precedence", "2"], store: s.store)
    #expect(partial.status != 0 && partial.err.contains("1 node conflict(s)"))
    #expect(try CLI.fullSnapshot(s.store) == before)
    let out = try CLI.ok(["build", Self.bin, "001.001", "--precedence", "2,1"], store: s.store)
    #expect(out.contains("node2 wins"))
    let build = try String(contentsOfFile: s.store + "/transcript/\(Self.bin)-001.001.T", encoding: .utf8)
    #expect(build.contains(altered))
  }
}
