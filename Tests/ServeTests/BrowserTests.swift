import Foundation
import StoreTestSupport
import Testing

/// A real browser: headless Chromium (Debian's `chromium`, installed by scripts/install-deps.sh)
/// loads every page of a round-trip store, found by following the site's own links from the
/// overview, and the rendered DOM (`--dump-dom`) is checked. Without chromium this test fails
/// (it never passes silently).
@Suite struct ServeBrowserTests {
  static func chromium() -> String? {
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") + ["/usr/bin"] {
      let path = "\(dir)/chromium"
      if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return nil
  }

  static func dumpDOM(_ chromium: String, _ url: String, profile: String) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: chromium)
    p.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=" + profile, "--dump-dom", url]
    let out = Pipe()
    p.standardOutput = out
    p.standardError = FileHandle.nullDevice
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
  }

  /// Site links (`href="/..."`, not the JSON API) in a DOM.
  static func links(_ dom: String) -> [String] {
    var out: [String] = []
    var rest = Substring(dom)
    while let r = rest.range(of: "href=\"/") {
      let tail = rest[r.upperBound...]
      guard let end = tail.firstIndex(of: "\"") else { break }
      let link = "/" + tail[..<end].replacingOccurrences(of: "&amp;", with: "&")
      if !link.hasPrefix("/api/") { out.append(link) }
      rest = tail[end...]
    }
    return out
  }

  @Test func chromiumRendersEveryPageOfARoundTripStore() throws {
    guard let chromium = Self.chromium() else {
      Issue.record("chromium is not installed: this test needs Debian's chromium (scripts/install-deps.sh installs it)")
      return
    }
    let store = try ServeHTTPTests.shared.get().store
    let server = try ServerProcess(store: store)
    defer { server.stop() }
    let profile = NSTemporaryDirectory() + "loadsmith-chromium-\(getpid())"
    defer { CLI.remove(profile) }
    let base = "http://127.0.0.1:\(server.port)"
    var queue = ["/"], seen: Set<String> = ["/"], doms: [String: String] = [:]
    while !queue.isEmpty && doms.count < 60 {
      let path = queue.removeFirst()
      let dom = try Self.dumpDOM(chromium, base + path, profile: profile)
      doms[path] = dom
      #expect(dom.contains("<main>"), "\(path): nothing rendered")
      #expect(!dom.contains("<h1>404") && !dom.contains("<h1>500") && !dom.contains("<h1>400"), "\(path) is an error page")
      for link in Self.links(dom) where !seen.contains(link) {
        seen.insert(link)
        queue.append(link)
      }
    }
    // The pages a person would look at, each with what it must show.
    let expected: [String: [String]] = [
      "/": ["Store overview", "was-apache-bin-rhel5", "was-apache-cfg", "was-apache-PROD.K", "last-known-good"],
      "/series/was-apache-bin-rhel5": ["Timeline", "<svg", "001.002", "Node loadsets", "was-apache-bin-rhel5-001.001-node2.T"],
      "/series/was-apache-cfg": ["Snapshots", "<svg", "was-apache-cfg-0002.T"],
      "/loadset/was-apache-bin-rhel5-001.002.T": ["/usr/local/apache/modules/mod_ssl.so", "path prefix", "checksum / target"],
      "/history": ["History", "was-apache-bin-rhel5-current.T", "move", "publish"],
      "/dsl": ["DSL", "was-apache-bin-rhel5-001.001.tar.gz", "Release-"],
      "/diff": ["<form", "Compare"],
    ]
    for (path, texts) in expected {
      guard let dom = doms[path] else { Issue.record("\(path) was not reached from the overview"); continue }
      for text in texts { #expect(dom.contains(text), "\(path) lacks \(text)") }
    }
    let diffs = doms.filter { $0.key.hasPrefix("/diff?") }
    #expect(!diffs.isEmpty, "no diff page linked")
    #expect(diffs.values.contains { $0.contains("mod_ssl.so") && $0.contains("checksum: ") })
    #expect(doms.keys.filter { $0.hasPrefix("/loadset/") }.count >= 10, "every loadset page is reached: \(doms.keys.sorted())")
  }
}
