import Foundation
import StoreTestSupport
import Testing

/// Kills deploy, tier rollback and the DSL store's release and rollback (whose intents carry the
/// `Release-…`/`PROD-…` tags) at every step boundary: the next run recovers, `verify` passes,
/// and pins, pointers, command files and tags are all old or all new.
@Suite(.serialized) struct CrashDeployTests {
  static let bin = "was-apache-bin-rhel5"

  /// Pointers, command files, last-known-good, pins, and every tag entry of the DSL.
  static func state(store: String, dsl: String) throws -> String {
    var out = try TierPinTests.state(store)
    let tags = try CLI.sh("cd '\(dsl)' && find . -path '*/tags/*' -type l | sort | while read l; do echo \"$l -> $(readlink \"$l\")\"; done")
    return out + "\ntags:\n" + tags.out
  }

  /// A copy of the store and its DSL in `dir`, the copy's store recording the copy's DSL.
  static func copy(_ store: String, _ dsl: String, to dir: String) throws -> (store: String, dsl: String) {
    try CLI.shell("rm -rf '\(dir)' && mkdir -p '\(dir)' && cp -a '\(store)' '\(dir)/store' && cp -a '\(dsl)' '\(dir)/dsl'")
    try (dir + "/dsl\n").write(toFile: dir + "/store/.loadsmith/dsl", atomically: false, encoding: .utf8)
    return (dir + "/store", dir + "/dsl")
  }

  @Test("deploy, tier rollback, unpin, and the DSL store's release and rollback killed at every boundary")
  func killDeployAndTagsEverywhere() throws {
    let s = try CLI.scratch("crash-deploy")
    defer { CLI.remove(s.dir) }
    let dsl = s.dir + "/dsl"
    try CLI.ok(["init", s.store, "--dsl", dsl], store: s.store)
    try CLI.ok(["capture", s.staging, "--loadset", Self.bin, "--node", "/usr/local/apache", "--node", "/etc/httpd", "--version", "001.001"], store: s.store)
    try CLI.ok(["build", Self.bin, "001.001"], store: s.store)
    let steps: [[String]] = [
      ["release", Self.bin, "001.001"],
      ["capture", s.staging, "--loadset", Self.bin, "--node", "/usr/local/apache", "--node", "/etc/httpd", "--next-minor"],
      ["build", Self.bin, "001.002"],
      ["deploy", Self.bin, "001.001", "--tier", "TEST"],
      ["deploy", Self.bin, "001.002", "--tier", "TEST"],
      ["deploy", Self.bin, "001.002", "--tier", "STAGE"],
      ["release", Self.bin, "001.002"],
      ["rollback", Self.bin, "--tier", "TEST"],
      ["deploy", Self.bin, "--tier", "STAGE", "--unpin"],
      ["rollback", Self.bin],
    ]
    var killed = 0
    var tagBoundaries = 0
    for args in steps {
      defer {
        if args.first == "release" && args.last == "001.001" {
          try? "mod_ssl fixture module v2\n".write(toFile: s.staging + "/usr/local/apache/modules/mod_ssl.so", atomically: false, encoding: .utf8)
        }
      }
      guard ["release", "deploy", "rollback"].contains(args[0]) else { try CLI.ok(args, store: s.store); continue }
      if args == ["rollback", Self.bin] {
        // Today's PROD tag of 001.001 exists since its release: remove it so the rollback writes it.
        try CLI.shell("rm -rf '\(dsl)'/was/apache/bin/tags/PROD-001.001-*")
      }
      let old = try Self.state(store: s.store, dsl: dsl)
      let probe = try Self.copy(s.store, dsl, to: s.dir + "/probe")
      let trace = s.dir + "/trace"
      try? FileManager.default.removeItem(atPath: trace)
      let clean = try CLI.run(args, store: probe.store, env: ["LOADSMITH_FAULT_TRACE": trace])
      #expect(clean.status == 0, "\(args): \(clean.err)")
      let new = try Self.state(store: probe.store, dsl: probe.dsl).replacingOccurrences(of: s.dir + "/probe/", with: "")
      #expect(new != old.replacingOccurrences(of: s.dir + "/", with: ""), "\(args) changed nothing")
      let boundaries = (try? String(contentsOfFile: trace, encoding: .utf8))?.split(separator: "\n").map(String.init) ?? []
      #expect(boundaries.contains("intent.written#1"), "\(args): \(boundaries)")
      if args[0] != "deploy" && !(args.count > 2 && args[2] == "--tier") {
        #expect(boundaries.contains("tag#1"), "\(args) wrote no tag: \(boundaries)")
      }
      for boundary in boundaries {
        let victim = try Self.copy(s.store, dsl, to: s.dir + "/victim")
        let r = try CLI.run(args, store: victim.store, env: ["LOADSMITH_FAULT": boundary])
        #expect(r.status == 86, "\(args) at \(boundary): exit \(r.status) \(r.err)")
        killed += 1
        if boundary.hasPrefix("tag#") { tagBoundaries += 1 }
        if killed % 2 == 0 {
          let rec = try CLI.run(["recover"], store: victim.store)
          #expect(rec.status == 0, "\(args) killed at \(boundary): recover: \(rec.err)")
        }
        let v = try CLI.run(["verify"], store: victim.store)
        #expect(v.status == 0, "\(args) killed at \(boundary): verify: \(v.out)")
        let after = try Self.state(store: victim.store, dsl: victim.dsl).replacingOccurrences(of: s.dir + "/victim/", with: "")
        #expect(after == old.replacingOccurrences(of: s.dir + "/", with: "") || after == new,
                "\(args) killed at \(boundary): neither old nor new:\n\(after)")
        let log = try String(contentsOfFile: victim.store + "/.loadsmith/history.log", encoding: .utf8)
        let lines = log.split(separator: "\n")
        #expect(Set(lines).count == lines.count, "\(args) at \(boundary): duplicated history")
      }
      try CLI.ok(args, store: s.store)
    }
    #expect(killed > 30)
    #expect(tagBoundaries >= 4)
    #expect(try CLI.run(["verify"], store: s.store).status == 0)
  }
}
