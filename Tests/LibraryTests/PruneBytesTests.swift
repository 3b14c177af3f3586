import Foundation
import StoreTestSupport
import Testing

@Suite(.serialized) struct PruneBytesTests {
  @Test("prune reports the bytes it actually freed: content still linked from a kept loadset frees nothing")
  func freedBytes() throws {
    let r = try Released("prune-bytes")  // 001.001 released (archived)
    defer { r.cleanup() }
    let bin = Released.bin
    let unique = r.store + "/file/\(bin)-001.001-node1.T/usr/local/apache/htdocs/index.html"
    let size = try #require(FileManager.default.attributesOfItem(atPath: unique)[.size] as? Int)
    try r.nextVersion("001.002", release: true)  // changes index.html only
    try r.nextVersion("001.003", release: true)
    let plan = try CLI.ok(["prune", bin, "--keep", "1", "--dry-run"], store: r.store)
    #expect(plan.contains("would be removed, freeing \(size) bytes"), "\(plan)")
    let out = try CLI.ok(["prune", bin, "--keep", "1"], store: r.store)
    #expect(out.contains("removed 1 build(s), freed \(size) bytes"), "\(out)")
    #expect(try CLI.run(["verify"], store: r.store).status == 0)
  }
}
