import Foundation
import StoreTestSupport
import Testing

/// Warnings reach standard error from every command that changes the store, as they happen:
/// none is left on the store for a later call to find.
@Suite struct WarningTests {
  @Test("a build that skips a hand-written command file says so (it was silently dropped before)")
  func buildWarnsAboutHandWrittenCommandFile() throws {
    let s = try CommandTests.released("warn-build")
    defer { CLI.remove(s.dir) }
    let kfile = s.store + "/command/was-apache-PROD.K"
    let hand = "# kept by hand\np \(CommandTests.bin)-001.001.T\n"
    try Data(hand.utf8).write(to: URL(fileURLWithPath: kfile))
    try CLI.ok(["capture", s.staging, "--loadset", CommandTests.bin, "--node", "/usr/local/apache", "--version", "001.002"], store: s.store)
    let b = try CLI.run(["build", CommandTests.bin, "001.002"], store: s.store)
    #expect(b.status == 0, "\(b.err)")
    #expect(b.err.contains("loadsmith: warning: command/was-apache-PROD.K was not written by loadsmith: left as it is"), "\(b.err)")
    #expect(try String(contentsOfFile: kfile, encoding: .utf8) == hand)
  }
}

/// `command write --force` records its takeover in the intent, so a crash after the intent is
/// written still ends with the command file taken over.
@Suite struct CommandTakeoverTests {
  @Test("a --force takeover killed after its intent is written is finished by the next run")
  func takeoverSurvivesCrash() throws {
    let s = try CommandTests.released("takeover-crash")
    defer { CLI.remove(s.dir) }
    let kfile = s.store + "/command/was-apache-PROD.K"
    try Data("# kept by hand\np \(CommandTests.bin)-001.001.T\n".utf8).write(to: URL(fileURLWithPath: kfile))
    let killed = try CLI.run(["command", "write", "was-apache", "--force"], store: s.store, env: ["LOADSMITH_FAULT": "intent.written"])
    #expect(killed.status == 86, "\(killed.err)")
    let recovered = try CLI.run(["recover"], store: s.store)
    #expect(recovered.status == 0, "\(recovered.err)\(recovered.out)")
    let text = try String(contentsOfFile: kfile, encoding: .utf8)
    #expect(text.contains("written by loadsmith") && text.contains("p \(CommandTests.bin)-001.001.T"), "\(text)")
    #expect(!recovered.err.contains("was not written by loadsmith"), "\(recovered.err)")
  }
}
