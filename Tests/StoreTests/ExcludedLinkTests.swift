import Foundation
import StoreTestSupport
import Testing

/// A hard-link group whose first member is excluded by an `x` line: fsdiff writes the next link as
/// `f` with its checksum, and the store's capture must write exactly what our fsdiff does.
@Suite(.serialized) struct ExcludedLinkTests {
  /// Runs a command in `directory`, returning its standard output byte for byte.
  static func output(_ args: [String], in directory: String) throws -> (status: Int32, out: Data) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: CLI.binary)
    p.arguments = args
    p.currentDirectoryURL = URL(fileURLWithPath: directory)
    let out = Pipe()
    p.standardOutput = out
    p.standardError = FileHandle.nullDevice
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, data)
  }

  @Test("capture with an excluded first link writes the node transcript fsdiff -C writes, byte for byte, and stores the file")
  func excludedLeader() throws {
    let s = try CLI.scratch("xlink")
    defer { CLI.remove(s.dir) }
    let apache = s.staging + "/usr/local/apache"
    // a (excluded) and b are one inode; d/ is excluded whole, and its d/l1 is linked to e.
    try "shared\n".write(toFile: apache + "/a", atomically: false, encoding: .utf8)
    try #require(link(apache + "/a", apache + "/b") == 0)
    try FileManager.default.createDirectory(atPath: apache + "/d", withIntermediateDirectories: true)
    try "inside\n".write(toFile: apache + "/d/l1", atomically: false, encoding: .utf8)
    try #require(link(apache + "/d/l1", apache + "/e") == 0)
    let k = s.dir + "/exclude.K"
    try "x /usr/local/apache/a\nx /usr/local/apache/d\n".write(toFile: k, atomically: false, encoding: .utf8)

    try CLI.ok(["capture", s.staging, "--loadset", "was-apache-bin-rhel5", "--node", "/usr/local/apache", "--relative", "-K", k], store: s.store)
    let name = "was-apache-bin-rhel5-001.001-node1.T"
    let stored = try Data(contentsOf: URL(fileURLWithPath: s.store + "/transcript/" + name))
    let fsdiff = try Self.output(["fsdiff", "-C", "-K", k, "-c", "sha1", "./usr/local/apache"], in: s.staging)
    #expect(fsdiff.status == 0)
    #expect(stored == fsdiff.out, "store:\n\(String(decoding: stored, as: UTF8.self))\nfsdiff:\n\(String(decoding: fsdiff.out, as: UTF8.self))")
    let text = String(decoding: stored, as: UTF8.self)
    #expect(text.contains("\nf ./usr/local/apache/b ") && text.contains("\nf ./usr/local/apache/e "))
    #expect(!text.contains("\nh ") && !text.contains("apache/a ") && !text.contains("apache/d"))
    #expect(try Data(contentsOf: URL(fileURLWithPath: s.store + "/file/\(name)/usr/local/apache/b")) == Data("shared\n".utf8))
    #expect(try Data(contentsOf: URL(fileURLWithPath: s.store + "/file/\(name)/usr/local/apache/e")) == Data("inside\n".utf8))
    #expect(try CLI.run(["verify"], store: s.store).status == 0)
  }
}
