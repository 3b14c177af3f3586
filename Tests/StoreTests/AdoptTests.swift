import Foundation
import StoreTestSupport
import Testing

/// `loadsmith adopt` on server trees laid out as radmind's lcreate leaves them, the refusals of
/// bad input, and `command write` keeping hand-written command files.
@Suite(.serialized) struct AdoptTests {
  static let bin = "was-apache-bin-rhel5"

  /// A radmind server tree (no .loadsmith/): each loadset's transcript made by our fsdiff front
  /// end (radmind's byte for byte) from the fixtures, its files copied to file/NAME/<path> as
  /// lcreate uploads them; foreign and Loadsmith names mixed, pointers as symlinks, a
  /// hand-written command file.
  static func radmindTree(_ label: String) throws -> (dir: String, staging: String, server: String) {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("loadsmith-\(label)-\(getpid())-\(UUID().uuidString.prefix(8))").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let staging = dir + "/staging", server = dir + "/radmind"
    let L = CLI.binary
    let script = """
      set -e
      cp -R '\(CLI.fixtures)' '\(staging)'
      mkdir -p '\(server)/transcript' '\(server)/file' '\(server)/command'
      cd '\(staging)' && : > ../empty.K
      # Each f line's file, its path decoded (radmind's \\b \\t \\n \\r \\\\), copied below file/NAME.
      copy='
      import os, re, shutil, sys
      for line in open(sys.argv[1], "rb"):
          t = line.split()
          if t[0] != b"f": continue
          p = re.sub(rb"\\\\(.)", lambda m: {b"b": b" ", b"t": b"\\t", b"n": b"\\n", b"r": b"\\r"}.get(m.group(1), m.group(1)), t[1])
          d = sys.argv[2].encode() + b"/" + p
          os.makedirs(os.path.dirname(d), exist_ok=True)
          shutil.copyfile(p, d)
      '
      # name, digest, node: fsdiff -C -c DIGEST (relative paths, as a client run from / with ./ writes them)
      lcreate() {
        '\(L)' fsdiff -C -K ../empty.K -c "$2" "$3" > '\(server)'/transcript/"$1"
        mkdir -p '\(server)'/file/"$1"
        python3 -c "$copy" '\(server)'/transcript/"$1" '\(server)'/file/"$1"
      }
      lcreate base.T sha1 ./usr/local/apache
      lcreate apache-2019.T md5 ./etc/httpd
      lcreate \(bin)-001.001-node1.T sha1 ./etc/httpd
      lcreate \(bin)-001.001.T sha1 ./etc/httpd
      lcreate was-apache-cfg-0001.T sha1 ./etc/httpd/conf
      # lcreate -N: a negative loadset's files are stored zero-length.
      lcreate logs.T sha1 ./var/log/httpd
      find '\(server)'/file/logs.T -type f -exec truncate -s 0 {} +
      ln -s \(bin)-001.001.T '\(server)'/transcript/\(bin)-current.T
      ln -s '\(server)'/transcript/was-apache-cfg-0001.T '\(server)'/transcript/was-apache-cfg-stable.T
      printf 'p base.T\\np \(bin)-001.001.T\\nn logs.T\\n' > '\(server)'/command/web.K
      printf '# by hand\\np apache-2019.T\\n' > '\(server)'/command/was-apache-PROD.K
      """
    let r = try CLI.sh(script)
    #expect(r.status == 0, "\(r.err)")
    return (dir, staging, server)
  }

  /// The radmind part of a tree: every transcript, stored file and command file, byte for byte.
  static func radmindPart(_ server: String) throws -> [String: String] {
    try CLI.fullSnapshot(server).filter { $0.key.hasPrefix("transcript/") || $0.key.hasPrefix("file/") || $0.key.hasPrefix("command/") }
  }

  @Test("adopt indexes a radmind tree: nothing of it changed, pointers taken over, foreign loadsets listed, verify clean, idempotent")
  func adoptRadmindTree() throws {
    let t = try Self.radmindTree("adopt")
    defer { CLI.remove(t.dir) }
    let before = try Self.radmindPart(t.server)
    let r = try CLI.run(["adopt", t.server])
    #expect(r.status == 0, "\(r.out)\(r.err)")
    #expect(r.out.contains("adopted base.T (foreign)") && r.out.contains("adopted \(Self.bin)-001.001-node1.T\n"))
    #expect(r.out.contains("pointer \(Self.bin)-current.T -> \(Self.bin)-001.001.T"))
    #expect(r.out.contains("pointer was-apache-cfg-stable.T -> was-apache-cfg-0001.T"))
    #expect(r.out.contains("command/web.K: hand-written, kept"))

    // Transcripts, stored files and command files as they were; the pointers got their file/ twin
    // and the absolute one a bare name (what radmind's realpath lookup resolves the same way).
    var after = try Self.radmindPart(t.server)
    #expect(after.removeValue(forKey: "file/\(Self.bin)-current.T") == "-> \(Self.bin)-001.001.T")
    #expect(after.removeValue(forKey: "file/was-apache-cfg-stable.T") == "-> was-apache-cfg-0001.T")
    #expect(after.removeValue(forKey: "transcript/was-apache-cfg-stable.T") == "-> was-apache-cfg-0001.T")
    var expected = before
    expected.removeValue(forKey: "transcript/was-apache-cfg-stable.T")
    #expect(after == expected)

    // status: counts from the transcripts, nodes from the first line, foreign loadsets listed.
    let status = try CLI.ok(["status"], store: t.server)
    #expect(!status.contains("?") && !status.contains(" 0 files"), "\(status)")
    #expect(status.contains("node  \(Self.bin)-001.001-node1.T  /etc/httpd  "))
    #expect(status.contains("\(Self.bin)-current.T -> \(Self.bin)-001.001.T"))
    #expect(status.contains("foreign loadsets"))
    #expect(status.contains("  apache-2019.T  bin  ") && status.contains("  md5  "))
    #expect(status.contains("  logs.T  neg  "))
    let json = try CLI.ok(["status", "--json"], store: t.server)
    #expect(json.contains("\"foreign\":[{\"name\":\"apache-2019.T\""))
    let meta = try String(contentsOfFile: t.server + "/.loadsmith/meta/apache-2019.T", encoding: .utf8)
    #expect(meta.contains("digest md5\n") && meta.contains("origin foreign\n") && meta.contains("paths relative\n"))

    // verify: no "no metadata" problems; adopted loadsets checked with their own digests.
    let v = try CLI.run(["verify"], store: t.server)
    #expect(v.status == 0, "\(v.out)")
    #expect(!v.out.contains("no metadata") && !v.out.contains("not adopted"))

    // Idempotent: nothing adopted, nothing written (metadata, history and all).
    let state = try CLI.fullSnapshot(t.server)
    let again = try CLI.run(["adopt", t.server])
    #expect(again.status == 0 && again.out.contains("0 adopted") && again.out.contains("6 already known"), "\(again.out)")
    #expect(try CLI.fullSnapshot(t.server) == state)
    let verified = try CLI.run(["adopt", t.server, "--verify"])
    #expect(verified.status == 0, "\(verified.out)")
    #expect(try CLI.fullSnapshot(t.server) == state)

    // Foreign loadsets by name: diff reads them; a release cannot name them.
    let d = try CLI.run(["diff", "base", "apache-2019.T"], store: t.server)
    #expect(d.status == 1 && d.out.contains("removed") && !d.out.contains("equal"), "\(d.out)\(d.err)")
    #expect(try CLI.run(["release", "base.T", "001.001"], store: t.server).status != 0)

    // A hand-written command file is not overwritten by command write, unless --force.
    let hand = try String(contentsOfFile: t.server + "/command/was-apache-PROD.K", encoding: .utf8)
    let w = try CLI.run(["command", "write", "was-apache"], store: t.server)
    #expect(w.status == 2 && w.err.contains("command/was-apache-PROD.K: not written by loadsmith"), "\(w.err)")
    #expect(try String(contentsOfFile: t.server + "/command/was-apache-PROD.K", encoding: .utf8) == hand)
    #expect(!FileManager.default.fileExists(atPath: t.server + "/command/was-apache-DEV.K"))
    try CLI.ok(["command", "write", "was-apache", "--force"], store: t.server)
    let taken = try String(contentsOfFile: t.server + "/command/was-apache-PROD.K", encoding: .utf8)
    #expect(taken.contains("written by loadsmith") && taken.contains("p \(Self.bin)-001.001.T"))
    #expect(try CLI.run(["command", "write", "was-apache"], store: t.server).status == 0)  // ours now
  }

  @Test("adopt --verify hashes every stored file and reports a mismatch without repairing it")
  func adoptVerifyReportsMismatch() throws {
    let t = try Self.radmindTree("adopt-verify")
    defer { CLI.remove(t.dir) }
    let victim = t.server + "/file/base.T/usr/local/apache/htdocs/index.html"
    var bytes = try Data(contentsOf: URL(fileURLWithPath: victim))
    bytes[0] ^= 0x20
    try bytes.write(to: URL(fileURLWithPath: victim))
    let before = try Self.radmindPart(t.server)
    let plain = try CLI.run(["adopt", t.server])
    #expect(plain.status == 0, "\(plain.out)")  // same size: only hashing can tell
    let r = try CLI.run(["adopt", t.server, "--verify"])
    #expect(r.status == 1 && r.out.contains("problem: base.T: ./usr/local/apache/htdocs/index.html: checksum wrong (sha1)"), "\(r.out)")
    let pointers: (String) -> Bool = { $0.hasSuffix("-current.T") || $0.hasSuffix("-stable.T") }
    #expect(try Self.radmindPart(t.server).filter { !pointers($0.key) } == before.filter { !pointers($0.key) })
  }

  @Test("bad input: each refused or adopted with a report, the radmind tree unchanged byte for byte, the store usable")
  func adoptBadInput() throws {
    let t = try Self.radmindTree("adopt-bad")
    defer { CLI.remove(t.dir) }
    let s = t.server
    let script = """
      set -e
      cd '\(s)'
      cp transcript/base.T transcript/nofiles.T                         # file directory missing
      cp transcript/base.T transcript/linked.T && cp -R file/base.T file/linked.T
      f=$(awk '$1 == "f" { print $2; exit }' transcript/linked.T)
      rm file/linked.T/"$f" && ln -s /etc/passwd file/linked.T/"$f"       # a stored file that is a symlink
      sort -r transcript/base.T > transcript/unsorted.T && mkdir file/unsorted.T
      printf 'f ./x 0644 0\\n' > transcript/malformed.T && mkdir file/malformed.T
      cp transcript/base.T "transcript/$(printf 'bad\\377name.T')"       # not UTF-8
      mkdir -p '\(t.dir)/outside' && cp transcript/was-apache-cfg-0001.T '\(t.dir)/outside/was-apache-cfg-0002.T'
      ln -s '\(t.dir)/outside/was-apache-cfg-0002.T' transcript/was-apache-cfg-dev.T   # leads outside
      printf 'p base.T\\np missing.T\\n' > command/broken.K               # names a missing transcript
      """
    #expect(try CLI.sh(script).status == 0)
    let before = try Self.radmindPart(s)
    let r = try CLI.run(["adopt", s])
    #expect(r.status == 1, "\(r.out)\(r.err)")
    #expect(r.out.contains("adopted nofiles.T (foreign)") && r.out.contains("problem: nofiles.T: file directory file/nofiles.T is missing"))
    #expect(r.out.contains("adopted linked.T (foreign)") && r.out.contains("stored file is a symlink, not a regular file"))
    #expect(r.out.contains("refused: transcript/unsorted.T: line 3: bad sort order"), "\(r.out)")
    #expect(r.out.contains("refused: transcript/malformed.T: line 1: "))
    #expect(r.out.contains("the name is not valid UTF-8"))
    #expect(r.out.contains("refused: transcript/was-apache-cfg-dev.T -> \(t.dir)/outside/was-apache-cfg-0002.T: leads outside the transcript folder"))
    #expect(r.out.contains("problem: command/broken.K: ") && r.out.contains("missing.T: No such file or directory"))
    // Nothing of the radmind tree changed but the two good pointers' file/ twins and bare names.
    var after = try Self.radmindPart(s)
    var expected = before
    for key in ["file/\(Self.bin)-current.T", "file/was-apache-cfg-stable.T", "transcript/was-apache-cfg-stable.T"] {
      after.removeValue(forKey: key)
      expected.removeValue(forKey: key)
    }
    #expect(after == expected)
    #expect(!FileManager.default.fileExists(atPath: s + "/.loadsmith/meta/unsorted.T"))
    // The store is usable: status, verify (which names the real problems), a capture, adopt again.
    #expect(try CLI.run(["status"], store: s).status == 0)
    let v = try CLI.run(["verify"], store: s)
    #expect(v.status == 1 && v.out.contains("unsorted.T") && v.out.contains("linked.T"))
    try CLI.ok(["capture", t.staging, "--loadset", "was-apache-neg-rhel5", "--node", "/var/log/httpd"], store: s)
    let again = try CLI.run(["adopt", s])
    #expect(again.status == 1 && again.out.contains("0 adopted"), "\(again.out)")
  }

  @Test("adopt reads command files in subfolders of command/ (k names from command/, p and n from transcript/), reporting what they name that is missing")
  func adoptCommandSubfolders() throws {
    let t = try Self.radmindTree("adopt-ksub")
    defer { CLI.remove(t.dir) }
    try CLI.shell("mkdir -p '\(t.server)/command/site/deep' && printf 'k web.K\\np base.T\\n' > '\(t.server)/command/site/web2.K' && printf 'p missing-2018.T\\n' > '\(t.server)/command/site/deep/old.K'")
    let before = try Self.radmindPart(t.server)
    let r = try CLI.run(["adopt", t.server])
    #expect(r.out.contains("command/site/web2.K: hand-written, kept"), "\(r.out)")
    #expect(r.out.contains("command/site/deep/old.K: hand-written, kept"), "\(r.out)")
    #expect(r.out.contains("problem: command/site/deep/old.K:") && r.out.contains("missing-2018.T"), "\(r.out)")
    // `k web.K` is command/web.K (radmind's server lookup), which exists: no problem named for web2.K.
    #expect(!r.out.contains("problem: command/site/web2.K"), "\(r.out)")
    #expect(r.status == 1)
    var after = try Self.radmindPart(t.server)
    after = after.filter { !$0.key.hasSuffix("-current.T") && !$0.key.hasSuffix("-stable.T") }
    #expect(after == before.filter { !$0.key.hasSuffix("-current.T") && !$0.key.hasSuffix("-stable.T") })
  }

  @Test("adopt shares loadsets among threads, yet reports, stages and records them in name order, as one thread does")
  func adoptManyLoadsetsInOrder() throws {
    let t = try Self.radmindTree("adopt-many")
    defer { CLI.remove(t.dir) }
    // 60 more foreign loadsets (every seventh unsorted, so refused) between the fixtures' names.
    var script = "set -e; cd '\(t.server)'\n"
    for i in 0..<60 {
      let name = String(format: "many-%02d.T", i)
      script += i % 7 == 3 ? "sort -r transcript/base.T > transcript/\(name) && mkdir file/\(name)\n"
        : "cp transcript/base.T transcript/\(name) && cp -R file/base.T file/\(name)\n"
    }
    #expect(try CLI.sh(script).status == 0)
    let r = try CLI.run(["adopt", t.server])
    #expect(r.status == 1, "\(r.out)\(r.err)")
    let names = try FileManager.default.contentsOfDirectory(atPath: t.server + "/transcript")
      .filter { !$0.hasSuffix("-current.T") && !$0.hasSuffix("-stable.T") }.sorted()
    let refused = names.filter { $0.hasPrefix("many-") && Int($0.dropFirst(5).prefix(2))! % 7 == 3 }
    let adopted = names.filter { !refused.contains($0) }
    let lines = r.out.split(separator: "\n").map(String.init)
    #expect(lines.filter { $0.hasPrefix("adopted ") }.map { String($0.dropFirst(8).prefix { $0 != " " }) } == adopted, "\(r.out)")
    #expect(lines.filter { $0.hasPrefix("refused: transcript/many-") }.map { String($0.dropFirst(20).prefix { $0 != ":" }) } == refused, "\(r.out)")
    let history = try String(contentsOfFile: t.server + "/.loadsmith/history.log", encoding: .utf8)
    let recorded = history.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
      .filter { $0.contains("adopt") }.compactMap { fields in fields.first { adopted.contains($0) } }
    #expect(recorded == adopted, "\(history)")
    for name in adopted {
      let meta = try String(contentsOfFile: t.server + "/.loadsmith/meta/" + name, encoding: .utf8)
      #expect(meta.hasPrefix("name \(name)\n"), "\(meta)")
    }
  }
}
