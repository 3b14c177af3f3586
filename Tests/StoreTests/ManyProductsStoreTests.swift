import Foundation
import StoreTestSupport
import Testing

/// An adopted radmind server tree of many products, one build each: what a shop switching to
/// Loadsmith starts from.
struct ManyProductsStoreTests {
  /// Makes and adopts a server tree of `count` products (a directory line each: no files to store).
  func adoptedTree(_ s: Scratch, count: Int) throws -> String {
    let server = s.url("radmind")
    var script = "set -e\nmkdir -p '\(server)/transcript' '\(server)/file' '\(server)/command'\n"
    for k in 0 ..< count {
      let name = "bench-c\(k)-bin-rhel5-001.001.T"
      script += "printf 'd ./usr/p\(k) 0755 0 0\\n' > '\(server)/transcript/\(name)'\nmkdir '\(server)/file/\(name)'\n"
    }
    let made = try CLI.sh(script)
    #expect(made.status == 0, "\(made.err)")
    let adopted = try CLI.run(["adopt", server])
    #expect(adopted.status == 0, "\(adopted.err)")
    return server
  }

  /// `status` used to list `transcript/` again for every product, tier and series it resolved:
  /// 1,000 adopted loadsets took 13 s and 3,503 listings.
  @Test("status lists transcript/ a fixed number of times, whatever the number of products")
  func listsTranscriptsOnce() throws {
    let strace = "/usr/bin/strace"
    guard FileManager.default.isExecutableFile(atPath: strace) else {
      Issue.record("strace is needed for this test (scripts/install-deps.sh installs it)")
      return
    }
    let s = Scratch("status-listing")
    let server = try adoptedTree(s, count: 40)
    let log = s.url("strace.log")
    let traced = try Processes.run([strace, "-f", "-qq", "-o", log, "-e", "trace=openat", CLI.binary, "status", "--store", server])
    #expect(traced.status == 0, "\(traced.err)")
    #expect(traced.out.contains("bench-c39-bin-rhel5-001.001.T"))
    let opens = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
    let listings = opens.filter { $0.contains("\(server)/transcript\"") && $0.contains("O_DIRECTORY") }.count
    // The series report, the tier report, the foreign loadsets: three (was 283 here).
    #expect(listings >= 1 && listings <= 4, "transcript/ listed \(listings) times")
  }

  @Test("each adopt record carries its loadset's DIGEST:CHECKSUM, as publish and restore records do")
  func adoptRecordsChecksum() throws {
    let s = Scratch("adopt-checksum")
    let server = try adoptedTree(s, count: 3)
    let history = try String(contentsOfFile: server + "/.loadsmith/history.log", encoding: .utf8)
    let records = history.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false) }
      .filter { $0.count > 7 && $0[3] == "adopt" }
    #expect(records.count == 3)
    for r in records {
      let meta = try String(contentsOfFile: server + "/.loadsmith/meta/" + r[4], encoding: .utf8)
      let fields = Dictionary(meta.split(separator: "\n").map { line in
        let kv = line.split(separator: " ", maxSplits: 1)
        return (String(kv[0]), kv.count > 1 ? String(kv[1]) : "")
      }, uniquingKeysWith: { a, _ in a })
      let checksum = try #require(fields["transcript-checksum"])
      #expect(r[7] == "\(fields["digest"] ?? "?"):\(checksum)")
    }
  }
}
