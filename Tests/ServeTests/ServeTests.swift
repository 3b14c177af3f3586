#if canImport(Glibc)
import Glibc
#endif
import Foundation
import StoreTestSupport
import Testing

/// `loadsmith serve` over HTTP: every page and API document of a round-trip store, the JSON
/// matching the CLI's, the read-only rule, hostile names, and a damaged transcript.
@Suite(.serialized) struct ServeHTTPTests {
  static let bin = Fixture.bin

  /// One round-trip store for the suite's read-only tests (made once, removed at exit).
  static let shared: Result<(dir: String, store: String), any Error> = Result {
    let s = try Fixture.roundTrip("serve")
    atexit { if case .success(let s) = ServeHTTPTests.shared { CLI.remove(s.dir) } }
    return (s.dir, s.store)
  }

  /// The shared store, and a server over it for the test's duration (stopped by `body`'s end, so
  /// no server outlives the test run).
  static func withServer(_ body: (_ store: String, _ port: Int) throws -> Void) throws {
    let store = try shared.get().store
    let server = try ServerProcess(store: store)
    defer { server.stop() }
    try body(store, server.port)
  }

  @Test func overviewNamesEverySeriesPointerAndTier() throws {
    try Self.withServer { _, port in
      let r = try HTTP.get(port: port, "/")
      #expect(r.status == 200)
      #expect(r.headers["content-type"]?.hasPrefix("text/html") == true)
      for text in ["was-apache-bin-rhel5", "was-apache-neg-rhel5", "was-apache-cfg", "last-known-good",
                   "was-apache-PROD.K", "was-apache-DEV.K", "was-apache-cfg-0001.T", "<meta name=\"viewport\"", "@media print"] {
        #expect(r.body.contains(text), "overview lacks \(text)")
      }
      #expect(!r.body.contains("<script"), "pages need no JavaScript")
    }
  }

  @Test func statusAPIIsTheCLIsStatusJSON() throws {
    try Self.withServer { store, port in
      let r = try HTTP.get(port: port, "/api/v1/status")
      #expect(r.status == 200)
      #expect(r.headers["content-type"]?.hasPrefix("application/json") == true)
      #expect(r.body == (try CLI.ok(["status", "--json"], store: store)))
    }
  }

  @Test func seriesPageHasBuildsAndTimeline() throws {
    try Self.withServer { store, port in
      let r = try HTTP.get(port: port, "/series/\(Self.bin)")
      #expect(r.status == 200)
      for text in ["<svg", "001.001", "001.002", "was-apache-bin-rhel5-001.002-node1.T", "last-known-good", "Node loadsets"] {
        #expect(r.body.contains(text), "series page lacks \(text)")
      }
      // release 001.001, release 001.002, rollback: three periods of current.
      #expect(r.body.components(separatedBy: "<rect x=").count - 1 >= 3)
      let cfg = try HTTP.get(port: port, "/series/was-apache-cfg")
      #expect(cfg.status == 200 && cfg.body.contains(">stale<") && cfg.body.contains("Snapshots"))
      let api = try HTTP.get(port: port, "/api/v1/series/\(Self.bin)")
      #expect(api.status == 200)
      let cli = try CLI.ok(["status", Self.bin, "--json"], store: store)
      #expect(api.body.hasPrefix(String(cli.dropLast(2))), "series JSON starts with `status SERIES --json`'s fields")
      let json = try JSONSerialization.jsonObject(with: Data(api.body.utf8)) as! [String: Any]
      let timeline = json["timeline"] as! [[String: Any]]
      #expect(timeline.map { $0["target"] as! String } == ["was-apache-bin-rhel5-001.001.T", "was-apache-bin-rhel5-001.002.T", "was-apache-bin-rhel5-001.001.T"])
    }
  }

  /// Pages of 3 walked through `next` give the whole transcript, in order; a prefix keeps its paths.
  @Test func loadsetPagesCoverTheTranscriptExactly() throws {
    try Self.withServer { store, port in
      let transcript = try String(contentsOfFile: store + "/transcript/\(Self.bin)-001.002.T", encoding: .utf8)
      let paths = transcript.split(separator: "\n").map { String($0.split(whereSeparator: { $0 == " " || $0 == "\t" })[1]) }
      var seen: [String] = []
      var from: String? = ""
      var pages = 0
      while let f = from, pages < 50 {
        let r = try HTTP.get(port: port, "/api/v1/loadset/\(Self.bin)@001.002?limit=3&from=" + (f.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""))
        #expect(r.status == 200)
        let json = try JSONSerialization.jsonObject(with: Data(r.body.utf8)) as! [String: Any]
        let entries = json["entries"] as! [[String: Any]]
        #expect(entries.count <= 3)
        seen += entries.map { $0["path"] as! String }
        from = json["next"] as? String
        pages += 1
      }
      #expect(seen == paths)
      let under = try HTTP.get(port: port, "/api/v1/loadset/\(Self.bin)-001.002.T?prefix=%2Fusr%2Flocal%2Fapache%2Fmodules")
      let json = try JSONSerialization.jsonObject(with: Data(under.body.utf8)) as! [String: Any]
      let got = (json["entries"] as! [[String: Any]]).map { $0["path"] as! String }
      #expect(got == paths.filter { $0.hasPrefix("/usr/local/apache/modules") })
      #expect(!got.isEmpty)
      let html = try HTTP.get(port: port, "/loadset/\(Self.bin)-current?limit=2")
      #expect(html.status == 200)
      #expect(html.body.contains("names was-apache-bin-rhel5-001.001.T now"))
      #expect(html.body.contains("next page"))
      #expect(html.body.contains(paths[0]))
    }
  }

  @Test func diffMatchesTheCLI() throws {
    try Self.withServer { store, port in
      let a = "\(Self.bin)@001.001", b = "\(Self.bin)-001.002.T"
      let cli = try CLI.run(["diff", "--json", a, b], store: store)
      #expect(cli.status == 1)
      let lines = cli.out.split(separator: "\n").map(String.init)
      let api = try HTTP.get(port: port, "/api/v1/diff?a=\(a)&b=\(b)")
      #expect(api.status == 200)
      #expect(api.body.contains("\"changes\":[" + lines.dropLast().joined(separator: ",") + "]"))
      #expect(api.body.contains(String(lines.last!.dropFirst().dropLast()) + ",\"next\":null}"))
      let page = try HTTP.get(port: port, "/diff?a=\(a)&b=\(b)")
      #expect(page.status == 200)
      #expect(page.body.contains("/usr/local/apache/modules/mod_ssl.so"))
      #expect(page.body.contains("checksum: "))
      let cfg = try HTTP.get(port: port, "/diff?a=was-apache-cfg@0001&b=was-apache-cfg-dev")
      #expect(cfg.status == 200 && cfg.body.contains("/etc/httpd/conf/httpd.conf"))
      let form = try HTTP.get(port: port, "/diff")
      #expect(form.status == 200 && form.body.contains("<form"))
    }
  }

  @Test func historyIsNewestFirstFilteredAndPaginated() throws {
    try Self.withServer { store, port in
      let all = try String(contentsOfFile: store + "/.loadsmith/history.log", encoding: .utf8).split(separator: "\n")
      var times: [String] = []
      var before = ""
      for _ in 0..<100 {
        let r = try HTTP.get(port: port, "/api/v1/history?limit=4" + before)
        #expect(r.status == 200)
        let json = try JSONSerialization.jsonObject(with: Data(r.body.utf8)) as! [String: Any]
        let records = json["records"] as! [[String: Any]]
        times += records.map { "\($0["time"]!)\t\($0["event"]!)\t\($0["name"]!)" }
        guard let next = json["next"] as? Int else { break }
        before = "&before=\(next)"
      }
      #expect(times == all.reversed().map { $0.split(separator: "\t").enumerated().filter { [0, 3, 4].contains($0.offset) }.map { String($0.element) }.joined(separator: "\t") })
      let prod = try HTTP.get(port: port, "/api/v1/history?tier=PROD")
      let prodJSON = try JSONSerialization.jsonObject(with: Data(prod.body.utf8)) as! [String: Any]
      let names = Set((prodJSON["records"] as! [[String: Any]]).map { $0["name"] as! String })
      #expect(names == ["was-apache-bin-rhel5-current.T", "was-apache-neg-rhel5-current.T", "was-apache-cfg-stable.T", "was-apache"])
      let cfg = try HTTP.get(port: port, "/history?series=was-apache-cfg")
      #expect(cfg.status == 200 && cfg.body.contains("was-apache-cfg-stable.T") && !cfg.body.contains("was-apache-bin-rhel5-current.T"))
      let future = try HTTP.get(port: port, "/api/v1/history?since=2999-01-01")
      #expect(future.body == "{\"records\":[],\"next\":null}\n")
      let past = try HTTP.get(port: port, "/api/v1/history?until=2000-01-01")
      #expect(past.body == "{\"records\":[],\"next\":null}\n")
      #expect(try HTTP.get(port: port, "/history?since=yesterday").status == 400)
    }
  }

  @Test func dslPageListsArchivesAndTags() throws {
    try Self.withServer { store, port in
      let r = try HTTP.get(port: port, "/dsl")
      #expect(r.status == 200)
      for text in ["was-apache-bin-rhel5-001.001.tar.gz", "was-apache-cfg-0001.tar.gz", "Release-", "archive sha256", "<th>signature</th>", "unsigned", "history head"] {
        #expect(r.body.contains(text), "DSL page lacks \(text)")
      }
      let api = try HTTP.get(port: port, "/api/v1/dsl")
      let cli = try CLI.ok(["dsl", "list", "--json"], store: store)
      let archives = { (s: String) in ((try? JSONSerialization.jsonObject(with: Data(s.utf8))) as? [String: Any])?["archives"] as? [[String: Any]] }
      #expect(archives(api.body)?.count == archives(cli)?.count)
      #expect(api.body.hasPrefix(String(cli.prefix(while: { $0 != "]" }))))
    }
  }

  @Test func onlyGetAndHeadAreAnswered() throws {
    try Self.withServer { _, port in
      for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"] {
        for target in ["/", "/api/v1/status", "/loadset/\(Self.bin)-current", "/nope"] {
          let r = try HTTP.request(method, port: port, target)
          #expect(r.status == 405, "\(method) \(target)")
          #expect(r.headers["allow"] == "GET, HEAD")
        }
      }
      let api = try HTTP.request("POST", port: port, "/api/v1/history")
      #expect(api.body.contains("\"status\":405"))
      let head = try HTTP.request("HEAD", port: port, "/series/\(Self.bin)")
      #expect(head.status == 200 && head.body.isEmpty)
    }
  }

  @Test(arguments: [
    "/loadset/..", "/loadset/..%2F..%2F..%2Fetc%2Fpasswd", "/loadset/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/loadset/..%252F..%252Fetc",
    "/loadset/was-apache-bin-rhel5-001.001.T%00", "/loadset/was-apache-bin-rhel5@..%2F..%2F..", "/loadset/" + String(repeating: "a", count: 300),
    "/loadset/was-apache-bin-rhel5-001.001.T%2F..%2F..%2F.loadsmith%2Fhistory.log", "/loadset/history.log", "/loadset/..%5C..%5Cetc",
    "/api/v1/loadset/..", "/api/v1/loadset/%2Fetc%2Fpasswd", "/api/v1/diff?a=%2Fetc%2Fpasswd&b=%2Fetc%2Fpasswd",
    "/api/v1/diff?a=../../etc/passwd&b=was-apache-bin-rhel5-current", "/api/v1/diff?a=transcript/x.T&b=was-apache-bin-rhel5-current",
    "/series/..", "/series/..%2F..%2Fetc", "/api/v1/series/was-apache-bin-rhel5%00", "/api/v1/history?series=..%2F..",
    "/api/v1/history?tier=..%2F", "/api/v1/loadset/was-apache-bin-rhel5-current?limit=-1", "/api/v1/loadset/was-apache-bin-rhel5-current?limit=99999999999999999999",
    "/../../../etc/passwd", "/api/v1/../../.loadsmith/history.log", "/transcript/was-apache-bin-rhel5-001.001.T", "/file/was-apache-bin-rhel5-001.001.T/etc/httpd/conf/httpd.conf",
  ])
  func hostileNamesNeverReachAFile(_ target: String) throws {
    try Self.withServer { store, port in
      let r = try HTTP.get(port: port, target)
      #expect(r.status == 400 || r.status == 404, "\(target): \(r.status)")
      #expect(!r.body.contains("root:x:0:0"), "\(target) served /etc/passwd")
      #expect(!r.body.contains("\tpublish\t"), "\(target) served the history log")
      #expect(!r.body.contains("0644     0     0"), "\(target) served a transcript")
      _ = store
    }
  }

  @Test func wellFormedButAbsentNamesAre404InJSON() throws {
    try Self.withServer { _, port in
      for target in ["/api/v1/loadset/was-apache-bin-rhel5-009.009.T", "/api/v1/loadset/was-apache-bin-rhel5@009.009",
                     "/api/v1/series/was-apache-bin-aix7", "/api/v1/diff?a=was-apache-bin-rhel5@001.001&b=was-apache-bin-rhel5@001.009",
                     "/api/v1/loadset/was-tomcat-cfg-stable"] {
        let r = try HTTP.get(port: port, target)
        #expect(r.status == 404, "\(target)")
        let json = try JSONSerialization.jsonObject(with: Data(r.body.utf8)) as? [String: Any]
        let error = json?["error"] as? [String: Any]
        #expect(error?["status"] as? Int == 404 && (error?["message"] as? String)?.isEmpty == false, "\(target): \(r.body)")
      }
      let bad = try HTTP.get(port: port, "/api/v1/loadset/Was-Apache")
      #expect(bad.status == 400 && bad.body.contains("\"message\""))
    }
  }

  /// Serving never takes the writer lock (pages answer while a writer holds it) and never writes.
  @Test func readOnlyWhileAWriterHoldsTheLock() throws {
    try Self.withServer { store, port in
      let before = try CLI.fullSnapshot(store)
      let fd = open(store + "/.loadsmith/lock", O_RDWR)
      #expect(fd >= 0)
      #expect(flock(fd, LOCK_EX) == 0)
      defer { close(fd) }
      for target in ["/", "/series/\(Self.bin)", "/loadset/\(Self.bin)-current", "/history", "/dsl",
                     "/diff?a=\(Self.bin)@001.001&b=\(Self.bin)@001.002", "/api/v1/status"] {
        let r = try HTTP.request("GET", port: port, target, timeout: 10)
        #expect(r.status == 200, "\(target) while the lock is held")
      }
      #expect(try CLI.fullSnapshot(store) == before)
    }
  }

  /// A transcript damaged on disk: its page is an error naming the problem; the rest still works.
  @Test func damagedTranscriptShowsAnErrorForThatLoadsetOnly() throws {
    let s = try Fixture.roundTrip("serve-damaged")
    defer { CLI.remove(s.dir) }
    let path = s.store + "/transcript/\(Self.bin)-001.001-node1.T"
    chmod(path, 0o644)
    var text = try String(contentsOfFile: path, encoding: .utf8)
    // An unknown type letter (radmind's reader would stop there too).
    text = text.replacingOccurrences(of: "f /usr/local/apache/htdocs/index.html", with: "Q /usr/local/apache/htdocs/index.html")
    try text.write(toFile: path, atomically: false, encoding: .utf8)
    let server = try ServerProcess(store: s.store)
    defer { server.stop() }
    let page = try HTTP.get(port: server.port, "/loadset/\(Self.bin)-001.001-node1.T")
    #expect(page.status == 500)
    #expect(page.body.contains("damaged transcript") && page.body.contains("\(Self.bin)-001.001-node1.T"))
    let api = try HTTP.get(port: server.port, "/api/v1/loadset/\(Self.bin)-001.001-node1.T")
    #expect(api.status == 500 && api.body.contains("damaged transcript"))
    let diff = try HTTP.get(port: server.port, "/api/v1/diff?a=\(Self.bin)-001.001-node1.T&b=\(Self.bin)-001.002-node1.T")
    #expect(diff.status == 500 && diff.body.contains("damaged transcript") && !diff.body.contains(s.store))
    for target in ["/", "/series/\(Self.bin)", "/loadset/\(Self.bin)-001.002-node1.T", "/history", "/dsl"] {
      #expect(try HTTP.get(port: server.port, target).status == 200, "\(target) with one damaged transcript")
    }
  }

  /// A release killed part-way (after its intent record, before its end) is not shown as a
  /// settled state: the overview says a change is pending; once the next writer has finished it,
  /// the overview shows the release done and no warning.
  @Test func aChangeLeftPendingIsFlaggedThenShownFinished() throws {
    let s = try Fixture.roundTrip("serve-pending")
    defer { CLI.remove(s.dir) }
    let server = try ServerProcess(store: s.store)
    defer { server.stop() }
    #expect(!(try HTTP.get(port: server.port, "/").body.contains("A change is pending")))
    let crashed = try CLI.run(["release", Self.bin, "001.002"], store: s.store, env: ["LOADSMITH_FAULT": "lkg"])
    #expect(crashed.status == 86)
    let during = try HTTP.get(port: server.port, "/")
    #expect(during.status == 200 && during.body.contains("A change is pending"))
    try CLI.ok(["command", "write", "was-apache"], store: s.store)
    let after = try HTTP.get(port: server.port, "/api/v1/status")
    #expect(after.body == (try CLI.ok(["status", "--json"], store: s.store)))
    #expect(after.body.contains("\"was-apache-bin-rhel5-current.T\":\"was-apache-bin-rhel5-001.002.T\""))
    #expect(!(try HTTP.get(port: server.port, "/").body.contains("A change is pending")))
  }
}
