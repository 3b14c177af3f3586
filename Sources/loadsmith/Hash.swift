import ArgumentParser
import Loadsets
import TranscriptIO

/// `loadsmith hash [-c NAME] FILE...`: radmind checksums of files.
struct Hash: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Print radmind checksums (base64 of the digest) of files, as '<checksum>  <file>'.",
    discussion: "Digest names are OpenSSL's, as radmind's -c takes them. Exit status: 0, 1 if a file could not be read, 2 for an unknown digest.")

  @Option(name: .customShort("c"), help: "Digest name (sha1, md5, sha256, ...).")
  var digest = "sha1"

  @Argument(help: "Files to hash ('-' for standard input).")
  var files: [String]

  func run() throws {
    let status = hashFiles(files, digestName: digest, output: ToolOutput(stdout: OutputBuffer(fd: 1)))
    if status != 0 { throw ExitCode(status) }
  }
}
