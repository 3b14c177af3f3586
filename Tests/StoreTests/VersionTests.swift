import RadmindTools
import StoreTestSupport
import Testing

/// One version constant: `loadsmith --version` and the radmind front ends' `-V` first line.
@Suite struct VersionTests {
  @Test("loadsmith --version prints the version and exits 0")
  func loadsmithVersionFlag() throws {
    let r = try CLI.run(["--version"])
    #expect(r.status == 0, "\(r.err)")
    #expect(r.out == loadsmithVersion + "\n")
  }

  @Test("lsort -V and fsdiff -V start with the same version line")
  func frontEndVersions() throws {
    let lsort = try CLI.run(["lsort", "-V"])
    #expect(lsort.status == 0)
    #expect(lsort.out == loadsmithVersion + "\n")
    let fsdiff = try CLI.run(["fsdiff", "-V"])
    #expect(fsdiff.out.hasPrefix(loadsmithVersion + "\nsha1\n"))
  }

  @Test("capture's help names --version once: its own option, not a second version flag")
  func captureHelpHasOneVersionOption() throws {
    let r = try CLI.run(["help", "capture"])
    #expect(r.status == 0, "\(r.err)")
    let mentions = r.out.split(separator: "\n").filter { $0.drop(while: { $0 == " " }).hasPrefix("--version") }
    #expect(mentions.count == 1, "\(r.out)")
  }
}
