import Foundation
import StoreTestSupport
import Testing
import RadmindFormat
@testable import Loadsets

/// What one merge gave: the failure (message, status), the messages, the transcript's bytes.
private struct MergeResult: Equatable {
  var failure: String?
  var status: Int32?
  var err: String
  var transcript: [UInt8]?
}

/// Merges `inputs` (under `s`'s transcript/) into a fresh destination, sequentially or in
/// parallel with tiny pieces (`step` bytes), and returns what it gave and the parallel outcome.
private func mergeBothWays(_ s: Scratch, _ inputs: [String], caseInsensitive: Bool = false, step: Int64 = 97)
  -> (sequential: MergeResult, parallel: MergeResult, outcome: String) {
  func one(_ mode: ParallelMergeSettings.Mode, _ dest: String, _ report: ParallelMergeReport) -> MergeResult {
    var o = options(s, inputs, dest)
    o.transcriptOnly = true
    o.caseInsensitive = caseInsensitive
    o.parallel.mode = mode
    o.parallel.step = step
    o.parallel.report = report
    let r = merge(o)
    let bytes = FileManager.default.contents(atPath: s.url("transcript/\(dest)")).map { [UInt8]($0) }
    _ = try? FileManager.default.removeItem(atPath: s.url("transcript/\(dest)"))
    return MergeResult(failure: r.failure.map { String(decoding: $0.message, as: UTF8.self) }, status: r.failure?.status,
                       err: r.err, transcript: bytes)
  }
  let report = ParallelMergeReport()
  let sequential = one(.never, "seq.T", ParallelMergeReport())
  let parallel = one(.always, "par.T", report)
  return (sequential, parallel, report.outcome.withLock { $0 } ?? "not tried")
}

/// Random sorted transcripts over one pool of paths: shared paths, escaped bytes (space as `\b`,
/// tab, backslash), upper and lower case, comment and blank lines.
private func randomInputs(_ s: Scratch, count: Int, seed: UInt64, caseInsensitive: Bool) -> [String] {
  var random = SplitMix64(seed: seed)
  let order = PathOrder(caseInsensitive: caseInsensitive)
  let parts: [[UInt8]] = ["a", "B", "b", "etc", "Etc", "x y", "t\tab", "back\\slash", "z-", "z.", "z0", "zz"].map { Array($0.utf8) }
  var pool: [[UInt8]] = []
  for _ in 0 ..< 400 {
    var path = Array(".".utf8)
    for _ in 0 ..< Int.random(in: 1 ... 4, using: &random) {
      path += [0x2F] + parts[Int.random(in: 0 ..< parts.count, using: &random)]
    }
    pool.append(path)
  }
  var names: [String] = []
  for t in 0 ..< count {
    var chosen = pool.filter { _ in Int.random(in: 0 ..< 3, using: &random) == 0 }
    chosen.sort { order.compare($0, $1) < 0 }
    var unique: [[UInt8]] = []
    for p in chosen where unique.last.map({ order.compare($0, p) != 0 }) ?? true { unique.append(p) }
    var text: [UInt8] = []
    for p in unique {
      switch Int.random(in: 0 ..< 20, using: &random) {
      case 0: text += Array("# a comment\n".utf8)
      case 1: text += [0x0A]
      case 2: text += Array("   \t \n".utf8)
      default: break
      }
      let type = Int.random(in: 0 ..< 3, using: &random) == 0 ? "d" : "f"
      text += Array("\(type) ".utf8) + PathCodec.encode(p) + Array(" 0644 0 0 1600000000 \(t) T\(t)sum\n".utf8)
    }
    let name = "r\(t).T"
    s.write("transcript/\(name)", text)
    names.append(name)
  }
  return names
}

struct ParallelMergeTests {
  @Test("random inputs merged in parallel give the sequential merge's bytes", arguments: [2, 3, 4])
  func randomInputsMatch(inputCount: Int) {
    for seed in UInt64(1) ... 12 {
      for caseInsensitive in [false, true] {
        let s = Scratch()
        s.mkdir("radmind")
        let inputs = randomInputs(s, count: inputCount, seed: seed * 31 + UInt64(inputCount), caseInsensitive: caseInsensitive)
        for step: Int64 in [53, 400, 1 << 20] {
          let r = mergeBothWays(s, inputs, caseInsensitive: caseInsensitive, step: step)
          #expect(r.sequential.failure == nil, "seed \(seed)")
          #expect((r.sequential.transcript?.count ?? 0) > 1000)
          #expect(r.parallel == r.sequential, "seed \(seed) -I \(caseInsensitive) step \(step)")
          #expect(r.outcome.hasPrefix("parallel"), "seed \(seed): \(r.outcome)")
        }
      }
    }
  }

  /// Sorted lines `/p000` ... of one input, with `prefix` before each path.
  private func lines(_ range: Range<Int>, prefix: String = "/p", tag: String) -> String {
    range.map { String(format: "f \(prefix)%03d 0644 0 0 1600000000 1 \(tag)\n", $0) }.joined()
  }

  @Test("a removal line anywhere makes the merge sequential (its fate depends on other inputs' lines)")
  func removalFallsBack() {
    let s = Scratch()
    s.mkdir("radmind")
    s.write("transcript/t0.T", lines(0 ..< 200, tag: "A"))
    s.write("transcript/t1.T", lines(0 ..< 150, tag: "B") + "- f /p151 0644 0 0 1 1 R\n" + "- f /p300 0644 0 0 1 1 R\n")
    // Met by a worker inside a piece (one piece), or already among the cut samples (t1 cut at byte 4810).
    for (step, why) in [(Int64(1 << 20), "a removal line"), (Int64(4810), "a removal line near a cut")] {
      let r = mergeBothWays(s, ["t0.T", "t1.T"], step: step)
      #expect(r.sequential.failure == nil)
      #expect(r.parallel == r.sequential)
      #expect(r.outcome == "sequential: \(s.url("transcript/t1.T")): \(why)")
      #expect(String(decoding: r.sequential.transcript ?? [], as: UTF8.self).hasSuffix("- f /p300 0644 0 0 1 1 R\n"))
    }
    // A removal line in a late piece stops the pieces being merged ahead of the writer.
    s.write("transcript/t2.T", lines(0 ..< 150, tag: "B") + "- f /p151 0644 0 0 1 1 R\n")
    let r = mergeBothWays(s, ["t0.T", "t2.T"], step: 250)
    #expect(r.parallel == r.sequential)
    #expect(r.outcome == "sequential: \(s.url("transcript/t2.T")): a removal line")
  }

  @Test("an input message in a piece makes the merge sequential, with radmind's message")
  func messagesFallBack() {
    let cases: [(String, String)] = [
      // out of order inside a piece
      (lines(0 ..< 100, tag: "B") + lines(50 ..< 60, prefix: "/q", tag: "B") + lines(40 ..< 45, prefix: "/q", tag: "B"),
       "t1.T: line 111: bad sort order"),
      // a line without a path
      (lines(0 ..< 100, tag: "B") + "f\n", "t1.T: line 101: expected a type and a path, got 1 tokens"),
      // the last line without its LF
      (lines(0 ..< 100, tag: "B") + "f /zz 0644 0 0 1 1 B", "t1.T: 101: f /zz 0644 0 0 1 1 B: line too long"),
      // a line longer than radmind's 4094 bytes
      (lines(0 ..< 100, tag: "B") + "f /zz 0644 0 0 1 1 " + String(repeating: "x", count: 4100) + "\n" + lines(0 ..< 9, prefix: "/zz/", tag: "B"),
       "t1.T: 101: f /zz 0644 0 0 1 1 " + String(repeating: "x", count: 4076) + ": line too long"),
    ]
    for (text, message) in cases {
      let s = Scratch()
      s.mkdir("radmind")
      s.write("transcript/t0.T", lines(0 ..< 200, tag: "A"))
      s.write("transcript/t1.T", text)
      let r = mergeBothWays(s, ["t0.T", "t1.T"])
      #expect(r.sequential.failure == message)
      #expect(r.sequential.status == 2)
      #expect(r.parallel == r.sequential)
      #expect(r.outcome.hasPrefix("sequential: "), "\(message): \(r.outcome)")
    }
  }

  @Test("an input out of order exactly at a cut makes the merge sequential")
  func orderAcrossCut() {
    let s = Scratch()
    s.mkdir("radmind")
    s.write("transcript/t0.T", lines(0 ..< 100, prefix: "/a", tag: "A"))
    // Lines 24 and 25 swapped; the cut is taken at the line after byte `step`, the swapped /b024.
    var t1 = (0 ..< 50).map { String(format: "f /b%03d 0644 0 0 1600000000 1 B\n", $0) }
    t1.swapAt(24, 25)
    s.write("transcript/t1.T", t1.joined())
    let step = Int64(t1[0].utf8.count * 24 + 1)
    let r = mergeBothWays(s, ["t0.T", "t1.T"], step: step)
    #expect(r.sequential.failure == "t1.T: line 26: bad sort order")
    #expect(r.parallel == r.sequential)
    #expect(r.outcome == "sequential: \(s.url("transcript/t1.T")): bad order across a cut")
  }

  @Test("a cut search that meets an input out of order, after earlier pieces were written, leaves the sequential merge's bytes")
  func lateCutRefusal() {
    let s = Scratch()
    s.mkdir("radmind")
    s.write("transcript/t0.T", lines(0 ..< 200, tag: "A"))
    // /p020 far down t1: sampled there, it sorts before cuts whose rows are already past it.
    s.write("transcript/t1.T", lines(0 ..< 150, tag: "B") + lines(20 ..< 21, tag: "B") + lines(150 ..< 200, tag: "B"))
    var outcomes: Set<String> = []
    for step in stride(from: Int64(61), to: 3000, by: 89) {
      let r = mergeBothWays(s, ["t0.T", "t1.T"], step: step)
      #expect(r.parallel == r.sequential, "step \(step): \(r.outcome)")
      outcomes.insert(r.outcome)
    }
    // Cuts are searched while the first pieces are merged and written: the written bytes go.
    #expect(outcomes.contains("sequential: \(s.url("transcript/t1.T")): out of order near a cut"), "\(outcomes)")
  }

  @Test("the soft order message of a skipped lower input (radmind goes on) comes out once, as sequentially")
  func softMessageFallsBack() {
    let s = Scratch()
    s.mkdir("radmind")
    s.write("transcript/t0.T", lines(0 ..< 100, tag: "A"))
    // /p050 is dropped as a duplicate, and the line read after it is out of order: reported, not fatal.
    s.write("transcript/t1.T", lines(0 ..< 51, tag: "B") + lines(10 ..< 11, tag: "B") + lines(60 ..< 70, prefix: "/q", tag: "B"))
    let r = mergeBothWays(s, ["t0.T", "t1.T"])
    #expect(r.parallel == r.sequential)
    #expect(r.outcome.hasPrefix("sequential: "))
  }

  @Test("radmind's recorded lmerge -T cases come out the same with the parallel merge forced on",
        arguments: [("041-lmerge-T-two", ["patch.T", "base.T"]),
                    ("042-lmerge-T-four", ["hotfix.T", "site.T", "libs.T", "base.T"]),
                    ("048-lmerge-bad-sort", ["patch.T", "base.T"]),
                    ("049-lmerge-bad-sort-lower", ["patch.T", "base.T"])])
  func conformanceCases(name: String, inputs: [String]) throws {
    let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/conformance/cases/\(name)")
    func recorded(_ file: String) -> [UInt8]? {
      FileManager.default.contents(atPath: corpus.appendingPathComponent(file).path).map { [UInt8]($0) }
    }
    let s = Scratch()
    s.mkdir("radmind")
    for input in inputs {
      s.write("transcript/\(input)", try #require(recorded("transcript/\(input)"), "conformance case \(name) not found"))
    }
    for step: Int64 in [1, 40, 1 << 20] {
      let r = mergeBothWays(s, inputs, step: step)
      #expect(r.parallel == r.sequential)
      if let transcript = recorded("expected.T") {
        #expect(r.parallel.transcript == transcript)
        #expect(r.parallel.failure == nil)
      } else {
        let message = String(decoding: try #require(recorded("expected.err")), as: UTF8.self)
        #expect(r.parallel.failure.map { $0 + "\n" } == message)
        #expect(r.parallel.status == 2)
      }
      #expect(r.outcome.hasPrefix("sequential: "), "\(name): \(r.outcome)")
    }
  }

  @Test("automatic mode leaves small merges sequential and cuts larger ones")
  func automaticThreshold() {
    let s = Scratch()
    s.mkdir("radmind")
    s.write("transcript/t0.T", lines(0 ..< 100, tag: "A"))
    s.write("transcript/t1.T", lines(50 ..< 150, tag: "B"))
    let report = ParallelMergeReport()
    var o = options(s, ["t0.T", "t1.T"], "m.T")
    o.transcriptOnly = true
    o.parallel.report = report
    #expect(merge(o).failure == nil)
    #expect(report.outcome.withLock { $0 } == "sequential: small input or one core")
    o.parallel.threshold = 0
    o.destination = s.url("transcript/m2.T")
    #expect(merge(o).failure == nil)
    #expect(report.outcome.withLock { $0 }?.hasPrefix("parallel") == true)
    #expect(s.read("transcript/m.T") == s.read("transcript/m2.T"))
  }
}
