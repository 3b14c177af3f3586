import Foundation
import Hashing
import StoreTestSupport
import Testing

/// The history log is a hash chain: every edit, deletion or reordering is found by `verify`.
@Suite(.serialized) struct HistoryChainTests {
  static func lines(_ store: String) throws -> [String] {
    try String(contentsOfFile: store + "/.loadsmith/history.log", encoding: .utf8).split(separator: "\n").map(String.init)
  }

  static func write(_ lines: [String], _ store: String) throws {
    try (lines.joined(separator: "\n") + "\n").write(toFile: store + "/.loadsmith/history.log", atomically: false, encoding: .utf8)
  }

  @Test("each record links to the line before it; log --head is the newest record's hash")
  func chainAndHead() throws {
    let s = try CommandTests.released("chain")
    defer { CLI.remove(s.dir) }
    let log = try Self.lines(s.store)
    #expect(log.count >= 6)
    let seedHash = Hex.sha256(Array("loadsmith history chain v1".utf8))
    #expect(log[0].split(separator: "\t", omittingEmptySubsequences: false).last.map(String.init) == seedHash)
    for i in 1..<log.count {
      let fields = log[i].split(separator: "\t", omittingEmptySubsequences: false)
      #expect(fields.count == 10)
      #expect(String(fields[9]) == Hex.sha256(Array(log[i - 1].utf8)))
    }
    let head = try CLI.ok(["log", "--head"], store: s.store)
    #expect(head == Hex.sha256(Array(log.last!.utf8)) + "\n")
    #expect(try CLI.ok(["verify"], store: s.store).contains("verified"))
  }

  @Test("an edited, a deleted and two swapped records each break the chain, named by line")
  func tampering() throws {
    let s = try CommandTests.released("chain-tamper")
    defer { CLI.remove(s.dir) }
    let log = try Self.lines(s.store)
    var edited = log
    edited[2] = edited[2].replacingOccurrences(of: "\t", with: "\t ", options: [], range: edited[2].range(of: "\t"))
    var deleted = log
    deleted.remove(at: 2)
    var swapped = log
    swapped.swapAt(2, 3)
    for (label, tampered, line) in [("edited", edited, 4), ("deleted", deleted, 3), ("swapped", swapped, 3)] {
      try Self.write(tampered, s.store)
      let r = try CLI.run(["verify"], store: s.store)
      #expect(r.status == 1, "\(label): \(r.out)")
      #expect(r.out.contains("history.log line \(line): the chain is broken"), "\(label): \(r.out)")
    }
    try Self.write(log, s.store)
    #expect(try CLI.run(["verify"], store: s.store).status == 0)
  }

  @Test("a store whose history predates chaining keeps it and chains from the next record")
  func unchainedHistory() throws {
    let s = try CommandTests.released("chain-legacy")
    defer { CLI.remove(s.dir) }
    // Strip the links, as a store made before chaining wrote its records.
    let legacy = try Self.lines(s.store).map { $0.split(separator: "\t", omittingEmptySubsequences: false).prefix(9).joined(separator: "\t") }
    try Self.write(legacy, s.store)
    try CLI.ok(["capture", s.staging, "--loadset", CommandTests.bin, "--node", "/usr/local/apache", "--next-minor"], store: s.store)
    let log = try Self.lines(s.store)
    #expect(log.count > legacy.count)
    let first = log[legacy.count].split(separator: "\t", omittingEmptySubsequences: false)
    #expect(String(first[9]) == Hex.sha256(Array(legacy.last!.utf8)))
    let r = try CLI.run(["verify"], store: s.store)
    #expect(r.status == 0, "\(r.out)")
    #expect(r.out.contains("predate chaining"))
    #expect(try CLI.ok(["log"], store: s.store).split(separator: "\n").count == log.count)
  }
}
