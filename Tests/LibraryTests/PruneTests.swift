import Foundation
import StoreTestSupport
import Testing

@Suite(.serialized) struct PruneTests {
  static let bin = Released.bin
  static func exists(_ r: Released, _ version: String) -> Bool {
    FileManager.default.fileExists(atPath: r.store + "/transcript/\(bin)-\(version).T")
  }

  @Test("prune removes only archived, verified, unreferenced builds; --dry-run changes nothing")
  func pruneKeepsWhatIsReferencedOrUnarchived() throws {
    let r = try Released("prune")  // 001.001 released (archived)
    defer { r.cleanup() }
    try r.nextVersion("001.002", release: true)
    try r.nextVersion("001.003", release: true)
    try r.nextVersion("001.004", release: false)  // never archived
    try r.nextVersion("001.005", release: true)  // last-known-good after the next release
    try r.nextVersion("001.006", release: true)  // current
    // 001.002: named by a hand-written command file; 001.003: its archive is damaged.
    try "p \(Self.bin)-001.002.T\n".write(toFile: r.store + "/command/custom.K", atomically: false, encoding: .utf8)
    let damaged = r.archive("\(Self.bin)-001.003")
    var data = try Data(contentsOf: URL(fileURLWithPath: damaged))
    data[data.count / 2] ^= 0x40
    try data.write(to: URL(fileURLWithPath: damaged))

    let before = try CLI.tree(r.store)
    let plan = try CLI.ok(["prune", Self.bin, "--keep", "1", "--dry-run"], store: r.store)
    #expect(plan.contains("would remove \(Self.bin)-001.001.T"), "\(plan)")
    #expect(plan.contains("1 build(s) would be removed"), "\(plan)")
    #expect(try CLI.tree(r.store) == before)

    let out = try CLI.ok(["prune", Self.bin, "--keep", "1"], store: r.store)
    #expect(out.contains("keep   \(Self.bin)-001.002.T: named by a command file"), "\(out)")
    #expect(out.contains("keep   \(Self.bin)-001.003.T: not safely archived"), "\(out)")
    #expect(out.contains("keep   \(Self.bin)-001.004.T: not safely archived: no archive"), "\(out)")
    #expect(out.contains("keep   \(Self.bin)-001.005.T: last-known-good"), "\(out)")
    #expect(out.contains("keep   \(Self.bin)-001.006.T: one of the newest 1"), "\(out)")
    #expect(!Self.exists(r, "001.001") && !Self.exists(r, "001.001-node1") && !Self.exists(r, "001.001-node2"))
    #expect(!FileManager.default.fileExists(atPath: r.store + "/file/\(Self.bin)-001.001.T"))
    for v in ["001.002", "001.003", "001.004", "001.005", "001.006"] { #expect(Self.exists(r, v)) }
    #expect(try CLI.run(["verify"], store: r.store).status == 0)
    #expect(try CLI.ok(["log"], store: r.store).contains("prune"))

    // The pruned build comes back from the DSL, whole.
    #expect(try CLI.run(["restore", r.archive("\(Self.bin)-001.001"), "--store", r.store]).status == 0)
    #expect(try CLI.run(["verify"], store: r.store).status == 0)
    // Without a DSL, nothing counts as archived.
    let noDSL = try CLI.run(["prune", Self.bin, "--keep", "0", "--dsl", r.dir + "/empty-dsl"], store: r.store)
    #expect(noDSL.status != 0)
  }

  @Test("a capture running while prune decides and deletes: both complete, nothing new is deleted")
  func concurrentCapture() throws {
    let r = try Released("prune-race")
    defer { r.cleanup() }
    // Bigger builds make prune's archive verification (under the lock) take a while.
    #expect(try CLI.sh("head -c 8000000 /dev/zero | tr '\\0' 'a' > '\(r.staging)/usr/local/apache/bin/big.txt'").status == 0)
    for v in ["001.002", "001.003", "001.004"] { try r.nextVersion(v, release: true) }
    let prune = Process()
    prune.executableURL = URL(fileURLWithPath: CLI.binary)
    prune.arguments = ["prune", Self.bin, "--keep", "1", "--store", r.store]
    let pruneOut = Pipe()
    prune.standardOutput = pruneOut
    prune.standardError = pruneOut
    try prune.run()
    try "racing\n".write(toFile: r.staging + "/usr/local/apache/htdocs/index.html", atomically: false, encoding: .utf8)
    let capture = try CLI.run(["capture", r.staging, "--loadset", Self.bin, "--node", "/usr/local/apache", "--node", "/etc/httpd", "--version", "001.005"], store: r.store)
    let out = String(decoding: pruneOut.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    prune.waitUntilExit()
    #expect(prune.terminationStatus == 0, "\(out)")
    #expect(capture.status == 0, "\(capture.err)")
    // 001.001 and 001.002 are archived and unreferenced: gone. 001.003 is last-known-good,
    // 001.004 current; the new capture's nodes are intact and build.
    #expect(!Self.exists(r, "001.001") && !Self.exists(r, "001.002"), "\(out)")
    #expect(Self.exists(r, "001.003") && Self.exists(r, "001.004"))
    #expect(Self.exists(r, "001.005-node1") && Self.exists(r, "001.005-node2"))
    try CLI.ok(["build", Self.bin, "001.005"], store: r.store)
    #expect(try CLI.run(["verify"], store: r.store).status == 0)
  }
}

@Suite(.serialized) struct PruneCommandSubfolderTests {
  @Test("prune keeps a build named only by a command file in a subfolder of command/")
  func subfolderCommandFileProtects() throws {
    let bin = Released.bin
    let r = try Released("prune-subfolder")  // 001.001 released (archived)
    defer { r.cleanup() }
    try r.nextVersion("001.002", release: true)
    try r.nextVersion("001.003", release: true)
    try FileManager.default.createDirectory(atPath: r.store + "/command/site", withIntermediateDirectories: true)
    try "p \(bin)-001.001.T\n".write(toFile: r.store + "/command/site/old.K", atomically: false, encoding: .utf8)
    let out = try CLI.ok(["prune", bin, "--keep", "1"], store: r.store)
    #expect(out.contains("keep   \(bin)-001.001.T: named by a command file"), "\(out)")
    #expect(PruneTests.exists(r, "001.001"))
    #expect(try CLI.run(["verify"], store: r.store).status == 0)
  }
}
