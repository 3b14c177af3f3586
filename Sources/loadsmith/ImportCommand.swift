import ArgumentParser
import Store

/// `loadsmith import TRANSCRIPT --files DIR --as NAME`.
struct ImportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "import",
    abstract: "Publish a transcript made elsewhere, with its files, after checking every file (as lcreate).",
    discussion: """
      TRANSCRIPT is radmind's (made by fsdiff, or an lcreate upload left in the server's tmp/transcript/); DIR holds its files as file/NAME/ would (DIR + the transcript path: tmp/file/NAME for an upload). Every listed file's size and checksum (the digest is recognised from the checksums) is checked while it is copied; on any mismatch nothing is published. NAME is a Loadsmith loadset name (a neg one stores zero-length files, as lcreate -N) or a foreign name (base.T), kept as it is.
      """)
  @OptionGroup var options: StoreOptions
  @Argument(help: "The transcript to publish.") var transcript: String
  @Option(help: "The directory holding its files (DIR/<transcript path>).") var files: String
  @Option(name: .customLong("as"), help: "The loadset name to publish it under.") var name: String

  func run() throws {
    let store = try options.open()
    let request = ImportRequest(transcript: transcript, files: files, name: name)
    let result = try reportingStoreErrors { () throws(StoreError) in try store.importTranscript(request) }
    print("published \(result.name)\(result.foreign ? " (foreign)" : ""): \(result.entries) objects, \(result.files) files, \(result.bytes) bytes, \(result.digest) checked")
  }
}
