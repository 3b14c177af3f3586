import Foundation
import StoreTestSupport
import Testing

/// The progress line of the long commands, seen through a pseudo-terminal.
@Suite(.serialized) struct ProgressTerminalTests {
  static let erase = "\r\u{1B}[K"

  /// The lines drawn on the terminal (each redraw starts with a carriage return), and whether the
  /// last thing the terminal got was the erase.
  static func drawn(_ text: String) -> (lines: [String], cleared: Bool) {
    let lines = text.components(separatedBy: "\r").map { $0.replacingOccurrences(of: "\u{1B}[K", with: "") }.filter { !$0.isEmpty }
    return (lines, text.hasSuffix(erase))
  }

  @Test("every long command draws its line on a terminal and clears it; stdout stays clean")
  func everyLongCommand() throws {
    let r = try Released("progress", release: false)
    defer { r.cleanup() }
    let bin = Released.bin
    func expectLine(_ args: [String], _ label: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
      let run = try CLI.runOnTerminal(args, store: r.store)
      #expect(run.status == 0, "\(args): \(run.terminalText) \(run.out)", sourceLocation: sourceLocation)
      let (lines, cleared) = Self.drawn(run.terminalText)
      #expect(lines.contains { $0.hasPrefix(label) }, "\(args): \(lines)", sourceLocation: sourceLocation)
      #expect(cleared, "\(args): the line is not cleared: \(run.terminalText.debugDescription)", sourceLocation: sourceLocation)
      #expect(!run.out.contains("\r") && !run.out.contains("\u{1B}"), "\(args): \(run.out)", sourceLocation: sourceLocation)
    }
    try r.nextVersion("001.002", release: false)
    try expectLine(["capture", r.staging, "--loadset", bin, "--node", "/usr/local/apache", "--version", "001.003"], "capture /usr/local/apache")
    try expectLine(["build", bin, "001.003"], "build \(bin)-001.003.T  ")
    try expectLine(["release", bin, "001.001"], "archive \(bin)-001.001.T  ")
    try expectLine(["archive", "\(bin)@001.002"], "archive \(bin)-001.002.T  ")
    // A command of several phases draws the first one at once and the others when they last
    // more than 0.1 s: on these small stores, the first.
    try expectLine(["verify"], "verify \(Released.neg)-001.001.T  ")
    let archive = "sha256 \(bin)-001.001.tar.gz  "
    try expectLine(["dsl", "verify"], archive)
    try CLI.ok(["release", bin, "001.002"], store: r.store)
    try CLI.ok(["release", bin, "001.003"], store: r.store)
    try expectLine(["prune", bin, "--keep", "1"], archive)
    try expectLine(["restore", r.archive("\(bin)-001.001"), "--store", r.dir + "/restored"], archive)
  }

  @Test("the line names what is done with files and bytes of the known total")
  func lineContents() throws {
    let r = try Released("progress-text", release: false)
    defer { r.cleanup() }
    let run = try CLI.runOnTerminal(["archive", "\(Released.bin)@001.001"], store: r.store)
    let (lines, _) = Self.drawn(run.terminalText)
    let line = try #require(lines.first { $0.hasPrefix("archive ") })
    // Drawn at the start of the phase: nothing done yet of the transcript's files and bytes.
    #expect(line.range(of: #"^archive \S+  0%  0/\d+ files  0 B/\d+(\.\d)? (B|KiB|MiB)$"#, options: .regularExpression) != nil, "\(line)")
  }

  @Test("nothing when standard error is not a terminal; --progress and --no-progress force either")
  func forcedEitherWay() throws {
    let r = try Released("progress-force", release: false)
    defer { r.cleanup() }
    let piped = try CLI.run(["verify"], store: r.store)
    #expect(piped.status == 0 && piped.err.isEmpty, "\(piped.err.debugDescription)")
    let forced = try CLI.run(["verify", "--progress"], store: r.store)
    #expect(forced.status == 0)
    #expect(forced.err.hasPrefix("\rverify ") && forced.err.hasSuffix(Self.erase), "\(forced.err.debugDescription)")
    #expect(forced.out == piped.out)
    let off = try CLI.runOnTerminal(["verify", "--no-progress"], store: r.store)
    #expect(off.status == 0 && off.terminal.isEmpty, "\(off.terminalText.debugDescription)")
    let errorOnTerminal = try CLI.runOnTerminal(["build", Released.bin, "009.009"], store: r.store)
    #expect(errorOnTerminal.status == 2 && errorOnTerminal.terminalText.hasPrefix("loadsmith: "), "\(errorOnTerminal.terminalText.debugDescription)")
  }
}
