import Foundation
import StoreTestSupport
import Testing

/// Kills each writing command at every step boundary (LOADSMITH_FAULT), then checks that the next
/// run recovers, `verify` passes, and the store shows the old state or the new one.
@Suite(.serialized) struct CrashTests {
  static let bin = "was-apache-bin-rhel5"

  /// The commands of the life cycle, in order; each runs on the store the previous ones left.
  static func steps(_ staging: String) -> [[String]] {
    [
      ["capture", staging, "--loadset", bin, "--node", "/usr/local/apache", "--node", "/etc/httpd"],
      ["capture", staging, "--loadset", "was-apache-neg-rhel5", "--node", "/var/log/httpd"],
      ["build", bin, "001.001"],
      ["release", bin, "001.001"],
      ["capture", staging, "--loadset", bin, "--node", "/usr/local/apache", "--node", "/etc/httpd", "--next-minor"],
      ["build", bin, "001.002"],
      ["release", bin, "001.002"],
      ["rollback", bin],
      ["capture", staging, "--loadset", "was-apache-cfg", "--node", "/etc/httpd/conf"],
      ["promote", "was-apache-cfg"],
      ["capture", staging, "--loadset", "was-apache-cfg", "--node", "/etc/httpd/conf"],
      ["promote", "was-apache-cfg"],
      ["rollback", "was-apache-cfg"],
      ["command", "write", "was-apache"],
    ]
  }

  @Test("every command killed at every step boundary: the next run recovers and verify passes")
  func killEverywhere() throws {
    let s = try CLI.scratch("crash")
    defer { CLI.remove(s.dir) }
    var killed = 0
    for args in Self.steps(s.staging) {
      let old = try CLI.signature(s.store)
      // Learn the boundaries on a copy, and the state after a clean run.
      let probe = s.dir + "/probe"
      try CLI.shell("rm -rf '\(probe)' && cp -a '\(s.store)' '\(probe)'")
      let trace = s.dir + "/trace"
      try? FileManager.default.removeItem(atPath: trace)
      let clean = try CLI.run(args, store: probe, env: ["LOADSMITH_FAULT_TRACE": trace])
      #expect(clean.status == 0, "\(args): \(clean.err)")
      let new = try CLI.signature(probe)
      let boundaries = (try? String(contentsOfFile: trace, encoding: .utf8))?.split(separator: "\n").map(String.init) ?? []
      #expect(boundaries.contains("intent.written#1"), "\(args) passed no intent boundary: \(boundaries)")
      for boundary in boundaries {
        let victim = s.dir + "/victim"
        try CLI.shell("rm -rf '\(victim)' && cp -a '\(s.store)' '\(victim)'")
        let r = try CLI.run(args, store: victim, env: ["LOADSMITH_FAULT": boundary])
        #expect(r.status == 86, "\(args) at \(boundary): exit \(r.status) \(r.err)")
        killed += 1
        // The next run (verify, a reader that finishes interrupted changes, or every other time
        // `loadsmith recover`) recovers.
        if killed % 2 == 0 {
          let rec = try CLI.run(["recover"], store: victim)
          #expect(rec.status == 0, "\(args) killed at \(boundary): recover: \(rec.err)")
        }
        let v = try CLI.run(["verify"], store: victim)
        #expect(v.status == 0, "\(args) killed at \(boundary): verify: \(v.out)")
        let after = try CLI.signature(victim)
        #expect(after == old || after == new, "\(args) killed at \(boundary): store is neither old nor new:\n\(after)")
        // And the history has no duplicate records of one intent.
        let log = try String(contentsOfFile: victim + "/.loadsmith/history.log", encoding: .utf8)
        let lines = log.split(separator: "\n")
        #expect(Set(lines).count == lines.count, "\(args) at \(boundary): duplicated history")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: victim + "/.loadsmith/tmp")
        #expect(leftovers.isEmpty, "\(args) at \(boundary): leftovers \(leftovers)")
      }
      // Move the real store forward, and change the staging tree between the two minor versions.
      try CLI.ok(args, store: s.store)
      if args.first == "release" && args.last == "001.001" {
        try "mod_ssl fixture module v2\n".write(toFile: s.staging + "/usr/local/apache/modules/mod_ssl.so", atomically: false, encoding: .utf8)
      }
      if args.first == "promote" {
        try "KeepAlive On\n".write(toFile: s.staging + "/etc/httpd/conf/httpd.conf", atomically: false, encoding: .utf8)
      }
    }
    #expect(killed > 60)
    #expect(try CLI.run(["verify"], store: s.store).status == 0)
  }

  @Test("recover killed at every step of an undo: the next recover completes it and the store is the old state")
  func killRecoverEverywhere() throws {
    let s = try CLI.scratch("crash-undo")
    defer { CLI.remove(s.dir) }
    try CLI.ok(["capture", s.staging, "--loadset", "was-apache-cfg", "--node", "/etc/httpd/conf"], store: s.store)
    let old = try CLI.signature(s.store)
    // A second cfg capture killed after its meta and files moved in, and its staged transcript lost:
    // a change that cannot be finished, so recover undoes it.
    let r = try CLI.run(["capture", s.staging, "--loadset", "was-apache-cfg", "--node", "/etc/httpd/conf"], store: s.store,
                        env: ["LOADSMITH_FAULT": "publish.file"])
    #expect(r.status == 86)
    for d in try FileManager.default.contentsOfDirectory(atPath: s.store + "/.loadsmith/tmp") {
      try? FileManager.default.removeItem(atPath: s.store + "/.loadsmith/tmp/\(d)/transcript")
    }
    let probe = s.dir + "/probe", trace = s.dir + "/trace"
    try CLI.shell("rm -rf '\(probe)' && cp -a '\(s.store)' '\(probe)'")
    #expect(try CLI.run(["recover"], store: probe, env: ["LOADSMITH_FAULT_TRACE": trace]).status == 0)
    #expect(try CLI.signature(probe) == old)
    let boundaries = (try? String(contentsOfFile: trace, encoding: .utf8))?.split(separator: "\n").map(String.init) ?? []
    #expect(boundaries.contains("undo.logged#1") && boundaries.count > 3, "\(boundaries)")
    for boundary in boundaries {
      let victim = s.dir + "/victim"
      try CLI.shell("rm -rf '\(victim)' && cp -a '\(s.store)' '\(victim)'")
      #expect(try CLI.run(["recover"], store: victim, env: ["LOADSMITH_FAULT": boundary]).status == 86, "\(boundary)")
      let again = try CLI.run(["recover"], store: victim)
      #expect(again.status == 0, "killed at \(boundary): \(again.err)")
      #expect(try CLI.run(["verify"], store: victim).status == 0, "killed at \(boundary)")
      #expect(try CLI.signature(victim) == old, "killed at \(boundary)")
      let log = try String(contentsOfFile: victim + "/.loadsmith/history.log", encoding: .utf8)
      #expect(log.components(separatedBy: "\tundo\t").count == 2, "killed at \(boundary): \(log)")
    }
  }
}
