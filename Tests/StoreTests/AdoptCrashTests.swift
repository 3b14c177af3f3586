import Foundation
import StoreTestSupport
import Testing

/// `adopt` killed at every step boundary (LOADSMITH_FAULT): its metadata, pointers and history
/// appear together or not at all, on a first adoption (meta/ empty: the staging directory renamed
/// over it) and on a later one (meta/ holding files: one rename per file).
@Suite(.serialized) struct AdoptCrashTests {
  /// What an adoption changes, without times: the metadata (minus its `adopted` time), the
  /// pointer symlinks, and the history's event, name, from, to and checksum fields.
  static func adoptionState(_ server: String) throws -> String {
    let fm = FileManager.default
    var out: [String] = []
    let meta = server + "/.loadsmith/meta"
    for name in ((try? fm.contentsOfDirectory(atPath: meta)) ?? []).sorted() {
      let text = (try? String(contentsOfFile: meta + "/" + name, encoding: .utf8)) ?? "?"
      out.append("meta/\(name): " + text.split(separator: "\n").filter { !$0.hasPrefix("adopted ") }.joined(separator: "|"))
    }
    for dir in ["transcript", "file"] {
      for name in try fm.contentsOfDirectory(atPath: server + "/" + dir).sorted() {
        if let target = try? fm.destinationOfSymbolicLink(atPath: server + "/" + dir + "/" + name) { out.append("\(dir)/\(name) -> \(target)") }
      }
    }
    let log = (try? String(contentsOfFile: server + "/.loadsmith/history.log", encoding: .utf8)) ?? ""
    for line in log.split(separator: "\n") {
      let f = line.split(separator: "\t", omittingEmptySubsequences: false)
      out.append("history: " + (f.count > 7 ? f[3...7].joined(separator: " ") : String(line)))
    }
    return out.joined(separator: "\n")
  }

  @Test("adopt killed at every step boundary, first and later adoption: after recovery the tree shows none of the adoption or all of it (metadata, pointers, history), verify passes, adopt finishes it")
  func killEverywhere() throws {
    let t = try AdoptTests.radmindTree("adopt-crash")
    defer { CLI.remove(t.dir) }
    let server = t.server, probe = t.dir + "/probe", victim = t.dir + "/victim", trace = t.dir + "/trace"
    // Every pointer relative (copies of the tree must not lead back into the original).
    try CLI.shell("ln -sfn was-apache-cfg-0001.T '\(server)/transcript/was-apache-cfg-stable.T'")
    var killed = 0
    for round in 1...2 {
      if round == 2 {
        // A later adoption: a loadset added the radmind way next to adopted ones.
        try CLI.shell("cp -a '\(server)/transcript/base.T' '\(server)/transcript/extra.T' && cp -a '\(server)/file/base.T' '\(server)/file/extra.T'")
      }
      let radmind = try AdoptTests.radmindPart(server)
      let old = try Self.adoptionState(server)
      try CLI.shell("rm -rf '\(probe)' '\(trace)' && cp -a '\(server)' '\(probe)'")
      let clean = try CLI.run(["adopt", probe], env: ["LOADSMITH_FAULT_TRACE": trace])
      #expect(clean.status == 0, "\(clean.out)\(clean.err)")
      let new = try Self.adoptionState(probe)
      #expect(new != old)
      let boundaries = (try? String(contentsOfFile: trace, encoding: .utf8))?.split(separator: "\n").map(String.init) ?? []
      #expect(boundaries.contains("intent.written#1") && boundaries.contains("adopt.meta#1"), "\(boundaries)")
      for boundary in boundaries {
        try CLI.shell("rm -rf '\(victim)' && cp -a '\(server)' '\(victim)'")
        let r = try CLI.run(["adopt", victim], env: ["LOADSMITH_FAULT": boundary])
        #expect(r.status == 86, "round \(round) at \(boundary): exit \(r.status) \(r.err)")
        killed += 1
        let rec = try CLI.run(["recover"], store: victim)
        #expect(rec.status == 0, "round \(round) killed at \(boundary): recover: \(rec.out)\(rec.err)")
        let after = try Self.adoptionState(victim)
        #expect(after == old || after == new, "round \(round) killed at \(boundary): neither old nor new:\n\(after)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: victim + "/.loadsmith/tmp").isEmpty, "round \(round) at \(boundary): leftovers")
        // Adopting again finishes the job, once: the state of the clean run, the radmind part untouched.
        #expect(try CLI.run(["adopt", victim]).status == 0)
        #expect(try Self.adoptionState(victim) == new, "round \(round) killed at \(boundary): adopt again")
        let v = try CLI.run(["verify"], store: victim)
        #expect(v.status == 0, "round \(round) killed at \(boundary): verify: \(v.out)")
        let notLinks = { (part: [String: String]) in part.filter { !$0.value.hasPrefix("-> ") } }
        #expect(try notLinks(AdoptTests.radmindPart(victim)) == notLinks(radmind), "round \(round) at \(boundary): radmind tree changed")
      }
      try CLI.shell("rm -rf '\(server)' && cp -a '\(probe)' '\(server)'")
    }
    #expect(killed >= 10)
  }

  @Test("adopt's transcript-checksum (taken while the transcript is scanned) is the digest of the whole file, for sha1 and for md5 transcripts")
  func transcriptChecksumOfWholeFile() throws {
    let t = try AdoptTests.radmindTree("adopt-checksum")
    defer { CLI.remove(t.dir) }
    // A comment and a blank line count in the file's digest too.
    try CLI.shell("printf '# by hand\\n\\n' | cat - '\(t.server)/transcript/base.T' > '\(t.dir)/b' && cat '\(t.dir)/b' > '\(t.server)/transcript/base.T'")
    #expect(try CLI.run(["adopt", t.server]).status == 0)
    for (name, digest) in [("base.T", "sha1"), ("apache-2019.T", "md5"), ("logs.T", "sha1")] {
      let meta = try String(contentsOfFile: t.server + "/.loadsmith/meta/" + name, encoding: .utf8)
      let data = try Data(contentsOf: URL(fileURLWithPath: t.server + "/transcript/" + name))
      let expected = try CLI.sh("python3 -c 'import base64, hashlib, sys; print(base64.b64encode(hashlib.new(sys.argv[1], open(sys.argv[2], \"rb\").read()).digest()).decode())' \(digest) '\(t.server)/transcript/\(name)'").out.trimmingCharacters(in: .whitespacesAndNewlines)
      #expect(!data.isEmpty && expected.count >= 24)
      #expect(meta.contains("transcript-checksum \(expected)\n"), "\(name): \(meta)")
    }
  }
}
