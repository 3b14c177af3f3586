import SystemCalls
import ArgumentParser
import Loadsets
import Store
import TranscriptIO

/// `loadsmith diff A.T B.T`: what changed between two sorted transcripts, per path.
struct Diff: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Compare two sorted transcripts: paths added, removed, changed in type, or changed in fields.",
    discussion: """
      Streams both transcripts once (memory does not grow with their length). The default output \
      is a summary: counts per kind of change and per field, and content bytes added and removed. \
      --transcript prints an applicable radmind transcript that turns A into B (the '+'/'-' lines \
      fsdiff -A would print with B as the transcript and A as the file system, without 'name:' \
      headers). --json prints one JSON object per change and a closing {"summary":...} line.

      A and B are transcript files or store references: NAME@001.001 (a build), NAME@001.001-node1, \
      was-apache-cfg@0002, or a loadset or pointer name such as was-apache-bin-rhel5-current (an \
      operand that is an existing file is a file).

      Exit status: 0 equal, 1 different, 2 error.
      """)

  @OptionGroup var storeOptions: StoreOptions

  @Flag(name: .customShort("I"), help: "Compare paths case-insensitively (radmind's -I order).")
  var caseInsensitive = false

  @Option(name: .customLong("ignore"), parsing: .singleValue,
          help: "Fields not to compare, comma separated: mode, uid, gid, mtime, size, checksum, target, device.")
  var ignore: [String] = []

  @Flag(name: .customLong("transcript"), help: "Print an applicable transcript turning A into B.")
  var transcript = false

  @Flag(name: .customLong("json"), help: "Print one JSON object per change.")
  var json = false

  @Argument(help: "The old transcript: a file or a store reference.") var a: String
  @Argument(help: "The new transcript: a file or a store reference.") var b: String

  /// An existing file is a file; anything else is looked up in the store.
  func resolve(_ operand: String) throws -> String {
    if Syscall.accessProblem(Array(operand.utf8)) == nil { return operand }
    let store = try storeOptions.open()
    return try reportingStoreErrors { () throws(StoreError) in try store.transcriptPath(forReference: operand) }
  }

  func run() throws {
    var ignored: Set<DiffField> = []
    for word in ignore.flatMap({ $0.split(separator: ",") }) {
      let name = word.trimmingCharacters(in: " ")
      guard let f = DiffField(rawValue: name) else {
        StandardStreams.writeError("loadsmith diff: unknown field '\(name)' (fields: \(DiffField.allCases.map(\.rawValue).joined(separator: ", ")))\n")
        throw ExitCode(2)
      }
      ignored.insert(f)
    }
    if transcript && json {
      StandardStreams.writeError("loadsmith diff: --transcript and --json cannot be combined\n")
      throw ExitCode(2)
    }
    let a = try resolve(self.a), b = try resolve(self.b)
    let engine = TranscriptDiff(ignoring: ignored, caseInsensitive: caseInsensitive)
    let out = OutputBuffer(fd: 1)
    let summary: DiffSummary
    do {
      summary = try engine.run(a: a, b: b) { change in
        if transcript {
          DiffOutput.appendTranscript(change, to: &out.bytes)
          try out.flushIfFull()
        } else if json {
          DiffOutput.appendJSON(change, to: &out.bytes)
          try out.flushIfFull()
        }
      }
      if json { DiffOutput.appendJSONSummary(summary, to: &out.bytes) }
      if !transcript && !json { try out.append(DiffOutput.summaryText(summary)) }
      try out.flush()
    } catch let error as TranscriptDiffError {
      try? out.flush()
      StandardStreams.writeError("loadsmith diff: \(error.message)\n")
      throw ExitCode(2)
    } catch let error as SystemCallError {
      StandardStreams.writeError("loadsmith diff: \(error.detailed)\n")
      throw ExitCode(2)
    }
    if !summary.isEqual { throw ExitCode(1) }
  }
}

extension Substring {
  func trimmingCharacters(in set: Character) -> String {
    var s = self
    while s.first == set { s.removeFirst() }
    while s.last == set { s.removeLast() }
    return String(s)
  }
}
