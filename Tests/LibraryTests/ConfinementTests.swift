import Foundation
import Hashing
import StoreTestSupport
import Testing
@testable import Library

/// `archive` and `restore` never reach outside the store, and never block on a file type.
@Suite(.serialized) struct LibraryConfinementTests {
  static let build = "\(Released.bin)-001.001.T"

  /// Rewrites the build's transcript with `edit` and records its new checksum in the metadata,
  /// so that only the path rule can refuse it.
  static func editTranscript(_ r: Released, _ edit: (String) -> String) throws {
    let path = r.store + "/transcript/" + build
    let text = edit(try String(contentsOfFile: path, encoding: .utf8))
    try text.write(toFile: path, atomically: false, encoding: .utf8)
    let d = try DigestAlgorithm(named: "sha1").makeDigester()
    d.reset()
    d.update(Array(text.utf8))
    let checksum = String(decoding: d.finalizeBase64(), as: UTF8.self)
    let metaPath = r.store + "/.loadsmith/meta/" + build
    let meta = try String(contentsOfFile: metaPath, encoding: .utf8).split(separator: "\n")
      .map { $0.hasPrefix("transcript-checksum ") ? "transcript-checksum \(checksum)" : String($0) }
    try (meta.joined(separator: "\n") + "\n").write(toFile: metaPath, atomically: false, encoding: .utf8)
  }

  @Test("archive refuses a transcript line f /../../etc/passwd instead of packing /etc/passwd")
  func archiveRefusesOutwardPath() throws {
    let r = try Released("outward-archive", release: false)
    defer { r.cleanup() }
    let passwd = [UInt8](try Data(contentsOf: URL(fileURLWithPath: "/etc/passwd")))
    let d = try DigestAlgorithm(named: "sha1").makeDigester()
    d.reset()
    d.update(passwd)
    let line = "f /../../../../../../etc/passwd 0644 0 0 1600000000 \(passwd.count) \(String(decoding: d.finalizeBase64(), as: UTF8.self))\n"
    try Self.editTranscript(r) { line + $0 }
    let a = try CLI.runBounded(["archive", "\(Released.bin)@001.001"], store: r.store)
    #expect(a.status != 0)
    #expect(a.err.contains("line 1: path /../../../../../../etc/passwd has a '..' component"), "\(a.err)")
    #expect(!FileManager.default.fileExists(atPath: r.archive("\(Released.bin)-001.001")))
  }

  @Test("archive refuses a stored file that is a FIFO (by type, without hanging) or a symlink")
  func archiveRefusesStoredFileOfWrongType() throws {
    let r = try Released("fifo-archive", release: false)
    defer { r.cleanup() }
    let htdocs = r.store + "/file/\(Self.build)/usr/local/apache/htdocs"
    try CLI.shell("rm '\(htdocs)/index.html' && mkfifo '\(htdocs)/index.html'")
    let a = try CLI.runBounded(["archive", "\(Released.bin)@001.001"], store: r.store, seconds: 20)
    #expect(a.status != 0 && a.status != CLI.hung)
    #expect(a.err.contains("/usr/local/apache/htdocs/index.html: stored file is a FIFO, not a regular file"), "\(a.err)")
    try CLI.shell("rm '\(htdocs)/index.html' && ln -s /etc/passwd '\(htdocs)/index.html'")
    let b = try CLI.runBounded(["archive", "\(Released.bin)@001.001"], store: r.store, seconds: 20)
    #expect(b.status != 0)
    #expect(b.err.contains("/usr/local/apache/htdocs/index.html: stored file is a symlink, not a regular file"), "\(b.err)")
  }

  @Test("a FIFO in place of the transcript or the metadata: archive refuses it, never hangs")
  func archiveRefusesFIFOTranscript() throws {
    let r = try Released("fifo-archive-t", release: false)
    defer { r.cleanup() }
    try CLI.shell("rm '\(r.store)/.loadsmith/meta/\(Self.build)' && mkfifo '\(r.store)/.loadsmith/meta/\(Self.build)'")
    let m = try CLI.runBounded(["archive", "\(Released.bin)@001.001"], store: r.store, seconds: 20)
    #expect(m.status != 0 && m.status != CLI.hung)
    #expect(m.err.contains("is a FIFO, not a regular file"), "\(m.err)")
    try CLI.shell("rm '\(r.store)/transcript/\(Self.build)' && mkfifo '\(r.store)/transcript/\(Self.build)'")
    let t = try CLI.runBounded(["archive", "\(Released.neg)@001.001"], store: r.store, seconds: 20)
    #expect(t.status == 0, "\(t.err)")  // another loadset is unaffected
    let u = try CLI.runBounded(["archive", "\(Released.bin)-001.001"], store: r.store, seconds: 20)
    #expect(u.status != 0 && u.status != CLI.hung)
    #expect(u.err.contains("is a FIFO, not a regular file"), "\(u.err)")
  }

  @Test("a FIFO named like an archive, beside a manifest: dsl verify and restore refuse it by type, never hang")
  func fifoArchive() throws {
    let r = try Released("fifo-dsl")
    defer { r.cleanup() }
    let stem = "\(Released.bin)-001.001"
    let bad = r.dir + "/bad"
    try CLI.shell("mkdir -p '\(bad)' && cp '\(r.binFolder)/\(stem).manifest.json' '\(bad)/' && mkfifo '\(bad)/\(stem).tar.gz'")
    let v = try CLI.runBounded(["dsl", "verify", bad + "/\(stem).tar.gz"], store: r.store, seconds: 20)
    #expect(v.status != 0 && v.status != CLI.hung)
    #expect((v.out + v.err).contains("is a FIFO, not a regular file"), "\(v.out)\(v.err)")
    let fresh = r.dir + "/fresh"
    let x = try CLI.runBounded(["restore", bad + "/\(stem).tar.gz", "--store", fresh], store: fresh, seconds: 20)
    #expect(x.status != 0 && x.status != CLI.hung)
    #expect(x.err.contains("is a FIFO, not a regular file"), "\(x.err)")
  }

  @Test("restore's transcript reader (shared with archive) refuses d /../../../tmp and h targets outside")
  func restoreReaderRefusesOutwardPaths() throws {
    for (text, message) in [
      ("d /../../../tmp 0755 0 0\n", "line 1: path /../../../tmp has a '..' component"),
      ("d /a 0755 0 0\nh /a/b /a/../../c\n", "line 2: hard link target /a/../../c has a '..' component"),
      ("d ./a/./b 0755 0 0\n", "line 1: path ./a/./b has a '.' component"),
    ] {
      #expect {
        _ = try TranscriptIndex(bytes: Array(text.utf8), loadset: "x-001.001.T", subject: "archive.tar.gz")
      } throws: { error in
        "\(error)".contains(message)
      }
    }
    #expect(try TranscriptIndex(bytes: Array("d ./a 0755 0 0\nl ./a/l 0777 0 0 ../../x\n".utf8), loadset: "x", subject: "s").files.isEmpty)
  }
}
