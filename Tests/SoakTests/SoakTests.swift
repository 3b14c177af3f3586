import Foundation
import Testing

/// The soak test (README "Soak testing"): seeded random sequences of store commands with random
/// `LOADSMITH_FAULT` kills and hostile inputs. CI runs a few short sequences of the families that
/// pass today; `scripts/soak.sh N` runs many.
///
/// - `LOADSMITH_SOAK_SEQUENCES` (default 8), `LOADSMITH_SOAK_STEPS` (steps after the prelude, default 16)
/// - `LOADSMITH_SOAK_SEED` (default fixed; sequence i uses SEED+i, so a failure replays with its own
///   seed and `LOADSMITH_SOAK_SEQUENCES=1`)
/// - `LOADSMITH_SOAK_FAMILIES` (`default`, `all`, names, `-name`; see SoakFamilies)
/// - `LOADSMITH_SOAK_VERBOSE=1` prints every sequence's steps
/// - `LOADSMITH_SOAK_REPORT=FILE` appends the findings and a summary line; `LOADSMITH_SOAK_KEEP=1`
///   keeps a failing sequence's scratch directory
@Suite(.serialized) struct SoakTests {
  static let environment = ProcessInfo.processInfo.environment

  @Test("seeded sequences of store commands, kills and hostile inputs: never wedged, escaped, crashed or hung")
  func soak() throws {
    let sequences = Self.environment["LOADSMITH_SOAK_SEQUENCES"].flatMap(Int.init) ?? 8
    let length = Self.environment["LOADSMITH_SOAK_STEPS"].flatMap(Int.init) ?? 16
    let base = Self.environment["LOADSMITH_SOAK_SEED"].flatMap { UInt64($0) ?? UInt64($0.replacingOccurrences(of: "0x", with: ""), radix: 16) } ?? 0x50AC_2026
    let families = try Self.environment["LOADSMITH_SOAK_FAMILIES"].map(SoakFamilies.init(parsing:)) ?? .ciDefault
    let keep = Self.environment["LOADSMITH_SOAK_KEEP"] == "1"

    var seen: [String: Int] = [:]
    var report: [String] = []
    var commands = 0, kills = 0, hostile = 0, failed = 0
    let started = Date()
    for i in 0..<sequences {
      let seed = base &+ UInt64(i)
      let sequence = try SoakSequence(seed: seed, families: families, length: length)
      sequence.runAll()
      commands += sequence.commands
      kills += sequence.kills
      hostile += sequence.hostileInputs
      if !sequence.failures.isEmpty { failed += 1 }
      if Self.environment["LOADSMITH_SOAK_VERBOSE"] == "1" {
        print("soak: sequence \(seed)\n" + sequence.steps.map { "  " + $0 }.joined(separator: "\n"))
      }
      for failure in sequence.failures {
        seen[failure.key, default: 0] += 1
        guard seen[failure.key] == 1 else { continue }
        let text = """
          SOAK FAILURE [\(failure.key)]
          replay: LOADSMITH_SOAK_SEED=\(failure.seed) LOADSMITH_SOAK_SEQUENCES=1 LOADSMITH_SOAK_STEPS=\(length) LOADSMITH_SOAK_FAMILIES=\(families.description) swift test --skip-build --filter SoakTests
          \(failure.detail)
          sequence:
          \(failure.steps.map { "  " + $0 }.joined(separator: "\n"))
          """
        report.append(text)
        Issue.record(Comment(rawValue: text))
      }
      if sequence.failures.isEmpty || !keep { sequence.cleanup() } else { print("soak: kept \(sequence.dir)") }
    }
    let summary = "soak: \(sequences) sequences (seeds \(base)..\(base &+ UInt64(max(0, sequences - 1)))), families \(families.description), \(commands) commands, \(kills) kills, \(hostile) hostile inputs, \(failed) failing sequences, \(String(format: "%.0f", Date().timeIntervalSince(started))) s"
    let counts = seen.sorted { $0.key < $1.key }.map { "  \($0.value)x \($0.key)" }
    print(([summary] + counts).joined(separator: "\n"))
    if let path = Self.environment["LOADSMITH_SOAK_REPORT"] {
      let text = (report + [summary] + counts).joined(separator: "\n") + "\n"
      if let handle = FileHandle(forWritingAtPath: path) {
        handle.seekToEndOfFile()
        handle.write(Data(text.utf8))
        try? handle.close()
      } else {
        try text.write(toFile: path, atomically: false, encoding: .utf8)
      }
    }
  }

  @Test("the generator is deterministic and the family switch parses")
  func generator() throws {
    var a = SoakRandom(seed: 42), b = SoakRandom(seed: 42), c = SoakRandom(seed: 43)
    let first = (0..<8).map { _ in a.next() }
    #expect(first == (0..<8).map { _ in b.next() })
    #expect(first != (0..<8).map { _ in c.next() })
    #expect(try SoakFamilies(parsing: "default,-kills,nonUTF8") == SoakFamilies.ciDefault.subtracting(.kills).union(.nonUTF8))
    #expect(try SoakFamilies(parsing: "all") == .all)
    #expect(throws: SoakSetupError.self) { try SoakFamilies(parsing: "bogus") }
  }
}
