#if canImport(Glibc)
import Glibc
#endif
import StoreTestSupport
import Testing
@testable import Loadsets

/// A radmind-like tree: transcript/{high,low}.T and file/{high,low}.T/..., radmind dir = root.
func makeStore(_ s: Scratch) {
  s.mkdir("radmind")
  s.write("transcript/high.T", dline("./etc") + fline("./etc/a", size: 2, sum: "HA") + fline("./etc/new", size: 3, sum: "HN"))
  s.write("transcript/low.T", dline("./etc") + fline("./etc/a", size: 1, sum: "LA") + fline("./etc/b", size: 4, sum: "LB"))
  s.write("file/high.T/etc/a", "ha")
  s.write("file/high.T/etc/new", "new")
  s.write("file/low.T/etc/a", "l")
  s.write("file/low.T/etc/b", "lowb")
}

let mergedText = dline("./etc") + fline("./etc/a", size: 2, sum: "HA") + fline("./etc/b", size: 4, sum: "LB")
  + fline("./etc/new", size: 3, sum: "HN")

func options(_ s: Scratch, _ inputs: [String], _ dest: String) -> LmergeOptions {
  var o = LmergeOptions()
  o.radmindDirectory = s.url("radmind")
  o.inputs = inputs.map { s.url("transcript/\($0)") }
  o.destination = s.url("transcript/\(dest)")
  return o
}

func merge(_ o: LmergeOptions) -> (failure: LmergeFailure?, out: String, err: String) {
  var out: [UInt8] = [], err: [UInt8] = []
  do {
    try Lmerge.run(o, out: { out += $0 }, err: { err += $0 })
    return (nil, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
  } catch {
    return (error, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
  }
}

/// Nothing temporary is left: no intent record, no `name.<pid>` transcript or directory.
func expectNoTemporaries(_ s: Scratch, sourceLocation: SourceLocation = #_sourceLocation) {
  for dir in ["transcript", "file"] {
    for e in s.entries(dir) where e.hasPrefix(".") || e.split(separator: ".").count > 2 {
      Issue.record("temporary left behind: \(dir)/\(e)", sourceLocation: sourceLocation)
    }
  }
}

struct LmergeTests {
  @Test("a merge links each file from the transcript that supplied its line")
  func links() {
    let s = Scratch()
    makeStore(s)
    let r = merge(options(s, ["high.T", "low.T"], "merged.T"))
    #expect(r.failure == nil)
    #expect(s.read("transcript/merged.T") == mergedText)
    #expect(s.read("file/merged.T/etc/a") == "ha" && s.links("file/merged.T/etc/a") == 2)
    #expect(s.read("file/merged.T/etc/b") == "lowb" && s.links("file/merged.T/etc/b") == 2)
    expectNoTemporaries(s)
  }

  @Test("an unsorted input stops the merge: message, exit 2, nothing created")
  func unsorted() {
    let s = Scratch()
    makeStore(s)
    s.write("transcript/low.T", dline("./etc") + fline("./etc/b", size: 4, sum: "LB") + fline("./etc/a", size: 1, sum: "LA"))
    let r = merge(options(s, ["high.T", "low.T"], "merged.T"))
    #expect(r.failure?.status == 2)
    #expect(r.failure.map { String(decoding: $0.message, as: UTF8.self) } == "low.T: line 3: bad sort order")
    #expect(!s.exists("transcript/merged.T") && !s.exists("file/merged.T"))
    expectNoTemporaries(s)
  }

  @Test("a file missing from a file directory fails the link as radmind words it")
  func missingFile() {
    let s = Scratch()
    makeStore(s)
    _ = unlink(s.url("file/low.T/etc/b"))
    let r = merge(options(s, ["high.T", "low.T"], "merged.T"))
    let message = r.failure.map { String(decoding: $0.message, as: UTF8.self) } ?? ""
    #expect(message.hasPrefix("link \(s.url("transcript/../file/low.T"))/./etc/b -> \(s.url("transcript/../file/merged.T")).") && message.hasSuffix("/./etc/b: No such file or directory"))
    #expect(!s.exists("transcript/merged.T") && !s.exists("file/merged.T"))
    expectNoTemporaries(s)
  }

  @Test("an existing non-empty file directory is not replaced (radmind: Directory not empty)")
  func destinationNotEmpty() {
    let s = Scratch()
    makeStore(s)
    s.write("transcript/merged.T", "old\n")
    s.write("file/merged.T/keep", "k")
    let r = merge(options(s, ["high.T", "low.T"], "merged.T"))
    #expect(r.failure.map { String(decoding: $0.message, as: UTF8.self) } == s.url("transcript/../file/merged.T") + ": Directory not empty")
    #expect(s.read("transcript/merged.T") == "old\n" && s.read("file/merged.T/keep") == "k")
    expectNoTemporaries(s)
  }

  @Test("an existing transcript with an empty file directory is replaced by exchange")
  func replaceExisting() {
    let s = Scratch()
    makeStore(s)
    s.write("transcript/merged.T", "old\n")
    s.mkdir("file/merged.T")
    let r = merge(options(s, ["high.T", "low.T"], "merged.T"))
    #expect(r.failure == nil)
    #expect(s.read("transcript/merged.T") == mergedText)
    #expect(s.listing("file/merged.T") == ["etc/", "etc/a", "etc/b", "etc/new"])
    expectNoTemporaries(s)
  }

  @Test("lines that cannot be parsed stop the merge")
  func badLines() {
    let s = Scratch()
    makeStore(s)
    s.write("transcript/low.T", dline("./etc") + "f\n")
    var r = merge(options(s, ["high.T", "low.T"], "merged.T"))
    #expect(r.failure.map { String(decoding: $0.message, as: UTF8.self) } == "low.T: line 2: expected a type and a path, got 1 tokens")
    s.write("transcript/low.T", dline("./etc") + "d ./etc/z 0755 0 0")
    r = merge(options(s, ["high.T", "low.T"], "merged.T"))
    #expect(r.failure.map { String(decoding: $0.message, as: UTF8.self) } == "low.T: 2: d ./etc/z 0755 0 0: line too long")
    #expect(!s.exists("transcript/merged.T"))
    expectNoTemporaries(s)
  }

  @Test("-I writes the highest-precedence spelling once")
  func caseInsensitive() {
    let s = Scratch()
    makeStore(s)
    s.write("transcript/high.T", dline("./ETC"))
    var o = options(s, ["high.T", "low.T"], "merged.T")
    o.caseInsensitive = true
    o.transcriptOnly = true
    let r = merge(o)
    #expect(r.failure == nil)
    #expect(s.read("transcript/merged.T") == dline("./ETC") + fline("./etc/a", size: 1, sum: "LA") + fline("./etc/b", size: 4, sum: "LB"))
  }

  @Test("the match-flag quirk: an unmatched - line is dropped when a later input matched in the same scan")
  func matchQuirk() {
    let s = Scratch()
    makeStore(s)
    s.write("transcript/t0.T", "f /b 0644 0 0 1 1 X\n")
    s.write("transcript/t1.T", "f /b 0644 0 0 1 1 Y\n")
    s.write("transcript/t2.T", "- f /a 0644 0 0 1 1 Z\n")
    var o = options(s, ["t0.T", "t1.T", "t2.T"], "m.T")
    o.transcriptOnly = true
    #expect(merge(o).failure == nil)
    #expect(s.read("transcript/m.T") == "f /b 0644 0 0 1 1 X\n")
    o = options(s, ["t0.T", "t2.T"], "m2.T")
    o.transcriptOnly = true
    #expect(merge(o).failure == nil)
    #expect(s.read("transcript/m2.T") == "- f /a 0644 0 0 1 1 Z\nf /b 0644 0 0 1 1 X\n")
  }
}
