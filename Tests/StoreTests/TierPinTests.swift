import Foundation
import StoreTestSupport
import Testing

/// Tier pins (`deploy ... --tier`, `--unpin`, `rollback ... --tier`), per-tier status and
/// `log --tier`, and every refusal leaving the store byte-identical.
@Suite(.serialized) struct TierPinTests {
  static let bin = "was-apache-bin-rhel5"
  static let neg = "was-apache-neg-rhel5"

  /// 001.001 released; 001.002 built (the newest, so DEV, TEST and STAGE follow it); cfg 0001
  /// promoted to stable, 0002 captured as dev.
  static func twoBuilds(_ label: String) throws -> (dir: String, staging: String, store: String) {
    let s = try CommandTests.released(label)
    try "changed\n".write(toFile: s.staging + "/usr/local/apache/htdocs/index.html", atomically: false, encoding: .utf8)
    try CLI.ok(["capture", s.staging, "--loadset", bin, "--node", "/usr/local/apache", "--node", "/etc/httpd", "--next-minor"], store: s.store)
    try CLI.ok(["build", bin, "001.002"], store: s.store)
    try CLI.ok(["capture", s.staging, "--loadset", "was-apache-cfg", "--node", "/etc/httpd/conf"], store: s.store)
    try CLI.ok(["promote", "was-apache-cfg"], store: s.store)
    try "KeepAlive On\n".write(toFile: s.staging + "/etc/httpd/conf/httpd.conf", atomically: false, encoding: .utf8)
    try CLI.ok(["capture", s.staging, "--loadset", "was-apache-cfg", "--node", "/etc/httpd/conf"], store: s.store)
    try CLI.ok(["command", "write", "was-apache"], store: s.store)
    return s
  }

  static func lines(_ store: String, _ tier: String) throws -> [String] {
    try String(contentsOfFile: store + "/command/was-apache-\(tier).K", encoding: .utf8)
      .split(separator: "\n").filter { !$0.hasPrefix("#") }.map(String.init)
  }

  static func pin(_ store: String, _ key: String) -> String? {
    try? String(contentsOfFile: store + "/.loadsmith/pins/" + key, encoding: .utf8)
  }

  @Test("deploy pins one tier to a build; the others follow the map; the history records from, to, user, host")
  func deployPinsATier() throws {
    let s = try Self.twoBuilds("deploy")
    defer { CLI.remove(s.dir) }
    #expect(try Self.lines(s.store, "TEST").first == "p \(Self.bin)-001.002.T")
    let out = try CLI.ok(["deploy", Self.bin, "001.001", "--tier", "TEST"], store: s.store)
    #expect(out.contains("deployed \(Self.bin) on TEST: (tier map) -> \(Self.bin)-001.001.T"), "\(out)")
    #expect(Self.pin(s.store, "\(Self.bin)@TEST") == "\(Self.bin)-001.001.T\n")
    #expect(try Self.lines(s.store, "TEST") == ["p \(Self.bin)-001.001.T", "p was-apache-cfg-0002.T", "n \(Self.neg)-001.001.T"])
    #expect(try Self.lines(s.store, "DEV").first == "p \(Self.bin)-001.002.T")
    #expect(try Self.lines(s.store, "STAGE").first == "p \(Self.bin)-001.002.T")
    #expect(try Self.lines(s.store, "PROD").first == "p \(Self.bin)-001.001.T")

    // A newer build moves the tiers that follow `newest`, not the pinned one.
    try "newer\n".write(toFile: s.staging + "/usr/local/apache/htdocs/index.html", atomically: false, encoding: .utf8)
    try CLI.ok(["capture", s.staging, "--loadset", Self.bin, "--node", "/usr/local/apache", "--node", "/etc/httpd", "--next-minor"], store: s.store)
    try CLI.ok(["build", Self.bin, "001.003"], store: s.store)
    try CLI.ok(["command", "write", "was-apache"], store: s.store)
    #expect(try Self.lines(s.store, "TEST").first == "p \(Self.bin)-001.001.T")
    #expect(try Self.lines(s.store, "DEV").first == "p \(Self.bin)-001.003.T")

    // The history record: event deploy, SERIES@TIER, from, to, time, user, host.
    let log = try String(contentsOfFile: s.store + "/.loadsmith/history.log", encoding: .utf8)
    let record = log.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
      .first { $0.count == 10 && $0[3] == "deploy" }
    #expect(record?[4] == "\(Self.bin)@TEST" && record?[5] == "-" && record?[6] == "\(Self.bin)-001.001.T", "\(log)")
    #expect(record?[0].hasPrefix("20") == true && record?[1].isEmpty == false && record?[2].isEmpty == false)
    #expect(try CLI.run(["verify"], store: s.store).status == 0)
    // Deploying what is pinned already changes nothing.
    let before = try CLI.fullSnapshot(s.store)
    let again = try CLI.ok(["deploy", Self.bin, "001.001", "--tier", "TEST"], store: s.store)
    #expect(again.contains("nothing changed"))
    #expect(try CLI.fullSnapshot(s.store) == before)
  }

  @Test("deploy a cfg snapshot by number, by dev/stable/stale (resolved once), then --unpin back to the map")
  func deployConfiguration() throws {
    let s = try Self.twoBuilds("deploy-cfg")
    defer { CLI.remove(s.dir) }
    #expect(try Self.lines(s.store, "STAGE").contains("p was-apache-cfg-0001.T"))
    try CLI.ok(["deploy", "was-apache-cfg", "dev", "--tier", "STAGE"], store: s.store)
    #expect(Self.pin(s.store, "was-apache-cfg@STAGE") == "was-apache-cfg-0002.T\n")
    #expect(try Self.lines(s.store, "STAGE").contains("p was-apache-cfg-0002.T"))
    // Promoting moves PROD's stable; the pinned STAGE stays.
    try CLI.ok(["promote", "was-apache-cfg"], store: s.store)
    try CLI.ok(["deploy", "was-apache-cfg", "0001", "--tier", "STAGE"], store: s.store)
    #expect(try Self.lines(s.store, "STAGE").contains("p was-apache-cfg-0001.T"))
    #expect(try Self.lines(s.store, "PROD").contains("p was-apache-cfg-0002.T"))
    let out = try CLI.ok(["deploy", "was-apache-cfg", "--tier", "STAGE", "--unpin"], store: s.store)
    #expect(out.contains("-> (tier map)"), "\(out)")
    #expect(Self.pin(s.store, "was-apache-cfg@STAGE") == nil)
    #expect(try Self.lines(s.store, "STAGE").contains("p was-apache-cfg-0002.T"))  // stable again
    #expect(try CLI.run(["verify"], store: s.store).status == 0)
  }

  @Test("rollback --tier returns to the previous pin, then to the map; deploys and rollbacks form a stack")
  func rollbackTier() throws {
    let s = try Self.twoBuilds("rollback-tier")
    defer { CLI.remove(s.dir) }
    let none = try CLI.run(["rollback", Self.bin, "--tier", "TEST"], store: s.store)
    #expect(none.status != 0 && none.err.contains("nothing to roll back to"), "\(none.err)")
    try CLI.ok(["deploy", Self.bin, "001.001", "--tier", "TEST"], store: s.store)
    try CLI.ok(["deploy", Self.bin, "001.002", "--tier", "TEST"], store: s.store)
    let out = try CLI.ok(["rollback", Self.bin, "--tier", "TEST"], store: s.store)
    #expect(out.contains("\(Self.bin)-001.002.T -> \(Self.bin)-001.001.T"), "\(out)")
    #expect(try Self.lines(s.store, "TEST").first == "p \(Self.bin)-001.001.T")
    try CLI.ok(["rollback", Self.bin, "--tier", "TEST"], store: s.store)
    #expect(Self.pin(s.store, "\(Self.bin)@TEST") == nil)
    #expect(try Self.lines(s.store, "TEST").first == "p \(Self.bin)-001.002.T")  // newest, by the map
    #expect(try CLI.run(["rollback", Self.bin, "--tier", "TEST"], store: s.store).status != 0)
    // PROD is not a pinned tier: rollback --tier PROD is refused with the command to use.
    let prod = try CLI.run(["rollback", Self.bin, "--tier", "PROD"], store: s.store)
    #expect(prod.status != 0 && prod.err.contains("loadsmith rollback \(Self.bin)"), "\(prod.err)")
    #expect(try CLI.run(["verify"], store: s.store).status == 0)
  }

  @Test("status shows, per product and tier, what the command file names and whether it is pinned, since when")
  func statusPerTier() throws {
    let s = try Self.twoBuilds("status-tier")
    defer { CLI.remove(s.dir) }
    try CLI.ok(["deploy", Self.bin, "001.001", "--tier", "TEST"], store: s.store)
    let text = try CLI.ok(["status"], store: s.store)
    #expect(text.contains("was-apache TEST  since 20"), "\(text)")
    #expect(text.contains("command/was-apache-TEST.K: p \(Self.bin)-001.001.T"), "\(text)")
    #expect(text.contains("\(Self.bin): pinned to \(Self.bin)-001.001.T since 20"), "\(text)")
    #expect(text.contains("\(Self.bin): follows the tier map (newest)"), "\(text)")
    #expect(text.contains("\(Self.bin): follows the tier map (current)"), "\(text)")
    let json = try CLI.ok(["status", "--json"], store: s.store)
    let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
    #expect(object?["series"] != nil)  // the rest of status is still there
    let tiers = object?["tiers"] as? [[String: Any]] ?? []
    let test = tiers.first { $0["product"] as? String == "was-apache" && $0["tier"] as? String == "TEST" }
    let series = (test?["series"] as? [[String: Any]])?.first { $0["series"] as? String == Self.bin }
    #expect(series?["pinned"] as? Bool == true && series?["target"] as? String == "\(Self.bin)-001.001.T")
    #expect((series?["since"] as? String)?.hasPrefix("20") == true)
    #expect((test?["since"] as? String) == (series?["since"] as? String))  // the deploy is the tier's latest change
    let files = test?["commandFiles"] as? [[String: Any]] ?? []
    #expect((files.first?["lines"] as? [String])?.first == "p \(Self.bin)-001.001.T")
    let dev = tiers.first { $0["tier"] as? String == "DEV" }
    let devBin = (dev?["series"] as? [[String: Any]])?.first { $0["series"] as? String == Self.bin }
    #expect(devBin?["pinned"] as? Bool == false && devBin?["follows"] as? String == "newest")
  }

  @Test("log --tier lists what changed a tier: its deploys, and the moves and builds it follows")
  func logPerTier() throws {
    let s = try Self.twoBuilds("log-tier")
    defer { CLI.remove(s.dir) }
    try CLI.ok(["deploy", Self.bin, "001.001", "--tier", "TEST"], store: s.store)
    try CLI.ok(["release", Self.bin, "001.002"], store: s.store)
    let test = try CLI.ok(["log", "--tier", "TEST"], store: s.store)
    #expect(test.contains("deploy  \(Self.bin)@TEST  - -> \(Self.bin)-001.001.T"), "\(test)")
    #expect(!test.contains("move  \(Self.bin)-current.T"), "\(test)")
    #expect(test.contains("publish  \(Self.bin)-001.002.T"), "\(test)")  // before the pin, TEST followed newest
    let prod = try CLI.ok(["log", "--tier", "PROD"], store: s.store)
    #expect(prod.contains("move  \(Self.bin)-current.T  \(Self.bin)-001.001.T -> \(Self.bin)-001.002.T"), "\(prod)")
    #expect(!prod.contains("deploy"), "\(prod)")
    #expect(!prod.contains("publish  \(Self.bin)-001.002.T"), "\(prod)")
    let json = try CLI.ok(["log", "--tier", "TEST", "--json"], store: s.store)
    #expect(json.contains("\"event\":\"deploy\""))
  }

  /// Runs `args`, expects a refusal naming `message`, and the store byte-identical.
  static func refused(_ args: [String], _ message: String, store: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let before = try CLI.fullSnapshot(store)
    let r = try CLI.run(args, store: store)
    #expect(r.status != 0, "\(args) was not refused: \(r.out)", sourceLocation: sourceLocation)
    #expect(r.err.contains(message), "\(args): \(r.err)", sourceLocation: sourceLocation)
    #expect(try CLI.fullSnapshot(store) == before, "\(args) changed the store", sourceLocation: sourceLocation)
  }

  @Test("refusals: not built, never captured, no snapshot, tier not in the map, PROD, damaged pin, tier map naming a tier twice")
  func refusals() throws {
    let s = try Self.twoBuilds("deploy-refusals")
    defer { CLI.remove(s.dir) }
    try "nodes only\n".write(toFile: s.staging + "/usr/local/apache/htdocs/index.html", atomically: false, encoding: .utf8)
    try CLI.ok(["capture", s.staging, "--loadset", Self.bin, "--node", "/usr/local/apache", "--node", "/etc/httpd", "--next-minor"], store: s.store)
    try CLI.ok(["deploy", Self.bin, "001.001", "--tier", "DEV"], store: s.store)
    try Self.refused(["deploy", Self.bin, "001.003", "--tier", "TEST"], "is not built", store: s.store)
    try Self.refused(["deploy", Self.bin, "009.001", "--tier", "TEST"], "was never captured and built", store: s.store)
    try Self.refused(["deploy", "was-apache-cfg", "0007", "--tier", "TEST"], "has no snapshot 0007", store: s.store)
    try Self.refused(["deploy", "was-apache-cfg", "stale", "--tier", "TEST"], "stale is not set", store: s.store)
    try Self.refused(["deploy", Self.bin, "001.001", "--tier", "QA"], "tier 'QA' is not in the tier map", store: s.store)
    try Self.refused(["deploy", Self.bin, "001.001", "--tier", "PROD"], "moved only by 'loadsmith release'", store: s.store)
    try Self.refused(["deploy", Self.bin, "--tier", "PROD", "--unpin"], "moved only by 'loadsmith release'", store: s.store)
    try Self.refused(["rollback", Self.bin, "--tier", "QA"], "tier 'QA' is not in the tier map", store: s.store)

    // A damaged pin record: refused by deploy, by any move that rewrites the product's command files.
    let pinPath = s.store + "/.loadsmith/pins/\(Self.bin)@DEV"
    try "\(Self.bin)-007.001.T\n".write(toFile: pinPath, atomically: false, encoding: .utf8)
    try Self.refused(["deploy", Self.bin, "001.002", "--tier", "DEV"], "damaged pin record", store: s.store)
    try Self.refused(["release", Self.bin, "001.002"], "damaged pin record", store: s.store)
    try Self.refused(["rollback", Self.bin, "--tier", "DEV"], "damaged pin record", store: s.store)
    try "garbage\nmore\n".write(toFile: pinPath, atomically: false, encoding: .utf8)
    try Self.refused(["deploy", Self.bin, "001.002", "--tier", "DEV"], "expected one line naming a loadset", store: s.store)
    try FileManager.default.removeItem(atPath: pinPath)
    try FileManager.default.createDirectory(atPath: pinPath, withIntermediateDirectories: false)
    try Self.refused(["deploy", Self.bin, "001.002", "--tier", "DEV"], "damaged pin record", store: s.store)
    try FileManager.default.removeItem(atPath: pinPath)
    // The pin file and the history disagree (the pin was edited by hand): rollback refuses.
    try "\(Self.bin)-001.002.T\n".write(toFile: pinPath, atomically: false, encoding: .utf8)
    try Self.refused(["rollback", Self.bin, "--tier", "DEV"], "damaged pin record", store: s.store)
    try "\(Self.bin)-001.001.T\n".write(toFile: pinPath, atomically: false, encoding: .utf8)

    // A tier map naming a tier twice.
    let map = try String(contentsOfFile: s.store + "/.loadsmith/tiers", encoding: .utf8)
    try (map + "TEST    current  stable  current\n").write(toFile: s.store + "/.loadsmith/tiers", atomically: false, encoding: .utf8)
    try Self.refused(["deploy", Self.bin, "001.002", "--tier", "STAGE"], "tier 'TEST' is named twice (first on line", store: s.store)
    try Self.refused(["command", "write", "was-apache"], "is named twice", store: s.store)
    try map.write(toFile: s.store + "/.loadsmith/tiers", atomically: false, encoding: .utf8)
    try CLI.ok(["deploy", Self.bin, "001.002", "--tier", "DEV"], store: s.store)
    #expect(try CLI.run(["verify"], store: s.store).status == 0)
  }

  @Test("recover undoes a deploy that cannot be finished: the pin goes back to what the intent recorded")
  func recoverUndoesDeploy() throws {
    let s = try Self.twoBuilds("deploy-undo")
    defer { CLI.remove(s.dir) }
    try CLI.ok(["deploy", Self.bin, "001.001", "--tier", "TEST"], store: s.store)
    let old = try Self.state(s.store)
    // Killed after its pin was written; then its target disappears: the change cannot finish.
    let r = try CLI.run(["deploy", Self.bin, "001.002", "--tier", "TEST"], store: s.store, env: ["LOADSMITH_FAULT": "pin"])
    #expect(r.status == 86)
    #expect(Self.pin(s.store, "\(Self.bin)@TEST") == "\(Self.bin)-001.002.T\n")
    try FileManager.default.moveItem(atPath: s.store + "/transcript/\(Self.bin)-001.002.T", toPath: s.dir + "/aside.T")
    let blocked = try CLI.run(["deploy", Self.bin, "001.001", "--tier", "DEV"], store: s.store)
    #expect(blocked.status != 0 && blocked.err.contains("a change is pending"), "\(blocked.err)")
    let rec = try CLI.ok(["recover"], store: s.store)
    #expect(rec.contains("pin \(Self.bin)@TEST back to \(Self.bin)-001.001.T"), "\(rec)")
    try FileManager.default.moveItem(atPath: s.dir + "/aside.T", toPath: s.store + "/transcript/\(Self.bin)-001.002.T")
    try CLI.ok(["command", "write", "was-apache"], store: s.store)
    #expect(try Self.state(s.store) == old)
  }

  /// Command files and pins (what clients and later writers see).
  static func state(_ store: String) throws -> String {
    var out = try CLI.signature(store)
    for name in (try? FileManager.default.contentsOfDirectory(atPath: store + "/.loadsmith/pins").sorted()) ?? [] {
      out += "\npin \(name): " + ((try? String(contentsOfFile: store + "/.loadsmith/pins/" + name, encoding: .utf8)) ?? "?")
    }
    return out
  }
}
