import StoreTestSupport
import Testing
@testable import Loadsets
import RadmindFormat

struct DiffTests {
  /// A has one of everything; B changes each field once, adds, removes and retypes.
  static let a = [
    "d ./d 0755 0 0",
    "b ./dev/blk 0640 0 0 7 0",
    "c ./dev/null 0666 0 0 1 3",
    "f ./f/checksum 0644 0 0 100 5 AAAA",
    "f ./f/gid 0644 0 0 100 5 AAAA",
    "f ./f/mode 0644 0 0 100 5 AAAA",
    "f ./f/mtime 0644 0 0 100 5 AAAA",
    "f ./f/same 0644 0 0 100 5 AAAA",
    "f ./f/size 0644 0 0 100 5 AAAA",
    "f ./f/uid 0644 0 0 100 5 AAAA",
    "h ./h \t./f/same",
    "l ./l 0777 0 0 old",
    "f ./removed 0644 0 0 100 9 RRRR",
    "f ./retyped 0644 0 0 100 4 TTTT",
  ].joined(separator: "\n") + "\n"
  static let b = [
    "# comment lines are skipped",
    "f ./added 0600 0 0 200 11 NNNN",
    "d ./d 0755 0 0",
    "b ./dev/blk 0640 0 0 7 1",
    "c ./dev/null 0666 0 0 1 3",
    "f ./f/checksum 0644 0 0 100 5 BBBB",
    "f ./f/gid 0644 0 9 100 5 AAAA",
    "f ./f/mode 0600 0 0 100 5 AAAA",
    "f ./f/mtime 0644 0 0 101 5 AAAA",
    "f   ./f/same   0644 0 0 100 5 AAAA",
    "f ./f/size 0644 0 0 100 6 AAAA",
    "f ./f/uid 0644 7 0 100 5 AAAA",
    "h ./h ./f/mode",
    "l ./l 0777 0 0 new",
    "d ./retyped 0755 0 0",
  ].joined(separator: "\n") + "\n"

  func run(_ ignoring: Set<DiffField> = []) throws -> (DiffSummary, [DiffChange]) {
    let s = Scratch()
    s.write("A.T", DiffTests.a)
    s.write("B.T", DiffTests.b)
    var changes: [DiffChange] = []
    let summary = try TranscriptDiff(ignoring: ignoring).run(a: s.url("A.T"), b: s.url("B.T")) { changes.append($0) }
    return (summary, changes)
  }

  @Test("every kind of change and every field is found once, whitespace-only differences are not")
  func kindsAndFields() throws {
    let (s, _) = try run()
    #expect(s.added == 1 && s.removed == 1 && s.typeChanged == 1)
    #expect(s.changed == 9)
    #expect(s.unchanged == 3)  // ./d, ./dev/null, ./f/same (spacing differs)
    for f in DiffField.allCases {
      #expect(s.fieldCounts[f] == (f == .target ? 2 : 1), "field \(f)")
    }
    #expect(s.bytesAdded == 11 + 5 + 6)   // added, new checksum file, new size file
    #expect(s.bytesRemoved == 9 + 4 + 5 + 5)  // removed, retyped file, old checksum and size files
    #expect(!s.isEqual)
  }

  @Test("ignored fields are not reported and can make a line equal")
  func ignore() throws {
    let (s, _) = try run([.mtime, .uid])
    #expect(s.fieldCounts[.mtime] == nil && s.fieldCounts[.uid] == nil)
    #expect(s.changed == 7)
    #expect(s.unchanged == 5)
  }

  @Test("--transcript prints fsdiff -A lines: + downloads, - removals with no checksum, plain updates")
  func transcriptForm() throws {
    let (_, changes) = try run()
    var out: [UInt8] = []
    for c in changes { DiffOutput.appendTranscript(c, to: &out) }
    let lines = String(decoding: out, as: UTF8.self).split(separator: "\n").map(String.init)
    #expect(lines.count == 12)
    #expect(lines.contains("+ f ./added                              \t0600     0     0       200      11 NNNN"))
    #expect(lines.contains("b ./dev/blk                            \t0640     0     0     7     1"))
    #expect(lines.contains("+ f ./f/checksum                         \t0644     0     0       100       5 BBBB"))
    #expect(lines.contains("f ./f/mode                             \t0600     0     0       100       5 AAAA"))
    // mtime alone with checksums on both sides: a status change, not a download
    #expect(lines.contains("f ./f/mtime                            \t0644     0     0       101       5 AAAA"))
    #expect(lines.contains("+ f ./f/size                             \t0644     0     0       100       6 AAAA"))
    #expect(lines.contains("h ./h                                  \t./f/mode"))
    #expect(lines.contains("l ./l                                  \t0777     0     0 new"))
    #expect(lines.contains("- f ./removed                            \t0644     0     0       100       9 -"))
    #expect(lines.contains("d ./retyped                            \t0755     0     0"))
    // and the result is in path order
    let paths = lines.map { $0.split(separator: " ").first { $0.hasPrefix("./") }! }
    #expect(paths == paths.sorted())
  }

  @Test("--json prints one object per change and a summary")
  func jsonForm() throws {
    let (s, changes) = try run()
    var out: [UInt8] = []
    for c in changes { DiffOutput.appendJSON(c, to: &out) }
    DiffOutput.appendJSONSummary(s, to: &out)
    let lines = String(decoding: out, as: UTF8.self).split(separator: "\n").map(String.init)
    #expect(lines.count == changes.count + 1)
    #expect(lines.contains(#"{"change":"added","path":"./added","type":"f","mode":"0600","uid":0,"gid":0,"mtime":200,"size":11,"checksum":"NNNN"}"#))
    #expect(lines.contains(#"{"change":"type","path":"./retyped","from":"f","to":"d"}"#))
    #expect(lines.contains(#"{"change":"changed","path":"./dev/blk","type":"b","fields":{"device":{"from":[7,0],"to":[7,1]}}}"#))
    #expect(lines.contains(#"{"change":"changed","path":"./f/mode","type":"f","fields":{"mode":{"from":"0644","to":"0600"}}}"#))
    #expect(lines.last!.hasPrefix(#"{"summary":{"added":1,"removed":1,"type":1,"changed":9,"#))
  }

  @Test("equal transcripts give an empty diff")
  func equal() throws {
    let s = Scratch()
    s.write("A.T", DiffTests.a)
    let summary = try TranscriptDiff().run(a: s.url("A.T"), b: s.url("A.T")) { _ in Issue.record("no change expected") }
    #expect(summary.isEqual)
    #expect(DiffOutput.summaryText(summary).hasPrefix("transcripts are equal\n"))
  }

  @Test("an unsorted input or a bad line is an error naming file and line")
  func badInput() throws {
    let s = Scratch()
    s.write("A.T", DiffTests.a)
    s.write("U.T", "d ./b 0755 0 0\nd ./a 0755 0 0\n")
    s.write("Q.T", "d ./a 0755 0 0\nq ./b 0 0 0\n")
    #expect(throws: TranscriptDiffError.self) { try TranscriptDiff().run(a: s.url("A.T"), b: s.url("U.T")) { _ in } }
    do {
      _ = try TranscriptDiff().run(a: s.url("U.T"), b: s.url("A.T")) { _ in }
    } catch let e as TranscriptDiffError {
      #expect(e.message == s.url("U.T") + ": line 2: bad sort order")
    }
    do {
      _ = try TranscriptDiff().run(a: s.url("Q.T"), b: s.url("A.T")) { _ in }
    } catch let e as TranscriptDiffError {
      #expect(e.message == s.url("Q.T") + ": line 2: unknown file type 'q'")
    }
  }
}
