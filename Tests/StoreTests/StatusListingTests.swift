import Foundation
import StoreTestSupport
import Testing

/// `status` on a store of many products reads `transcript/` a fixed number of times. It used to
/// list it again for every product, tier and series it resolved: 1,000 adopted loadsets took
/// 13 s and 3,503 listings.
struct StatusListingTests {
  @Test("status lists transcript/ a fixed number of times, whatever the number of products")
  func listsTranscriptsOnce() throws {
    let strace = "/usr/bin/strace"
    guard FileManager.default.isExecutableFile(atPath: strace) else {
      Issue.record("strace is needed for this test (scripts/install-deps.sh installs it)")
      return
    }
    let s = Scratch("status-listing")
    let server = s.url("radmind")
    // A radmind server tree of 40 products, one build each (a directory line: no files to store).
    var script = "set -e\nmkdir -p '\(server)/transcript' '\(server)/file' '\(server)/command'\n"
    for k in 0 ..< 40 {
      let name = "bench-c\(k)-bin-rhel5-001.001.T"
      script += "printf 'd ./usr/p\(k) 0755 0 0\\n' > '\(server)/transcript/\(name)'\nmkdir '\(server)/file/\(name)'\n"
    }
    let made = try CLI.sh(script)
    #expect(made.status == 0, "\(made.err)")
    let adopted = try CLI.run(["adopt", server])
    #expect(adopted.status == 0, "\(adopted.err)")

    let log = s.url("strace.log")
    let traced = try Processes.run([strace, "-f", "-qq", "-o", log, "-e", "trace=openat", CLI.binary, "status", "--store", server])
    #expect(traced.status == 0, "\(traced.err)")
    #expect(traced.out.contains("bench-c39-bin-rhel5-001.001.T"))
    let opens = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
    let listings = opens.filter { $0.contains("\(server)/transcript\"") && $0.contains("O_DIRECTORY") }.count
    // The series report, the tier report, the foreign loadsets: three (was 140 here).
    #expect(listings >= 1 && listings <= 4, "transcript/ listed \(listings) times")
  }
}
