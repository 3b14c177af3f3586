import Foundation
import Hashing
import Store
import StoreTestSupport
import Testing

/// The store never reaches outside itself and never blocks on a file type (issue 10, items 4, 6, 8).
@Suite(.serialized) struct ConfinementTests {
  static let bin = "was-apache-bin-rhel5"
  static let node1 = "\(bin)-001.001-node1.T"

  /// A store holding bin 001.001 (nodes /usr/local/apache and /etc/httpd), not built.
  static func captured(_ label: String) throws -> (dir: String, staging: String, store: String) {
    let s = try CLI.scratch(label)
    try CLI.ok(["capture", s.staging, "--loadset", bin, "--node", "/usr/local/apache", "--node", "/etc/httpd", "--version", "001.001"], store: s.store)
    return s
  }

  static func sha1Base64(_ bytes: [UInt8]) throws -> String {
    let d = try DigestAlgorithm(named: "sha1").makeDigester()
    d.reset()
    d.update(bytes)
    return String(decoding: d.finalizeBase64(), as: UTF8.self)
  }

  /// `f /../../../../../../etc/passwd` with /etc/passwd's real size and checksum, as the first line
  /// of `transcript` (in radmind order: `/.` sorts before `/u`).
  static func addOutwardLine(to transcript: String) throws {
    let passwd = [UInt8](try Data(contentsOf: URL(fileURLWithPath: "/etc/passwd")))
    let line = "f /../../../../../../etc/passwd 0644 0 0 1600000000 \(passwd.count) \(try sha1Base64(passwd))\n"
    let old = try String(contentsOfFile: transcript, encoding: .utf8)
    try (line + old).write(toFile: transcript, atomically: false, encoding: .utf8)
  }

  @Test("a transcript line f /../../etc/passwd: verify reports it (hashing nothing outside), build refuses it")
  func outwardPathInTranscript() throws {
    let s = try Self.captured("outward")
    defer { CLI.remove(s.dir) }
    try Self.addOutwardLine(to: s.store + "/transcript/" + Self.node1)
    let v = try CLI.runBounded(["verify"], store: s.store)
    #expect(v.status == 1)
    #expect(v.out.contains("\(Self.node1): line 1: path /../../../../../../etc/passwd has a '..' component"), "\(v.out)")
    let b = try CLI.runBounded(["build", Self.bin, "001.001"], store: s.store)
    #expect(b.status != 0)
    #expect(b.err.contains("line 1: path /../../../../../../etc/passwd has a '..' component"), "\(b.err)")
    #expect(!FileManager.default.fileExists(atPath: s.store + "/transcript/\(Self.bin)-001.001.T"))
    // Nothing was linked outside the store (before the fix: a link to /etc/passwd beside file/).
    let outside = URL(fileURLWithPath: s.store).deletingLastPathComponent().path
    #expect(try FileManager.default.contentsOfDirectory(atPath: outside).sorted() == ["staging", "store"])
  }

  @Test("a FIFO at transcript/X.T: verify and status refuse it by type, never hang")
  func fifoTranscript() throws {
    let s = try Self.captured("fifo-t")
    defer { CLI.remove(s.dir) }
    let fifo = s.store + "/transcript/\(Self.bin)-009.001-node1.T"
    try CLI.shell("mkfifo '\(fifo)' && mkdir -p '\(s.store)/file/\(Self.bin)-009.001-node1.T'")
    let v = try CLI.runBounded(["verify"], store: s.store, seconds: 20)
    #expect(v.status == 1)
    #expect(v.out.contains("transcript/\(Self.bin)-009.001-node1.T: open: is a FIFO, not a regular file"), "\(v.out)")
    let st = try CLI.runBounded(["status"], store: s.store, seconds: 20)
    #expect(st.status != CLI.hung)
  }

  @Test("a FIFO at .loadsmith/meta/NAME.T: verify says so, status does not hang")
  func fifoMetadata() throws {
    let s = try Self.captured("fifo-m")
    defer { CLI.remove(s.dir) }
    let meta = s.store + "/.loadsmith/meta/" + Self.node1
    try CLI.shell("rm '\(meta)' && mkfifo '\(meta)'")
    let v = try CLI.runBounded(["verify"], store: s.store, seconds: 20)
    #expect(v.status == 1)
    #expect(v.out.contains("metadata .loadsmith/meta/\(Self.node1) is a FIFO, not a regular file"), "\(v.out)")
    let st = try CLI.runBounded(["status"], store: s.store, seconds: 20)
    #expect(st.status != CLI.hung)
  }

  @Test("a stored file replaced by a FIFO or by a symlink fails verify by type, without hanging")
  func storedFileOfWrongType() throws {
    let s = try Self.captured("stored-type")
    defer { CLI.remove(s.dir) }
    let files = s.store + "/file/" + Self.node1 + "/usr/local/apache/htdocs"
    // The symlink names a file with the very same bytes: only its type is wrong.
    try CLI.shell("cp '\(files)/index.html' '\(s.dir)/copy' && rm '\(files)/index.html' && ln -s '\(s.dir)/copy' '\(files)/index.html'")
    try CLI.shell("rm '\(files)/robots file.txt' && mkfifo '\(files)/robots file.txt'")
    let v = try CLI.runBounded(["verify"], store: s.store, seconds: 20)
    #expect(v.status == 1)
    #expect(v.out.contains("/usr/local/apache/htdocs/index.html: stored file is a symlink, not a regular file"), "\(v.out)")
    #expect(v.out.contains("/usr/local/apache/htdocs/robots file.txt: stored file is a FIFO, not a regular file"), "\(v.out)")
  }

  @Test("FIFOs in place of a node transcript, the history log or a command file's target: clear errors, no hang")
  func fifosElsewhere() throws {
    let s = try Self.captured("fifo-more")
    defer { CLI.remove(s.dir) }
    // A node transcript: build refuses it by type.
    let node2 = s.store + "/transcript/\(Self.bin)-001.001-node2.T"
    try CLI.shell("mv '\(node2)' '\(s.dir)/node2.T' && mkfifo '\(node2)'")
    let b = try CLI.runBounded(["build", Self.bin, "001.001"], store: s.store, seconds: 20)
    #expect(b.status != 0 && b.status != CLI.hung)
    #expect(b.err.contains("transcript/\(Self.bin)-001.001-node2.T is a FIFO, not a regular file"), "\(b.err)")
    try CLI.shell("rm '\(node2)' && mv '\(s.dir)/node2.T' '\(node2)'")
    // The history log: a writer refuses to append to it, and nothing is left pending forever.
    let history = s.store + "/.loadsmith/history.log"
    try CLI.shell("mv '\(history)' '\(s.dir)/history.log' && mkfifo '\(history)'")
    let w = try CLI.runBounded(["build", Self.bin, "001.001"], store: s.store, seconds: 20)
    #expect(w.status != 0 && w.status != CLI.hung)
    #expect(w.err.contains("history.log is a FIFO, not a regular file"), "\(w.err)")
    let l = try CLI.runBounded(["log"], store: s.store, seconds: 20)
    #expect(l.status != 0 && l.status != CLI.hung)
    #expect(l.err.contains("is a FIFO, not a regular file"), "\(l.err)")
    try CLI.shell("rm '\(history)' && mv '\(s.dir)/history.log' '\(history)'")
    let after = try CLI.runBounded(["verify"], store: s.store, seconds: 20)  // finishes what was pending
    #expect(after.status == 0, "\(after.out)\(after.err)")
    // A command file naming a FIFO: verify says what it is.
    try CLI.shell("mkfifo '\(s.store)/transcript/was-other-bin-rhel5-001.001.T' && printf 'p was-other-bin-rhel5-001.001.T\\n' > '\(s.store)/command/was-other.K'")
    let v = try CLI.runBounded(["verify", "was-other"], store: s.store, seconds: 20)
    #expect(v.status == 1)
    #expect(v.out.contains("command/was-other.K: names was-other-bin-rhel5-001.001.T, which is a FIFO, not a transcript"), "\(v.out)")
  }

  @Test("a directory swapped for a symlink between listing and copying fails the capture; nothing outside is stored")
  func swappedDirectoryDuringCapture() throws {
    let s = try CLI.scratch("swap")
    defer { CLI.remove(s.dir) }
    let htdocs = s.staging + "/usr/local/apache/htdocs"
    let original = try Data(contentsOf: URL(fileURLWithPath: htdocs + "/index.html"))
    // Outside the node: a "secret" of the same size and name, so only confinement can tell.
    let outside = s.dir + "/outside"
    try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
    try CLI.shell("cp -R '\(htdocs)/.' '\(outside)/'")
    try Data(repeating: 0x53, count: original.count).write(to: URL(fileURLWithPath: outside + "/index.html"))
    let store = try LoadsetStore(at: s.store)
    CaptureHooks.setAfterListing { node in
      guard node == Array("/usr/local/apache".utf8), !FileManager.default.fileExists(atPath: htdocs + ".moved") else { return }
      try? FileManager.default.moveItem(atPath: htdocs, toPath: htdocs + ".moved")
      try? FileManager.default.createSymbolicLink(atPath: htdocs, withDestinationPath: outside)
    }
    defer { CaptureHooks.setAfterListing(nil) }
    var request = CaptureRequest(stagingRoot: s.staging, loadset: Self.bin, nodes: ["/usr/local/apache"])
    request.threads = 1
    #expect {
      try store.capture(request)
    } throws: { error in
      "\(error)".contains("is no longer the file that was listed")
    }
    #expect(!FileManager.default.fileExists(atPath: s.store + "/transcript/\(Self.bin)-001.001-node1.T"))
    let v = try CLI.runBounded(["verify"], store: s.store)
    #expect(v.status == 0, "\(v.out)")
  }

  @Test("a store inside the captured node is skipped, and the capture says so")
  func storeInsideNode() throws {
    let s = try CLI.scratch("inside")
    defer { CLI.remove(s.dir) }
    let inner = s.staging + "/usr/local/apache/store"
    try CLI.ok(["init", inner], store: inner)
    let r = try CLI.runBounded(["capture", s.staging, "--loadset", Self.bin, "--node", "/usr/local/apache"], store: inner)
    #expect(r.status == 0, "\(r.err)")
    #expect(r.out.contains("note: skipped /usr/local/apache/store: it is the store itself"), "\(r.out)")
    let t = try String(contentsOfFile: inner + "/transcript/\(Self.bin)-001.001-node1.T", encoding: .utf8)
    #expect(!t.contains("/usr/local/apache/store"))
    #expect(t.contains("/usr/local/apache/htdocs/index.html"))
    #expect(try CLI.runBounded(["verify"], store: inner).status == 0)
    // The store itself as the node: refused with a clear message.
    let n = try CLI.runBounded(["capture", s.staging, "--loadset", Self.bin, "--node", "/usr/local/apache/store", "--next-minor"], store: inner)
    #expect(n.status != 0)
    #expect(n.err.contains("is the store itself"), "\(n.err)")
  }
}
