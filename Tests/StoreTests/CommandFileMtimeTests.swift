import Foundation
import StoreTestSupport
import Testing

/// radmind's ktcheck (without -c) takes a command file with the size and mtime second of its copy
/// as unchanged: every rewrite must differ from the file it replaces in one of the two.
@Suite(.serialized) struct CommandFileMtimeTests {
  @Test("two rewrites of a command file within one second, with equal sizes, differ in (size, mtime seconds)")
  func rewritesWithinOneSecond() throws {
    let s = try CommandTests.released("ktcheck")
    defer { CLI.remove(s.dir) }
    try CLI.ok(["capture", s.staging, "--loadset", CommandTests.bin, "--node", "/usr/local/apache", "--node", "/etc/httpd", "--version", "001.002"], store: s.store)
    try CLI.ok(["build", CommandTests.bin, "001.002"], store: s.store)
    let tiers = s.store + "/.loadsmith/tiers.was-apache"
    let k = s.store + "/command/was-apache-PROD.K"
    func rewrite(_ version: String) throws -> (size: Int, seconds: Int, text: String) {
      try "PROD \(version) none none\n".write(toFile: tiers, atomically: true, encoding: .utf8)
      try CLI.ok(["command", "write", "was-apache"], store: s.store)
      var st = stat()
      try #require(stat(k, &st) == 0)
      return (Int(st.st_size), st.st_mtim.tv_sec, try String(contentsOfFile: k, encoding: .utf8))
    }
    var sameSecond = 0
    for _ in 0..<40 where sameSecond < 3 {
      let start = time(nil)
      let first = try rewrite("001.001")
      let second = try rewrite("001.002")
      guard time(nil) == start else { continue }  // the pair straddled a second: try again
      sameSecond += 1
      #expect(first.text != second.text && first.size == second.size, "the two rewrites must have equal sizes")
      #expect(second.seconds > first.seconds, "rewrites in one second: \(first.size) bytes at \(first.seconds), then \(second.size) bytes at \(second.seconds)")
    }
    try #require(sameSecond == 3, "no pair of rewrites fell within one second")
  }
}
