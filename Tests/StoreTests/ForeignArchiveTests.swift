import Foundation
import StoreTestSupport
import Testing

/// `archive NAME` and `restore NAME` of foreign loadsets (adopted from a radmind tree): their
/// own DSL folder, a byte-for-byte round trip, and a store holding a different one refused.
@Suite(.serialized) struct ForeignArchiveTests {
  /// transcript/NAME and file/NAME/... of `store`, byte for byte.
  static func loadsetPart(_ store: String, _ name: String) throws -> [String: String] {
    try CLI.fullSnapshot(store).filter { $0.key == "transcript/\(name)" || $0.key.hasPrefix("file/\(name)/") }
  }

  @Test("archive and restore a foreign loadset by name: DSL/foreign-loadsets/NAME.tar.gz, restored byte for byte, an identical one left, a different one refused")
  func roundTrip() throws {
    let t = try AdoptTests.radmindTree("foreign-archive")
    defer { CLI.remove(t.dir) }
    let dsl = t.dir + "/dsl"
    try FileManager.default.createDirectory(atPath: dsl, withIntermediateDirectories: true)
    #expect(try CLI.run(["adopt", t.server]).status == 0)
    for name in ["base.T", "logs"] {  // `logs` names the neg loadset logs.T, as diff accepts it
      let a = try CLI.run(["archive", name, "--store", t.server, "--dsl", dsl])
      #expect(a.status == 0, "\(a.out)\(a.err)")
    }
    #expect(FileManager.default.fileExists(atPath: dsl + "/foreign-loadsets/base.T.tar.gz"))
    #expect(FileManager.default.fileExists(atPath: dsl + "/foreign-loadsets/base.T.manifest.json"))
    #expect(FileManager.default.fileExists(atPath: dsl + "/foreign-loadsets/logs.T.manifest.json"))
    let again = try CLI.run(["archive", "base.T", "--store", t.server, "--dsl", dsl])
    #expect(again.status == 0 && again.out.contains("already archived"), "\(again.out)\(again.err)")
    let v = try CLI.run(["dsl", "verify", "--dsl", dsl, "--allow-unsigned"])
    #expect(v.status == 0 && v.out.contains("base.T"), "\(v.out)\(v.err)")

    // Into a fresh store, by name: transcript and files byte for byte, as foreign loadsets.
    let fresh = t.dir + "/fresh"
    for name in ["base.T", "logs.T"] {
      let r = try CLI.run(["restore", name, "--store", fresh, "--dsl", dsl, "--allow-unsigned"])
      #expect(r.status == 0 && r.out.contains("restored \(name)"), "\(r.out)\(r.err)")
      #expect(try Self.loadsetPart(fresh, name) == Self.loadsetPart(t.server, name))
      #expect(try !Self.loadsetPart(fresh, name).isEmpty)
    }
    let status = try CLI.run(["status", "--store", fresh])
    #expect(status.status == 0 && status.out.contains("base.T"), "\(status.out)\(status.err)")
    let verify = try CLI.run(["verify", "--store", fresh])
    #expect(verify.status == 0, "\(verify.out)\(verify.err)")

    // The same one again (and into the server it came from): nothing changes.
    for store in [fresh, t.server] {
      let before = try CLI.fullSnapshot(store)
      let r = try CLI.run(["restore", "base.T", "--store", store, "--dsl", dsl, "--allow-unsigned"])
      #expect(r.status == 0 && r.out.contains("nothing changed"), "\(r.out)\(r.err)")
      #expect(try CLI.fullSnapshot(store) == before)
    }

    // A store whose base.T differs: refused, nothing changed.
    try CLI.shell("printf '# changed by hand\\n' >> '\(fresh)/transcript/base.T'")
    let before = try CLI.fullSnapshot(fresh)
    let refused = try CLI.run(["restore", "base.T", "--store", fresh, "--dsl", dsl, "--allow-unsigned"])
    #expect(refused.status != 0 && refused.err.contains("different transcript"), "\(refused.out)\(refused.err)")
    #expect(try CLI.fullSnapshot(fresh) == before)
  }

  @Test("a foreign loadset archived without its metadata (never adopted) is restored as a foreign loadset: its rebuilt metadata says origin foreign")
  func restoredWithoutMetadataIsForeign() throws {
    let t = try AdoptTests.radmindTree("foreign-nometa")
    defer { CLI.remove(t.dir) }
    let dsl = t.dir + "/dsl"
    try FileManager.default.createDirectory(atPath: dsl, withIntermediateDirectories: true)
    #expect(try CLI.run(["init", t.server]).status == 0)
    #expect(!FileManager.default.fileExists(atPath: t.server + "/.loadsmith/meta/base.T"))
    let a = try CLI.run(["archive", "base.T", "--store", t.server, "--dsl", dsl])
    #expect(a.status == 0, "\(a.out)\(a.err)")
    let fresh = t.dir + "/fresh"
    let r = try CLI.run(["restore", "base.T", "--store", fresh, "--dsl", dsl, "--allow-unsigned"])
    #expect(r.status == 0 && r.out.contains("restored base.T"), "\(r.out)\(r.err)")
    #expect(try Self.loadsetPart(fresh, "base.T") == Self.loadsetPart(t.server, "base.T"))
    let meta = try String(contentsOfFile: fresh + "/.loadsmith/meta/base.T", encoding: .utf8)
    #expect(meta.contains("origin foreign\n") && meta.contains("name base.T\n") && meta.contains("transcript-checksum "), "\(meta)")
    let status = try CLI.ok(["status"], store: fresh)
    #expect(status.contains("foreign loadsets") && status.contains("  base.T  bin  "), "\(status)")
    #expect(try CLI.run(["verify"], store: fresh).status == 0)
  }
}
