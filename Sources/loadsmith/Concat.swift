import ArgumentParser
import Loadsets
import TranscriptIO

/// `loadsmith concat`: the node loadsets of one build into the build loadset.
struct Concat: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Concatenate the node loadsets of one build into the build loadset.",
    discussion: """
      Writes the union of the node transcripts in path order and hard-links every stored file \
      into the build's file directory; the build is published crash-safely (all or nothing). \
      A path that two nodes list with different attributes is a conflict: it stops the build \
      (exit 1, every conflict listed) unless --prefer names the nodes whose lines win, in order.
      """)

  @Option(name: .customShort("D"), help: "The radmind directory (locates file directories as lmerge does).")
  var radmindDirectory = "/var/radmind"

  @Option(help: "The build transcript to create.")
  var into: String

  @Option(help: "A node whose line wins a conflict; repeat for an order of precedence.")
  var prefer: [String] = []

  @Flag(help: "Copy the files instead of hard-linking them.")
  var copy = false

  @Argument(help: "NODE=TRANSCRIPT for each node loadset.")
  var nodes: [String]

  func run() throws {
    var list: [NodeLoadset] = []
    for n in nodes {
      guard let eq = n.firstIndex(of: "=") else {
        StandardStreams.writeError("loadsmith concat: '\(n)' is not NODE=TRANSCRIPT\n")
        throw ExitCode(2)
      }
      list.append(NodeLoadset(node: String(n[..<eq]), transcript: String(n[n.index(after: eq)...])))
    }
    do {
      let result = try NodeConcatenator.concatenate(
        nodes: list, into: into, radmindDirectory: radmindDirectory,
        policy: prefer.isEmpty ? .fail : .precedence(prefer), copy: copy)
      for c in result.resolved { StandardStreams.writeError("resolved \(c)\n") }
      print("\(result.lines) lines, \(result.filesLinked) files \(copy ? "copied" : "linked")")
    } catch let c as NodeConflicts {
      StandardStreams.writeError("loadsmith concat: \(c)\n")
      throw ExitCode(1)
    } catch let e as ConcatenationError {
      StandardStreams.writeError("loadsmith concat: \(e)\n")
      throw ExitCode(2)
    }
  }
}
