import Foundation
import StoreTestSupport
import Testing
@testable import Store

/// Issue 10's wedges: no input leaves a pending intent that no writer can finish.
@Suite(.serialized) struct WedgeTests {
  static let bin = "was-apache-bin-rhel5"

  /// Captured and built 001.001 and 001.002 (a changed file), 001.001 then 001.002 released:
  /// current is 001.002, last-known-good 001.001.
  static func releasedTwice(_ label: String) throws -> (dir: String, staging: String, store: String) {
    let s = try CLI.scratch(label)
    for v in ["001.001", "001.002"] {
      try "v\(v)\n".write(toFile: s.staging + "/usr/local/apache/htdocs/index.html", atomically: false, encoding: .utf8)
      try CLI.ok(["capture", s.staging, "--loadset", bin, "--node", "/usr/local/apache", "--version", v], store: s.store)
      try CLI.ok(["build", bin, v], store: s.store)
      try CLI.ok(["release", bin, v], store: s.store)
    }
    return s
  }

  static func noIntent(_ store: String) -> Bool { !FileManager.default.fileExists(atPath: store + "/.loadsmith/intent") }
  static func staging(_ store: String) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: store + "/.loadsmith/tmp")
  }
  static func stagingEmpty(_ store: String) -> Bool { ((try? staging(store)) ?? ["?"]).isEmpty }
  static func read(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "(missing)" }

  // MARK: Item 1: names within NAME_MAX

  @Test("a series whose derived names would exceed NAME_MAX is refused when parsed; the longest allowed one works end to end")
  func nameLength() throws {
    let longest = String(repeating: "a", count: StoreNameLimits.maximumSeriesLength - "-apache-bin-rhel5".count) + "-apache-bin-rhel5"
    #expect(longest.utf8.count == StoreNameLimits.maximumSeriesLength)
    #expect((try? LoadsetSeries(parsing: longest)) != nil)
    #expect(throws: LoadsetNameError.self) { try LoadsetSeries(parsing: "a" + longest) }
    // prune's trash directory, the longest name the store makes, fits for the longest node name.
    let node = LoadsetName.node(try LoadsetSeries(parsing: longest), LoadsetVersion(major: 999, minor: 999), 999)
    #expect((Intent(operation: "x").id + "-removed-" + node.fileName).utf8.count <= 255)

    let s = try CLI.scratch("longname")
    defer { CLI.remove(s.dir) }
    let before = try CLI.signature(s.store)
    let tooLong = String(repeating: "a", count: 240) + "-apache-bin-rhel5"
    let r = try CLI.run(["capture", s.staging, "--loadset", tooLong, "--node", "/usr/local/apache"], store: s.store)
    #expect(r.status == 2 && r.err.contains("NAME_MAX"), "\(r.err)")
    #expect(Self.noIntent(s.store) && Self.stagingEmpty(s.store))
    #expect(try CLI.signature(s.store) == before)
    #expect(try CLI.run(["verify"], store: s.store).status == 0)
    // The longest allowed series: capture, build, release all fit.
    try CLI.ok(["capture", s.staging, "--loadset", longest, "--node", "/usr/local/apache", "--node", "/etc/httpd"], store: s.store)
    try CLI.ok(["build", longest, "001.001"], store: s.store)
    try CLI.ok(["release", longest, "001.001"], store: s.store)
    #expect(try CLI.run(["verify"], store: s.store).status == 0)
  }

  // MARK: Item 2: names that are not UTF-8

  @Test("a non-UTF-8 file name in the staging of a crashed capture is removed; recovery completes")
  func nonUTF8Staging() throws {
    let s = try CLI.scratch("nonutf8")
    defer { CLI.remove(s.dir) }
    #expect(try CLI.sh("printf x > \"\(s.staging)/usr/local/apache/$(printf 'bad\\377name')\" && mkdir \"\(s.staging)/usr/local/apache/$(printf 'dir\\376')\" && printf y > \"\(s.staging)/usr/local/apache/$(printf 'dir\\376')/$(printf '\\375')\"").status == 0)
    let crashed = try CLI.run(["capture", s.staging, "--loadset", Self.bin, "--node", "/usr/local/apache"], store: s.store,
                              env: ["LOADSMITH_FAULT": "capture.staged"])
    #expect(crashed.status == FaultInjection.exitStatus)
    #expect(!Self.stagingEmpty(s.store))
    let v = try CLI.run(["verify"], store: s.store)
    #expect(v.status == 0, "\(v.err)\(v.out)")
    #expect(Self.stagingEmpty(s.store) && Self.noIntent(s.store))
    // And the capture itself works, names as bytes.
    try CLI.ok(["capture", s.staging, "--loadset", Self.bin, "--node", "/usr/local/apache"], store: s.store)
    #expect(try CLI.run(["verify"], store: s.store).status == 0)
  }

  // MARK: Item 3: the tier map is parsed before the intent is written

  @Test("a typo in .loadsmith/tiers: release refuses naming the file and line; nothing changes")
  func tierMapTypo() throws {
    let s = try CLI.scratch("tiers")
    defer { CLI.remove(s.dir) }
    for v in ["001.001", "001.002"] {
      try "v\(v)\n".write(toFile: s.staging + "/usr/local/apache/htdocs/index.html", atomically: false, encoding: .utf8)
      try CLI.ok(["capture", s.staging, "--loadset", Self.bin, "--node", "/usr/local/apache", "--version", v], store: s.store)
      try CLI.ok(["build", Self.bin, v], store: s.store)
    }
    try CLI.ok(["release", Self.bin, "001.001"], store: s.store)
    let tiers = s.store + "/.loadsmith/tiers"
    try (Self.read(tiers).replacingOccurrences(of: "PROD    current  stable  current", with: "PROD bogus stable current")).write(toFile: tiers, atomically: false, encoding: .utf8)
    let before = try CLI.signature(s.store)
    let r = try CLI.run(["release", Self.bin, "001.002"], store: s.store)
    #expect(r.status == 2, "\(r.err)")
    #expect(r.err.contains(".loadsmith/tiers: line 8: 'bogus'"), "\(r.err)")
    #expect(Self.noIntent(s.store))
    #expect(try CLI.signature(s.store) == before)
    let w = try CLI.run(["command", "write", "was-apache"], store: s.store)
    #expect(w.status == 2 && w.err.contains("line 8"), "\(w.err)")
    #expect(try CLI.signature(s.store) == before)
  }

  // MARK: Item 5: pointer targets and last-known-good

  @Test("rollback refuses an lkg outside the store, of another series, a cfg snapshot or a missing build")
  func lastKnownGoodChecked() throws {
    let s = try Self.releasedTwice("lkg")
    defer { CLI.remove(s.dir) }
    try CLI.ok(["capture", s.staging, "--loadset", "was-apache-cfg", "--node", "/etc/httpd"], store: s.store)
    try CLI.ok(["capture", s.staging, "--loadset", "was-apache-bin-rhel6", "--node", "/usr/local/apache"], store: s.store)
    try CLI.ok(["build", "was-apache-bin-rhel6", "001.001"], store: s.store)
    let lkg = s.store + "/.loadsmith/lkg/\(Self.bin)"
    for value in ["../../../../etc/passwd", "was-apache-cfg-0001.T", "was-apache-bin-rhel6-001.001.T",
                  "\(Self.bin)-001.009.T", "\(Self.bin)-001.001-node1.T", "\(Self.bin)-current.T"] {
      try (value + "\n").write(toFile: lkg, atomically: false, encoding: .utf8)
      let before = try CLI.signature(s.store)
      let r = try CLI.run(["rollback", Self.bin], store: s.store)
      #expect(r.status == 2, "\(value): \(r.out)")
      #expect(r.err.contains(".loadsmith/lkg/\(Self.bin)") && r.err.contains("nothing changed"), "\(value): \(r.err)")
      #expect(try CLI.signature(s.store) == before, "\(value)")
      #expect(Self.noIntent(s.store))
    }
    try "\(Self.bin)-001.001.T\n".write(toFile: lkg, atomically: false, encoding: .utf8)
    try CLI.ok(["rollback", Self.bin], store: s.store)
    #expect(try FileManager.default.destinationOfSymbolicLink(atPath: s.store + "/transcript/\(Self.bin)-current.T") == "\(Self.bin)-001.001.T")
  }

  @Test("a dangling current is not recorded as last-known-good by release; a warning says so")
  func danglingCurrent() throws {
    let s = try Self.releasedTwice("dangling")
    defer { CLI.remove(s.dir) }
    for dir in ["transcript", "file"] {
      let p = s.store + "/\(dir)/\(Self.bin)-current.T"
      try FileManager.default.removeItem(atPath: p)
      try FileManager.default.createSymbolicLink(atPath: p, withDestinationPath: "\(Self.bin)-009.009.T")
    }
    let r = try CLI.run(["release", Self.bin, "001.001"], store: s.store)
    #expect(r.status == 0, "\(r.err)")
    #expect(r.err.contains("warning") && r.err.contains("not recorded as last-known-good"), "\(r.err)")
    #expect(Self.read(s.store + "/.loadsmith/lkg/\(Self.bin)") == "\(Self.bin)-001.001.T\n")
    #expect(try CLI.run(["verify"], store: s.store).status == 0)
  }

  @Test("a hand-edited cfg pointer is not followed by promote or rollback, nor written into a command file")
  func cfgPointerChecked() throws {
    let s = try CLI.scratch("cfgptr")
    defer { CLI.remove(s.dir) }
    try CLI.ok(["capture", s.staging, "--loadset", "was-apache-cfg", "--node", "/etc/httpd"], store: s.store)
    for dir in ["transcript", "file"] {
      let p = s.store + "/\(dir)/was-apache-cfg-dev.T"
      try FileManager.default.removeItem(atPath: p)
      try FileManager.default.createSymbolicLink(atPath: p, withDestinationPath: "../../../../etc/passwd")
    }
    let before = try CLI.signature(s.store)
    let r = try CLI.run(["promote", "was-apache-cfg"], store: s.store)
    #expect(r.status == 2 && r.err.contains("was-apache-cfg-dev.T points at") && r.err.contains("nothing changed"), "\(r.err)")
    #expect(try CLI.signature(s.store) == before)
    try CLI.ok(["capture", s.staging, "--loadset", "was-apache-bin-rhel5", "--node", "/usr/local/apache"], store: s.store)
    try CLI.ok(["build", Self.bin, "001.001"], store: s.store)
    try CLI.ok(["release", Self.bin, "001.001"], store: s.store)
    for k in try FileManager.default.contentsOfDirectory(atPath: s.store + "/command") {
      #expect(!Self.read(s.store + "/command/" + k).contains("passwd"), "\(k)")
    }
    // A new capture moves dev; a stable pointing outside is promoted over (with a warning), never kept as stale.
    try CLI.ok(["capture", s.staging, "--loadset", "was-apache-cfg", "--node", "/etc/httpd"], store: s.store)
    for dir in ["transcript", "file"] {
      try FileManager.default.createSymbolicLink(atPath: s.store + "/\(dir)/was-apache-cfg-stable.T", withDestinationPath: "../../../../etc/passwd")
    }
    let p = try CLI.run(["promote", "was-apache-cfg"], store: s.store)
    #expect(p.status == 0 && p.err.contains("warning") && p.err.contains("stale not moved"), "\(p.err)")
    #expect(!FileManager.default.fileExists(atPath: s.store + "/transcript/was-apache-cfg-stale.T"))
    #expect(try FileManager.default.destinationOfSymbolicLink(atPath: s.store + "/transcript/was-apache-cfg-stable.T") == "was-apache-cfg-0002.T")
    #expect(try CLI.run(["verify"], store: s.store).status == 0)
  }

  // MARK: What to build: loadsmith recover

  @Test("a pending change that cannot finish: writers and verify name it and suggest recover; recover undoes it")
  func recoverUndoes() throws {
    let s = try CLI.scratch("recover-undo")
    defer { CLI.remove(s.dir) }
    try CLI.ok(["capture", s.staging, "--loadset", "was-apache-cfg", "--node", "/etc/httpd"], store: s.store)
    let before = try CLI.signature(s.store)
    let crashed = try CLI.run(["capture", s.staging, "--loadset", "was-apache-cfg", "--node", "/etc/httpd"], store: s.store,
                              env: ["LOADSMITH_FAULT": "publish.meta"])
    #expect(crashed.status == FaultInjection.exitStatus)
    // The staged transcript is lost (a disk error, a person tidying up): the change cannot finish.
    for d in try Self.staging(s.store) { try? FileManager.default.removeItem(atPath: s.store + "/.loadsmith/tmp/\(d)/transcript") }
    for args in [["verify"], ["promote", "was-apache-cfg"]] {
      let r = try CLI.run(args, store: s.store)
      #expect(r.status == 2, "\(args)")
      #expect(r.err.contains("pending") && r.err.contains("'capture was-apache-cfg'") && r.err.contains("loadsmith recover")
              && r.err.contains("was-apache-cfg-0002.T"), "\(r.err)")
    }
    let r = try CLI.run(["recover"], store: s.store)
    #expect(r.status == 0, "\(r.err)")
    #expect(r.out.contains("undid 'capture was-apache-cfg'"), "\(r.out)")
    #expect(Self.noIntent(s.store) && Self.stagingEmpty(s.store))
    #expect(try CLI.signature(s.store) == before)
    #expect(!FileManager.default.fileExists(atPath: s.store + "/.loadsmith/meta/was-apache-cfg-0002.T"))
    #expect(try CLI.run(["verify"], store: s.store).status == 0)
    #expect(try CLI.ok(["log"], store: s.store).contains("undo"))
    // The next capture takes the number again.
    try CLI.ok(["capture", s.staging, "--loadset", "was-apache-cfg", "--node", "/etc/httpd"], store: s.store)
    #expect(try CLI.run(["verify"], store: s.store).status == 0)
  }

  @Test("recover finishes a pending change whose parts are all there, and says when nothing is pending")
  func recoverFinishes() throws {
    let s = try Self.releasedTwice("recover-finish")
    defer { CLI.remove(s.dir) }
    let crashed = try CLI.run(["release", Self.bin, "001.001"], store: s.store, env: ["LOADSMITH_FAULT": "pointer.file"])
    #expect(crashed.status == FaultInjection.exitStatus)
    let r = try CLI.run(["recover"], store: s.store)
    #expect(r.status == 0 && r.out.contains("finished 'release \(Self.bin) 001.001'"), "\(r.err)\(r.out)")
    #expect(try FileManager.default.destinationOfSymbolicLink(atPath: s.store + "/transcript/\(Self.bin)-current.T") == "\(Self.bin)-001.001.T")
    #expect(Self.read(s.store + "/.loadsmith/lkg/\(Self.bin)") == "\(Self.bin)-001.002.T\n")
    let again = try CLI.run(["recover"], store: s.store)
    #expect(again.status == 0 && again.out.contains("no change pending"), "\(again.out)")
    #expect(try CLI.run(["verify"], store: s.store).status == 0)
  }

  @Test("a step that fails after the intent is written: the writer and the next one say what is pending; recover finishes once the cause is gone")
  func stepFailsAfterIntent() throws {
    let s = try Self.releasedTwice("recover-eio")
    defer { CLI.remove(s.dir) }
    // A directory where a command file goes: rewriting it fails after the pointer moved.
    let blocker = s.store + "/command/was-apache-PROD.K"
    try FileManager.default.removeItem(atPath: blocker)
    try FileManager.default.createDirectory(atPath: blocker + "/x", withIntermediateDirectories: true)
    let r = try CLI.run(["release", Self.bin, "001.001"], store: s.store)
    #expect(r.status == 2 && r.err.contains("pending") && r.err.contains("'release \(Self.bin) 001.001'")
            && r.err.contains("was-apache-PROD.K") && r.err.contains("loadsmith recover"), "\(r.err)")
    let next = try CLI.run(["rollback", Self.bin], store: s.store)
    #expect(next.status == 2 && next.err.contains("pending") && next.err.contains("was-apache-PROD.K"), "\(next.err)")
    let stuck = try CLI.run(["recover"], store: s.store)
    #expect(stuck.status == 2 && stuck.err.contains("could not finish") && stuck.err.contains("run 'loadsmith recover' again"), "\(stuck.err)")
    try FileManager.default.removeItem(atPath: blocker)
    let done = try CLI.run(["recover"], store: s.store)
    #expect(done.status == 0 && done.out.contains("finished 'release \(Self.bin) 001.001'"), "\(done.err)\(done.out)")
    #expect(Self.noIntent(s.store))
    #expect(Self.read(blocker).contains("p \(Self.bin)-001.001.T"))
    #expect(try CLI.run(["verify"], store: s.store).status == 0)
  }

  @Test("a hand-made intent pointing outside the store is never applied; recover undoes it and leaves current alone")
  func recoverCraftedIntent() throws {
    let s = try Self.releasedTwice("recover-crafted")
    defer { CLI.remove(s.dir) }
    let before = try CLI.signature(s.store)
    try "loadsmith-intent 1\nid\t1-x\noperation\trelease evil\nlink\t\(Self.bin)-current.T\t../../../../etc/passwd\nlkg\t\(Self.bin)\t../x\ncommands\t../../etc-x\nend\n"
      .write(toFile: s.store + "/.loadsmith/intent", atomically: false, encoding: .utf8)
    let w = try CLI.run(["release", Self.bin, "001.001"], store: s.store)
    #expect(w.status == 2 && w.err.contains("'release evil'") && w.err.contains("cannot point at '../../../../etc/passwd'")
            && w.err.contains("not a product name"), "\(w.err)")
    let r = try CLI.run(["recover"], store: s.store)
    #expect(r.status == 0 && r.out.contains("undid 'release evil'") && r.out.contains("left as it is"), "\(r.err)\(r.out)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: s.dir).filter { $0.hasPrefix("etc-x") }.isEmpty)
    #expect(try CLI.signature(s.store) == before)
    #expect(try CLI.run(["verify"], store: s.store).status == 0)
  }

  @Test("a hand-made intent taking over a command file outside command/ is never applied; recover undoes it")
  func recoverCraftedTakeover() throws {
    let s = try Self.releasedTwice("recover-takeover")
    defer { CLI.remove(s.dir) }
    let before = try CLI.signature(s.store)
    try "loadsmith-intent 1\nid\t1-x\noperation\tcommand write evil\ntakeover\t../../x.K\nend\n"
      .write(toFile: s.store + "/.loadsmith/intent", atomically: false, encoding: .utf8)
    let w = try CLI.run(["release", Self.bin, "001.001"], store: s.store)
    #expect(w.status == 2 && w.err.contains("'command write evil'") && w.err.contains("'../../x.K' is not a command file name"), "\(w.err)")
    let r = try CLI.run(["recover"], store: s.store)
    #expect(r.status == 0 && r.out.contains("undid 'command write evil'"), "\(r.err)\(r.out)")
    #expect(try CLI.signature(s.store) == before)
    #expect(try CLI.run(["verify"], store: s.store).status == 0)
  }

  @Test("recover sets a damaged intent record aside, so writers are not wedged by it")
  func recoverDamaged() throws {
    let s = try CLI.scratch("recover-damaged")
    defer { CLI.remove(s.dir) }
    try "loadsmith-intent 1\nid\tx\noper".write(toFile: s.store + "/.loadsmith/intent", atomically: false, encoding: .utf8)
    let w = try CLI.run(["verify"], store: s.store)
    #expect(w.status == 2 && w.err.contains("loadsmith recover"), "\(w.err)")
    let r = try CLI.run(["recover"], store: s.store)
    #expect(r.status == 0 && r.out.contains("moved to") && r.out.contains("intent.damaged-"), "\(r.err)\(r.out)")
    #expect(Self.noIntent(s.store))
    #expect(try CLI.run(["verify"], store: s.store).status == 0)
  }

  // MARK: Smaller items

  @Test("a node argument that is not UTF-8 is reported as such, not as missing")
  func nonUTF8NodeArgument() throws {
    let s = try CLI.scratch("argbytes")
    defer { CLI.remove(s.dir) }
    #expect(try CLI.sh("mkdir \"\(s.staging)/usr/local/$(printf '\\377')\"").status == 0)
    let r = try CLI.sh("LOADSMITH_STORE='\(s.store)' '\(CLI.binary)' capture '\(s.staging)' --loadset \(Self.bin) --node \"/usr/local/$(printf '\\377')\"")
    #expect(r.status == 2)
    #expect(r.err.contains("not valid UTF-8") && r.err.contains("\\xff") && !r.err.contains("does not exist"), "\(r.err)")
  }

  @Test("a newline in a node path or the staging root is refused; no extra metadata lines")
  func newlineRefused() throws {
    let s = try CLI.scratch("newline")
    defer { CLI.remove(s.dir) }
    try FileManager.default.createDirectory(atPath: s.staging + "/usr/local/a\nsize 1", withIntermediateDirectories: true)
    let r = try CLI.run(["capture", s.staging, "--loadset", Self.bin, "--node", "/usr/local/a\nsize 1"], store: s.store)
    #expect(r.status == 2 && r.err.contains("newline") && r.err.contains("a\\nsize 1"), "\(r.err)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: s.store + "/.loadsmith/meta").isEmpty)
    try FileManager.default.moveItem(atPath: s.staging, toPath: s.dir + "/st\nage")
    let r2 = try CLI.run(["capture", s.dir + "/st\nage", "--loadset", Self.bin, "--node", "/usr/local/apache"], store: s.store)
    #expect(r2.status == 2 && r2.err.contains("staging root") && r2.err.contains("newline"), "\(r2.err)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: s.store + "/.loadsmith/meta").isEmpty)
  }

  @Test("a writer waiting for the lock says so, naming the holder, and --lock-timeout / $LOADSMITH_LOCK_TIMEOUT give up")
  func lockWait() throws {
    let s = try CLI.scratch("lockwait")
    defer { CLI.remove(s.dir) }
    let holder = Process()
    holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
    holder.arguments = [s.store + "/.loadsmith/lock", "sleep", "3"]
    try holder.run()
    defer { holder.terminate(); holder.waitUntilExit() }
    usleep(300_000)
    let start = Date()
    let r = try CLI.run(["command", "write", "was-apache", "--lock-timeout", "1.5"], store: s.store)
    let waited = Date().timeIntervalSince(start)
    #expect(r.status == 2)
    #expect(r.err.contains("waiting for the store lock (held by PID \(holder.processIdentifier)"), "\(r.err)")
    #expect(r.err.contains("gave up after waiting 1.5 s"), "\(r.err)")
    #expect(waited >= 1.4 && waited < 2.9, "\(waited)")
    // Without a limit it waits, says so once, and goes on when the holder is done.
    let r2 = try CLI.run(["command", "write", "was-apache"], store: s.store, env: ["LOADSMITH_LOCK_TIMEOUT": "20"])
    #expect(r2.err.components(separatedBy: "waiting for the store lock").count == 2, "\(r2.err)")
    #expect(r2.err.contains("no loadsets of that product"), "\(r2.err)")
  }
}

/// A directory in place of a pointer is refused before the intent, not left pending by a failed rename.
@Suite(.serialized) struct PointerObstacleTests {
  @Test("release over a directory at file/…-current.T: refused, nothing changed, no intent")
  func directoryInPlaceOfPointer() throws {
    let s = try CommandTests.released("pointer-dir")
    defer { CLI.remove(s.dir) }
    try CLI.ok(["capture", s.staging, "--loadset", CommandTests.bin, "--node", "/usr/local/apache", "--next-minor"], store: s.store)
    try CLI.ok(["build", CommandTests.bin, "001.002"], store: s.store)
    let pointer = s.store + "/file/\(CommandTests.bin)-current.T"
    try FileManager.default.removeItem(atPath: pointer)
    try FileManager.default.createDirectory(atPath: pointer + "/x", withIntermediateDirectories: true)
    let before = try CLI.fullSnapshot(s.store)
    let r = try CLI.run(["release", CommandTests.bin, "001.002"], store: s.store)
    #expect(r.status != 0)
    #expect(r.err.contains("is a directory, not a pointer symlink"), "\(r.err)")
    #expect(!FileManager.default.fileExists(atPath: s.store + "/.loadsmith/intent"))
    #expect(try CLI.fullSnapshot(s.store) == before)
  }
}
