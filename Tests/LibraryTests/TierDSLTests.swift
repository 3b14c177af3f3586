import Foundation
import StoreTestSupport
import Testing

/// Releases, tags and pins in a store with a DSL: the tags are steps of the move's intent,
/// archiving comes before the release, prune keeps what a pin names.
@Suite(.serialized) struct TierDSLTests {
  static let bin = Released.bin

  static func tagLink(_ r: Released, _ kind: String, _ version: String) -> String {
    r.binFolder + "/tags/\(kind)-\(version)-\(DSLTests.today)/\(bin)-\(version).tar.gz"
  }

  @Test("release writes the Release and PROD tags inside its intent (history records of the same intent)")
  func releaseTagsInTheIntent() throws {
    let r = try Released("tags-intent", release: false)
    defer { r.cleanup() }
    let out = try CLI.ok(["release", Self.bin, "001.001"], store: r.store)
    #expect(out.contains("archived \(Self.bin)-001.001.T"), "\(out)")
    #expect(out.contains("tag Release-001.001-\(DSLTests.today)") && out.contains("tag PROD-001.001-\(DSLTests.today)"), "\(out)")
    for kind in ["Release", "PROD"] {
      #expect(try FileManager.default.destinationOfSymbolicLink(atPath: Self.tagLink(r, kind, "001.001")) == "../../\(Self.bin)-001.001.tar.gz")
    }
    let records = try String(contentsOfFile: r.store + "/.loadsmith/history.log", encoding: .utf8)
      .split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
    let move = records.first { $0[3] == "move" }
    let tags = records.filter { $0[3] == "tag" }
    #expect(tags.map { $0[6] } == ["Release-001.001-\(DSLTests.today)", "PROD-001.001-\(DSLTests.today)"])
    #expect(tags.allSatisfy { $0[8] == move?[8] }, "tags and move are not one intent")
  }

  @Test("rollback writes the PROD tag of the build current returns to, decided by the pointer moved")
  func rollbackTagsProduction() throws {
    let r = try Released("tags-rollback")
    defer { r.cleanup() }
    try r.nextVersion("001.002", release: true)
    try CLI.shell("rm -rf '\(r.binFolder)'/tags/PROD-001.001-*")
    let out = try CLI.ok(["rollback", Self.bin], store: r.store)
    #expect(out.contains("tag PROD-001.001-\(DSLTests.today)"), "\(out)")
    #expect(FileManager.default.fileExists(atPath: Self.tagLink(r, "PROD", "001.001")))
    // A tier rollback is not a production move: no tag.
    try CLI.ok(["deploy", Self.bin, "001.002", "--tier", "TEST"], store: r.store)
    try CLI.ok(["deploy", Self.bin, "001.001", "--tier", "TEST"], store: r.store)
    try CLI.shell("rm -rf '\(r.binFolder)'/tags/PROD-001.002-*")
    let tier = try CLI.ok(["rollback", Self.bin, "--tier", "TEST"], store: r.store)
    #expect(!tier.contains("tag "), "\(tier)")
    #expect(!FileManager.default.fileExists(atPath: Self.tagLink(r, "PROD", "001.002")))
  }

  @Test("a store with a DSL releases only archived builds: an archive that fails refuses the release, store byte-identical")
  func archiveBeforeRelease() throws {
    let r = try Released("archive-first", release: false)
    defer { r.cleanup() }
    // A file where the archive folder must go: archiving fails.
    try FileManager.default.createDirectory(atPath: r.dsl + "/was/apache", withIntermediateDirectories: true)
    try "in the way\n".write(toFile: r.binFolder, atomically: false, encoding: .utf8)
    let before = try CLI.fullSnapshot(r.store)
    let refused = try CLI.run(["release", Self.bin, "001.001"], store: r.store)
    #expect(refused.status != 0 && refused.err.contains("release refused: archiving \(Self.bin)-001.001.T into the DSL failed"), "\(refused.err)")
    #expect(try CLI.fullSnapshot(r.store) == before)
    try FileManager.default.removeItem(atPath: r.binFolder)
    try CLI.ok(["release", Self.bin, "001.001"], store: r.store)
    #expect(FileManager.default.fileExists(atPath: Self.tagLink(r, "PROD", "001.001")))
  }

  @Test("prune keeps a build a pin names, and says so; unpinned, it goes")
  func pruneKeepsPinned() throws {
    let r = try Released("prune-pin")
    defer { r.cleanup() }
    for v in ["001.002", "001.003", "001.004"] { try r.nextVersion(v, release: true) }
    try CLI.ok(["deploy", Self.bin, "001.001", "--tier", "TEST"], store: r.store)
    let out = try CLI.ok(["prune", Self.bin, "--keep", "1"], store: r.store)
    #expect(out.contains("keep   \(Self.bin)-001.001.T: pinned on TEST"), "\(out)")
    #expect(out.contains("remove \(Self.bin)-001.002.T"), "\(out)")
    #expect(FileManager.default.fileExists(atPath: r.store + "/transcript/\(Self.bin)-001.001.T"))
    try CLI.ok(["deploy", Self.bin, "--tier", "TEST", "--unpin"], store: r.store)
    let again = try CLI.ok(["prune", Self.bin, "--keep", "1"], store: r.store)
    #expect(again.contains("remove \(Self.bin)-001.001.T"), "\(again)")
    #expect(try CLI.run(["verify"], store: r.store).status == 0)
  }

  @Test("deploy racing prune of the same build: the pin keeps it, or the deploy is refused and changes nothing")
  func deployRacingPrune() throws {
    let r = try Released("deploy-prune-race")
    defer { r.cleanup() }
    #expect(try CLI.sh("head -c 4000000 /dev/zero | tr '\\0' 'a' > '\(r.staging)/usr/local/apache/bin/big.txt'").status == 0)
    for v in ["001.002", "001.003"] { try r.nextVersion(v, release: true) }
    // 001.001: archived, unreferenced, older than the newest 1: prune removes it unless pinned.
    let prune = Process()
    prune.executableURL = URL(fileURLWithPath: CLI.binary)
    prune.arguments = ["prune", Self.bin, "--keep", "1", "--store", r.store]
    let pruneOut = Pipe()
    prune.standardOutput = pruneOut
    prune.standardError = pruneOut
    try prune.run()
    let deploy = try CLI.run(["deploy", Self.bin, "001.001", "--tier", "TEST"], store: r.store)
    let out = String(decoding: pruneOut.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    prune.waitUntilExit()
    #expect(prune.terminationStatus == 0, "\(out)")
    let present = FileManager.default.fileExists(atPath: r.store + "/transcript/\(Self.bin)-001.001.T")
    let pinned = FileManager.default.fileExists(atPath: r.store + "/.loadsmith/pins/\(Self.bin)@TEST")
    if deploy.status == 0 {
      #expect(present && pinned, "deployed, then pruned: \(out)")
    } else {
      #expect(!present && !pinned && deploy.err.contains("does not exist"), "\(deploy.err)")
    }
    #expect(try CLI.run(["verify"], store: r.store).status == 0)
    // The refusal after the prune, deterministically: nothing changes.
    if present {
      try CLI.ok(["deploy", Self.bin, "--tier", "TEST", "--unpin"], store: r.store)
      try CLI.ok(["prune", Self.bin, "--keep", "1"], store: r.store)
    }
    do {
      let before = try CLI.fullSnapshot(r.store)
      let late = try CLI.run(["deploy", Self.bin, "001.001", "--tier", "TEST"], store: r.store)
      #expect(late.status != 0 && late.err.contains("does not exist"))
      #expect(try CLI.fullSnapshot(r.store) == before)
    }
  }
}
