import Foundation
import RadmindFormat
import StoreTestSupport
import Testing

/// `capture --base K` against our `fsdiff -C -K K` front end (radmind's output byte for byte) on
/// the conformance trees, and `import`.
@Suite(.serialized) struct BaseCaptureTests {
  static var corpusPath: String {
    let local = CLI.packageRoot.appendingPathComponent("../../shared/conformance").standardized.path
    return FileManager.default.fileExists(atPath: local) ? local : "/work/shared/conformance"
  }

  /// A conformance tree in `dir/root`, its base transcript (`fsdiff -C -c sha1` of it, as
  /// `dir/base.T`), a command file `dir/command.K` listing it (plus a negative transcript and an
  /// exclude), then `edits` run in the root: the install to capture.
  static func editedTree(_ tree: String, edits: String, label: String) throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("loadsmith-\(label)-\(getpid())-\(UUID().uuidString.prefix(8))").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let L = CLI.binary
    let r = try CLI.sh("""
      set -e
      cd '\(dir)' && mkdir root && sh '\(corpusPath)/trees/\(tree).sh' root && : > empty.K
      (cd root && '\(L)' fsdiff -C -K ../empty.K -c sha1 . > ../base.T)
      printf 'f ./var/log/nothing 0644 0 0 1700000000 0 -\\n' > neg.T
      printf 'p base.T\\nn neg.T\\nx ./tmp/skip\\n' > command.K
      cd root && \(edits)
      """)
    #expect(r.status == 0, "\(r.err)")
    return dir
  }

  static let edits: [String: String] = [
    "staging-apache": """
      printf 'Listen 8080\\n' >> etc/httpd/conf/httpd.conf && chmod 0600 etc/sysconfig/httpd && \
      rm usr/local/apache/icons/blank.gif && rm -r usr/local/apache/include && \
      printf '#!/bin/sh\\n' > usr/local/apache/bin/rotatelogs && rm etc/httpd/run && ln -s /run/httpd etc/httpd/run && \
      rm usr/local/apache/bin/httpd.worker && cp -p usr/local/apache/bin/httpd usr/local/apache/bin/httpd.worker
      """,
    "hostile-names": """
      find . -type f -size -200c -print0 | LC_ALL=C sort -z | head -z -n 5 | xargs -0 -n 1 sh -c 'printf changed >> "$1"' _ && \
      mkdir -p 'new dir' && printf 'a\\tb\\n' > "new dir/$(printf 'tab\\tfile')" && \
      rm -rf "$(find . -mindepth 1 -maxdepth 1 -type d | LC_ALL=C sort | head -1)"
      """,
    "tiny": "printf 'more\\n' >> \"$(find . -type f | sort | head -1)\" && mkdir added && echo x > added/file",
  ]

  @Test("capture --base writes what fsdiff -C -K writes, byte for byte, and stores the changed and added files",
        arguments: ["staging-apache", "hostile-names", "tiny"])
  func captureBaseMatchesFsdiff(tree: String) throws {
    let dir = try Self.editedTree(tree, edits: Self.edits[tree]!, label: "base-\(tree)")
    defer { CLI.remove(dir) }
    let expected = try CLI.sh("cd '\(dir)/root' && '\(CLI.binary)' fsdiff -C -K ../command.K -c sha1 .")
    #expect(expected.status == 0, "\(expected.err)")
    let store = dir + "/store"
    try CLI.ok(["init", store], store: store)
    let rel = try CLI.run(["capture", dir + "/root", "--loadset", "was-apache-bin-rhel5", "--node", "/", "--base", dir + "/command.K", "--relative"], store: store)
    #expect(rel.status == 0, "\(rel.err)")
    let relative = try Data(contentsOf: URL(fileURLWithPath: store + "/transcript/was-apache-bin-rhel5-001.001-node1.T"))
    #expect(relative == Data(expected.out.utf8))
    #expect(expected.out.contains("\n-") || expected.out.hasPrefix("-") || tree == "tiny")

    // Absolute form (the default, as `fsdiff -C -K K /` on the client): the same lines, `./` → `/`.
    try CLI.ok(["capture", dir + "/root", "--loadset", "was-apache-bin-rhel5", "--node", "/", "-K", dir + "/command.K"], store: store)
    let absolute = try Data(contentsOf: URL(fileURLWithPath: store + "/transcript/was-apache-bin-rhel5-001.002-node1.T"))
    #expect(try Self.entries(absolute) == Self.entries(Data(expected.out.utf8)).map { e -> Entry in
      var e = e
      e.path = PathForm.absolute.convert(e.path)
      if e.kind == .hardLink { e.target = PathForm.absolute.convert(e.target) }
      return e
    })
    // Every changed or added file is stored, byte for byte; verify agrees.
    for e in try Self.entries(relative) where e.kind == .file && e.prefix != .minus {
      let p = String(decoding: e.path.dropFirst(1), as: UTF8.self)
      #expect(FileManager.default.contents(atPath: store + "/file/was-apache-bin-rhel5-001.001-node1.T" + p) == FileManager.default.contents(atPath: dir + "/root" + p), "\(p)")
    }
    let v = try CLI.run(["verify"], store: store)
    #expect(v.status == 0, "\(v.out)")
  }

  @Test("capture --base of a node, and a base that cannot be read leaves the store unchanged")
  func captureBaseNodeAndRefusal() throws {
    let dir = try Self.editedTree("staging-apache", edits: Self.edits["staging-apache"]!, label: "base-node")
    defer { CLI.remove(dir) }
    let expected = try CLI.sh("cd '\(dir)/root' && '\(CLI.binary)' fsdiff -C -K ../command.K -c sha1 ./etc/httpd")
    let store = dir + "/store"
    try CLI.ok(["init", store], store: store)
    try CLI.ok(["capture", dir + "/root", "--loadset", "was-apache-cfg", "--node", "/etc/httpd", "--base", dir + "/command.K", "--relative"], store: store)
    #expect(FileManager.default.contents(atPath: store + "/transcript/was-apache-cfg-0001.T") == Data(expected.out.utf8))
    #expect(try CLI.run(["status"], store: store).out.contains("was-apache-cfg-dev.T -> was-apache-cfg-0001.T"))
    let before = try CLI.fullSnapshot(store)
    try "p missing.T\n".write(toFile: dir + "/bad.K", atomically: true, encoding: .utf8)
    let r = try CLI.run(["capture", dir + "/root", "--loadset", "was-apache-cfg", "--node", "/etc/httpd", "--base", dir + "/bad.K"], store: store)
    #expect(r.status == 2 && r.err.contains("missing.T: No such file or directory"), "\(r.err)")
    #expect(try CLI.fullSnapshot(store) == before)
  }

  @Test("capture --base STORE/command/sub/K finds K's transcripts in STORE/transcript/, as the radmind server does")
  func captureBaseWithStoreCommandFile() throws {
    let dir = try Self.editedTree("staging-apache", edits: Self.edits["staging-apache"]!, label: "base-store-k")
    defer { CLI.remove(dir) }
    let expected = try CLI.sh("cd '\(dir)/root' && '\(CLI.binary)' fsdiff -C -K ../command.K -c sha1 .")
    #expect(expected.status == 0, "\(expected.err)")
    let store = dir + "/store"
    try CLI.ok(["init", store], store: store)
    // The base loadsets in the store's transcript/, the command file in a subfolder of command/
    // (nothing named base.T or neg.T beside it).
    try CLI.shell("cp '\(dir)/base.T' '\(dir)/neg.T' '\(store)/transcript/' && mkdir -p '\(store)/command/site' && cp '\(dir)/command.K' '\(store)/command/site/web.K'")
    let r = try CLI.run(["capture", dir + "/root", "--loadset", "was-apache-bin-rhel5", "--node", "/", "--base", store + "/command/site/web.K", "--relative"], store: store)
    #expect(r.status == 0, "\(r.err)")
    #expect(FileManager.default.contents(atPath: store + "/transcript/was-apache-bin-rhel5-001.001-node1.T") == Data(expected.out.utf8))
  }

  static func entries(_ data: Data) throws -> [Entry] {
    var parser = TranscriptLineParser()
    var out: [Entry] = []
    for line in data.split(separator: 0x0A) {
      try Array(line).withUnsafeBytes { out.append(try parser.parse($0)) }
    }
    return out
  }

  @Test("import checks every file against the transcript before publishing, under a Loadsmith or a foreign name")
  func importTranscript() throws {
    let s = try CLI.scratch("import")
    defer { CLI.remove(s.dir) }
    // An lcreate upload: tmp/transcript/NAME and tmp/file/NAME/<path>.
    let up = s.dir + "/upload"
    let r = try CLI.sh("""
      set -e
      mkdir -p '\(up)/file' && cd '\(s.staging)' && : > '\(s.dir)/empty.K'
      '\(CLI.binary)' fsdiff -C -K '\(s.dir)/empty.K' -c sha256 ./usr/local/apache > '\(up)/apache.T'
      cp -R --parents ./usr/local/apache '\(up)/file/'
      """)
    #expect(r.status == 0, "\(r.err)")
    let out = try CLI.ok(["import", up + "/apache.T", "--files", up + "/file", "--as", "apache.T"], store: s.store)
    #expect(out.contains("published apache.T (foreign)") && out.contains("sha256 checked"))
    try CLI.ok(["import", up + "/apache.T", "--files", up + "/file", "--as", "was-apache-bin-rhel5-001.001-node1.T"], store: s.store)
    #expect(FileManager.default.contents(atPath: s.store + "/transcript/apache.T") == FileManager.default.contents(atPath: up + "/apache.T"))
    #expect(try CLI.run(["verify"], store: s.store).status == 0)
    #expect(try CLI.ok(["status"], store: s.store).contains("node  was-apache-bin-rhel5-001.001-node1.T  /usr/local/apache  "))

    // A file that does not match, a symlink in its place, an existing name: nothing published.
    let before = try CLI.fullSnapshot(s.store)
    let victim = up + "/file/usr/local/apache/htdocs/index.html"
    var bytes = try Data(contentsOf: URL(fileURLWithPath: victim))
    bytes[0] ^= 0x20
    try bytes.write(to: URL(fileURLWithPath: victim))
    let bad = try CLI.run(["import", up + "/apache.T", "--files", up + "/file", "--as", "other.T"], store: s.store)
    #expect(bad.status == 2 && bad.err.contains("./usr/local/apache/htdocs/index.html: checksum wrong (sha256)") && bad.err.contains("nothing imported"), "\(bad.err)")
    bytes[0] ^= 0x20
    try FileManager.default.removeItem(atPath: victim)
    try FileManager.default.createSymbolicLink(atPath: victim, withDestinationPath: s.staging + "/usr/local/apache/htdocs/index.html")
    let link = try CLI.run(["import", up + "/apache.T", "--files", up + "/file", "--as", "other.T"], store: s.store)
    #expect(link.status == 2 && link.err.contains("index.html: is a symlink, not a regular file"), "\(link.err)")
    let exists = try CLI.run(["import", up + "/apache.T", "--files", up + "/file", "--as", "apache.T"], store: s.store)
    #expect(exists.status == 2 && exists.err.contains("apache.T exists"))
    let pointer = try CLI.run(["import", up + "/apache.T", "--files", up + "/file", "--as", "was-apache-bin-rhel5-current.T"], store: s.store)
    #expect(pointer.status == 2 && pointer.err.contains("a pointer name"))
    #expect(try CLI.fullSnapshot(s.store) == before)
  }
}
