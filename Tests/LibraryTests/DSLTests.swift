import Foundation
import StoreTestSupport
import Testing

/// A store with a DSL, captured and released: the state most DSL tests start from.
struct Released {
  static let bin = "was-apache-bin-rhel5"
  static let neg = "was-apache-neg-rhel5"
  var dir: String
  var staging: String
  var store: String
  var dsl: String

  var binFolder: String { dsl + "/was/apache/bin" }
  func archive(_ stem: String) -> String {
    let type = stem.contains("-neg-") ? "neg" : stem.contains("-cfg-") ? "cfg" : "bin"
    return "\(dsl)/was/apache/\(type)/\(stem).tar.gz"
  }

  /// init --dsl, capture bin and neg 001.001, build both, release bin (archived by the hook).
  init(_ label: String, release: Bool = true) throws {
    let s = try CLI.scratch(label)
    (dir, staging, store, dsl) = (s.dir, s.staging, s.store, s.dir + "/dsl")
    try CLI.ok(["init", store, "--dsl", dsl], store: store)
    try CLI.ok(["capture", staging, "--loadset", Self.bin, "--node", "/usr/local/apache", "--node", "/etc/httpd", "--version", "001.001"], store: store)
    try CLI.ok(["capture", staging, "--loadset", Self.neg, "--node", "/var/log/httpd", "--version", "001.001"], store: store)
    try CLI.ok(["build", Self.bin, "001.001"], store: store)
    try CLI.ok(["build", Self.neg, "001.001"], store: store)
    if release { try CLI.ok(["release", Self.bin, "001.001"], store: store) }
  }

  func cleanup() { CLI.remove(dir) }

  /// Captures, builds (and optionally releases) the next minor version after changing a file.
  func nextVersion(_ version: String, release: Bool) throws {
    try "v\(version)\n".write(toFile: staging + "/usr/local/apache/htdocs/index.html", atomically: false, encoding: .utf8)
    try CLI.ok(["capture", staging, "--loadset", Self.bin, "--node", "/usr/local/apache", "--node", "/etc/httpd", "--version", version], store: store)
    try CLI.ok(["build", Self.bin, version], store: store)
    if release { try CLI.ok(["release", Self.bin, version], store: store) }
  }
}

@Suite(.serialized) struct DSLTests {
  static var today: String {
    var t = time(nil)
    var tmv = tm()
    localtime_r(&t, &tmv)
    return String(format: "%04d%02d%02d", tmv.tm_year + 1900, tmv.tm_mon + 1, tmv.tm_mday)
  }

  @Test("release archives first; GNU tar lists and extracts the archive identically; restore round-trips byte for byte")
  func roundTrip() throws {
    let r = try Released("roundtrip")
    defer { r.cleanup() }
    let stem = "\(Released.bin)-001.001"
    let archive = r.archive(stem)
    #expect(FileManager.default.fileExists(atPath: archive))
    #expect(FileManager.default.fileExists(atPath: r.binFolder + "/\(stem).manifest.json"))
    // Tags: Release at archive time, PROD when it became current; each a symlink to the archive.
    for kind in ["Release", "PROD"] {
      let link = r.binFolder + "/tags/\(kind)-001.001-\(Self.today)/\(stem).tar.gz"
      #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == "../../\(stem).tar.gz")
    }

    // GNU tar reads it: gzip -t, tar -tzf, and -xzf gives the store's own files.
    #expect(try CLI.sh("gzip -t '\(archive)'").status == 0)
    let listing = try CLI.sh("tar -tzf '\(archive)'")
    #expect(listing.status == 0)
    let members = listing.out.split(separator: "\n").map(String.init)
    #expect(members.first == "transcript/\(stem).T")
    #expect(members.contains("file/\(stem).T/usr/local/apache/htdocs/robots file.txt"))
    let x = r.dir + "/gnu"
    try FileManager.default.createDirectory(atPath: x, withIntermediateDirectories: true)
    #expect(try CLI.sh("tar -xzf '\(archive)' -C '\(x)'").status == 0)
    #expect(try CLI.tree(x + "/file/\(stem).T") == CLI.tree(r.store + "/file/\(stem).T"))
    #expect(FileManager.default.contentsEqual(atPath: x + "/transcript/\(stem).T", andPath: r.store + "/transcript/\(stem).T"))

    // dsl verify, then restore into a fresh store: it verifies, diff shows nothing, bytes equal.
    let v = try CLI.run(["dsl", "verify", "--dsl", r.dsl])
    #expect(v.status == 0, "\(v.out)\(v.err)")
    let fresh = r.dir + "/fresh"
    let restored = try CLI.run(["restore", archive, "--store", fresh])
    #expect(restored.status == 0, "\(restored.err)")
    #expect(try CLI.run(["verify"], store: fresh).status == 0)
    let diff = try CLI.run(["diff", r.store + "/transcript/\(stem).T", fresh + "/transcript/\(stem).T"])
    #expect(diff.status == 0 && diff.out.contains("transcripts are equal"), "\(diff.out)")
    #expect(try CLI.tree(fresh + "/file/\(stem).T") == CLI.tree(r.store + "/file/\(stem).T"))
    #expect(FileManager.default.contentsEqual(atPath: fresh + "/.loadsmith/meta/\(stem).T", andPath: r.store + "/.loadsmith/meta/\(stem).T"))
    let log = try CLI.ok(["log"], store: fresh)
    #expect(log.contains("restore"))
    // Restoring again is refused: loadsets are immutable.
    let again = try CLI.run(["restore", archive, "--store", fresh])
    #expect(again.status != 0 && again.err.contains("already exists"))
  }

  @Test("archive: neg (zero-length files), cfg snapshots through a pointer, already archived, manifest fields, list --json")
  func archiveKinds() throws {
    let r = try Released("kinds")
    defer { r.cleanup() }
    try CLI.ok(["archive", "\(Released.neg)@001.001"], store: r.store)
    try CLI.ok(["capture", r.staging, "--loadset", "was-apache-cfg", "--node", "/etc/httpd/conf", "--relative"], store: r.store)
    try CLI.ok(["promote", "was-apache-cfg"], store: r.store)
    let out = try CLI.ok(["archive", "was-apache-cfg-stable"], store: r.store)
    #expect(out.contains("archived was-apache-cfg-0001.T") && out.contains("tag Release-0001-"))
    let again = try CLI.ok(["archive", "was-apache-cfg@0001"], store: r.store)
    #expect(again.contains("already archived"))
    #expect(try CLI.sh("tar -tzf '\(r.archive("was-apache-cfg-0001"))' | grep -c '^file/was-apache-cfg-0001.T/etc/httpd/conf/httpd.conf$'").out == "1\n")

    let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: r.dsl + "/was/apache/neg/\(Released.neg)-001.001.manifest.json"))) as! [String: Any]
    #expect(manifest["loadset"] as? String == "\(Released.neg)-001.001.T")
    #expect(manifest["digest_algorithm"] as? String == "sha1")
    #expect((manifest["archive_sha256"] as? String)?.count == 64)
    #expect(manifest["bytes"] as? Int == 0 && (manifest["files"] as? Int ?? 0) > 0)
    for key in ["transcript_digest", "source_store", "created", "who", "archive_bytes"] { #expect(manifest[key] != nil) }

    let list = try CLI.ok(["dsl", "list", "--json"], store: r.store)
    let parsed = try JSONSerialization.jsonObject(with: Data(list.utf8)) as! [String: Any]
    let archives = parsed["archives"] as! [[String: Any]]
    #expect(archives.count == 3)
    #expect(archives.contains { ($0["tags"] as? [String])?.contains { $0.hasPrefix("PROD-001.001-") } == true })
    let v = try CLI.run(["dsl", "verify"], store: r.store)
    #expect(v.status == 0 && v.out.contains("3 archive(s), 0 problem(s)"), "\(v.out)")
    // Restoring the neg loadset gives zero-length files that verify.
    let fresh = r.dir + "/fresh"
    #expect(try CLI.run(["restore", r.archive("\(Released.neg)-001.001"), "--store", fresh]).status == 0)
    #expect(try CLI.run(["verify"], store: fresh).status == 0)
    // And the cfg snapshot with relative (./) paths, byte for byte.
    #expect(try CLI.run(["restore", r.archive("was-apache-cfg-0001"), "--store", fresh]).status == 0)
    #expect(try CLI.run(["verify"], store: fresh).status == 0)
    #expect(try CLI.tree(fresh + "/file/was-apache-cfg-0001.T") == CLI.tree(r.store + "/file/was-apache-cfg-0001.T"))
    #expect(try CLI.run(["diff", r.store + "/transcript/was-apache-cfg-0001.T", fresh + "/transcript/was-apache-cfg-0001.T"]).status == 0)
  }

  @Test("protected area: 0700, files 0600, never replaced, not even named to a user who cannot read it")
  func protectedArea() throws {
    let r = try Released("protected", release: false)
    defer { r.cleanup() }
    let license = r.dir + "/license.key"
    try "secret\n".write(toFile: license, atomically: false, encoding: .utf8)
    try CLI.ok(["dsl", "add", "--protected", license], store: r.store)
    let attrs = try FileManager.default.attributesOfItem(atPath: r.dsl + "/protected")
    #expect((attrs[.posixPermissions] as? Int) == 0o700)
    #expect((try FileManager.default.attributesOfItem(atPath: r.dsl + "/protected/license.key")[.posixPermissions] as? Int) == 0o600)
    #expect(try CLI.run(["dsl", "add", "--protected", license], store: r.store).status != 0)
    #expect(try CLI.run(["dsl", "add", license], store: r.store).status != 0)
    #expect(try CLI.ok(["dsl", "list"], store: r.store).contains("protected/license.key"))
    // As an unprivileged user the protected area is simply absent from the listing.
    let binary = CLI.binary
    try CLI.sh("chmod o+rx '\(r.dir)' '\(r.dsl)'")
    let asNobody = try CLI.sh("setpriv --reuid=65534 --regid=65534 --clear-groups '\(binary)' dsl list --json --dsl '\(r.dsl)'")
    if asNobody.status == 0 {
      #expect(!asNobody.out.contains("protected") && !asNobody.out.contains("license"), "\(asNobody.out)")
    } else {
      print("skipping the unprivileged listing: \(asNobody.err)")
    }
  }

  @Test("release fails cleanly, current unmoved, when archiving into the DSL fails")
  func releaseRefusedWhenArchivingFails() throws {
    let r = try Released("release-fail", release: false)
    defer { r.cleanup() }
    // DSL/was is a file: the archive's folder cannot be made.
    try "not a folder\n".write(toFile: r.dsl + "/was", atomically: false, encoding: .utf8)
    let out = try CLI.run(["release", Released.bin, "001.001"], store: r.store)
    #expect(out.status != 0 && out.err.contains("archiving"), "\(out.err)")
    #expect(!FileManager.default.fileExists(atPath: r.store + "/transcript/\(Released.bin)-current.T"))
    #expect(try CLI.run(["verify"], store: r.store).status == 0)
  }
}
