import Foundation
import RadmindTools
import StoreTestSupport
import Testing

/// Replays every case of ../shared/conformance (recorded from radmind's own tools) through
/// Loadsmith's multicall names and compares stdout, stderr, exit status, output files and
/// directory listings byte for byte. Cases whose tool Loadsmith does not implement yet are
/// cancelled with "SKIPPED <case>" — never reported as passed.
///
/// Needs root (the trees use chown and mknod), sh and python3 (the corpus harness), as CI has.
@Suite("radmind conformance corpus", .serialized)
struct ConformanceTests {
  @Test("the corpus is present")
  func corpusIsPresent() throws {
    let cases = try #require(Corpus.caseNames, "conformance corpus not found at \(Corpus.root.path)")
    #expect(cases.count >= 69)
  }

  @Test("case", arguments: Corpus.caseNames ?? [])
  func replay(_ name: String) throws {
    let tool = Corpus.tool(of: name)
    guard RadmindTools.all[tool] != nil else {
      print("SKIPPED \(name): \(tool) is not implemented yet")
      try Test.cancel("SKIPPED \(name): \(tool) is not implemented yet")
    }
    let mismatches = try Corpus.run(name)
    #expect(mismatches.isEmpty, "\(name): \(mismatches.joined(separator: "\n"))")
  }
}

enum Corpus {
  /// `$LOADSMITH_CONFORMANCE`, else `../shared/conformance` beside the package.
  static let root: URL = {
    if let env = ProcessInfo.processInfo.environment["LOADSMITH_CONFORMANCE"] {
      return URL(fileURLWithPath: env)
    }
    let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent()
    return package.deletingLastPathComponent().appendingPathComponent("shared/conformance")
  }()

  static let caseNames: [String]? = {
    let dir = root.appendingPathComponent("cases")
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else { return nil }
    return names.filter { !$0.hasPrefix(".") }.sorted()
  }()

  /// The tool a case exercises: the word after the number ("012-fsdiff-A-..." -> "fsdiff").
  static func tool(of name: String) -> String {
    let parts = name.split(separator: "-")
    return parts.count > 1 ? String(parts[1]) : name
  }

  /// The freshly built `loadsmith`, next to the test bundle.
  static var binary: URL { URL(fileURLWithPath: CLI.binary) }

  /// A directory of symlinks named after radmind's tools, all pointing at `loadsmith`.
  static let toolDirectory: URL = {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("loadsmith-tools-\(getpid())")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    for tool in ["fsdiff", "lmerge", "lcksum", "lsort", "twhich"] {
      let link = dir.appendingPathComponent(tool)
      try? FileManager.default.removeItem(at: link)
      try? FileManager.default.createSymbolicLink(at: link, withDestinationURL: binary)
    }
    return dir
  }()

  /// Runs a case with the corpus's own runner and returns what differs from the recording.
  static func run(_ name: String) throws -> [String] {
    let caseDir = root.appendingPathComponent("cases/\(name)")
    let result = FileManager.default.temporaryDirectory.appendingPathComponent("loadsmith-case-\(getpid())-\(name)")
    try? FileManager.default.removeItem(at: result)
    defer { try? FileManager.default.removeItem(at: result) }

    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = [root.appendingPathComponent("harness/runcase.sh").path, caseDir.path, result.path]
    var env = ProcessInfo.processInfo.environment
    env["PATH"] = toolDirectory.path + ":" + (env["PATH"] ?? "/usr/bin:/bin")
    for key in ["FSDIFF", "LMERGE", "LCKSUM", "LSORT", "TWHICH"] { env[key] = nil }
    process.environment = env
    process.standardInput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { return ["runcase.sh failed (\(process.terminationStatus))"] }

    var mismatches: [String] = []
    let expected = try FileManager.default.contentsOfDirectory(atPath: caseDir.path)
      .filter { $0.hasPrefix("expected.") }.sorted()
    for file in expected {
      let want = try Data(contentsOf: caseDir.appendingPathComponent(file))
      let got = (try? Data(contentsOf: result.appendingPathComponent(file))) ?? Data()
      if want != got {
        mismatches.append("\(file) differs: \(firstDifference(want, got))")
      }
    }
    if !expected.contains("expected.err") {
      let err = (try? Data(contentsOf: result.appendingPathComponent("expected.err"))) ?? Data()
      if !err.isEmpty { mismatches.append("unexpected stderr:\n\(String(decoding: err, as: UTF8.self))") }
    }
    return mismatches
  }

  /// The first line where two outputs differ, both sides shown with escapes visible.
  static func firstDifference(_ want: Data, _ got: Data) -> String {
    let a = want.split(separator: 0x0A, omittingEmptySubsequences: false)
    let b = got.split(separator: 0x0A, omittingEmptySubsequences: false)
    for i in 0..<max(a.count, b.count) {
      let x = i < a.count ? a[i] : nil, y = i < b.count ? b[i] : nil
      if x != y {
        func show(_ d: Data.SubSequence?) -> String {
          d.map { String(decoding: $0, as: UTF8.self).debugDescription } ?? "(end of output)"
        }
        return "line \(i + 1) (\(a.count - 1) lines expected, \(b.count - 1) produced)\n  expected: \(show(x))\n  produced: \(show(y))"
      }
    }
    return "same lines, different bytes"
  }
}
