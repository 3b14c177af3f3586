import Foundation
import StoreTestSupport
import Testing

/// `log` streams the history: filters by name and date, JSON lines.
@Suite(.serialized) struct LogTests {
  @Test("--json prints one object per record with the log's fields; --since filters by UTC time")
  func jsonAndSince() throws {
    let s = try CommandTests.released("log")
    defer { CLI.remove(s.dir) }
    let text = try CLI.ok(["log"], store: s.store).split(separator: "\n")
    let json = try CLI.ok(["log", "--json"], store: s.store).split(separator: "\n")
    #expect(json.count == text.count && json.count >= 6)
    for line in json {
      let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String]
      #expect(object?["event"] != nil && object?["link"]?.count == 64, "\(line)")
    }
    #expect(try CLI.ok(["log", "--since", "2000-01-01"], store: s.store).split(separator: "\n").count == text.count)
    #expect(try CLI.ok(["log", "--since", "2999-01-01T00:00"], store: s.store).isEmpty)
    let neg = try CLI.ok(["log", "--json", "was-apache-neg-rhel5"], store: s.store).split(separator: "\n")
    #expect(!neg.isEmpty && neg.count < json.count && neg.allSatisfy { $0.contains("was-apache-neg-rhel5") })
  }

  @Test("a malformed --since date is a usage error")
  func badSince() throws {
    let s = try CLI.scratch("log-bad")
    defer { CLI.remove(s.dir) }
    let r = try CLI.run(["log", "--since", "yesterday"], store: s.store)
    #expect(r.status == 64)
    #expect(r.err.contains("--since 'yesterday'"))
  }
}
