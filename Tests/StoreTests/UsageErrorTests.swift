import StoreTestSupport
import Testing

/// Option mistakes are usage errors: exit 64, the message, and the subcommand's usage line, before any
/// store is opened.
@Suite struct UsageErrorTests {
  @Test("a malformed --precedence is refused in validation with build's usage line")
  func badPrecedence() throws {
    let s = try CLI.scratch("usage-precedence")
    defer { CLI.remove(s.dir) }
    let r = try CLI.run(["build", "was-apache-bin-rhel5", "001.001", "--precedence", "2,x"], store: s.store)
    #expect(r.status == 64)
    #expect(r.err.contains("--precedence takes node numbers such as 2,1"))
    #expect(r.err.contains("Usage: loadsmith build"))
  }
}
