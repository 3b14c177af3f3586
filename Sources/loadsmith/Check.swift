import ArgumentParser
import Loadsets

/// `loadsmith check FILE...`: every syntax and order problem of transcripts and command files.
struct Check: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Validate transcripts (.T) and command files (.K), reporting every problem as FILE:LINE: message.",
    discussion: "Exit status: 0 clean, 1 problems found, 2 usage error.")

  @Flag(name: .customShort("I"), help: "Check order case-insensitively (radmind's -I).")
  var caseInsensitive = false

  @Argument(help: "Transcripts and command files (a name ending in .K is read as a command file).")
  var files: [String]

  func run() throws {
    var problems = 0
    for file in files {
      problems += TranscriptChecker.check(path: file, caseInsensitive: caseInsensitive) { line in
        print(line)
      }
    }
    if problems > 0 { throw ExitCode(1) }
  }
}
