import ArgumentParser
import Store
import TranscriptIO

/// `loadsmith capture STAGING_ROOT --loadset SERIES --node PATH ...`.
struct CaptureCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "capture",
    abstract: "Capture nodes of a staging tree into node loadsets (bin, neg) or a cfg snapshot.",
    discussion: """
      The staging root holds the install as if it were /. Each --node becomes one node loadset \
      (SERIES-VERSION-nodeN.T, N in --node order) holding the node's own line and everything below it, \
      with checksums; files are copied into file/ and published atomically. A cfg series \
      (--loadset was-apache-cfg) makes the next snapshot and moves dev to it. Symlinks are recorded, \
      never followed.
      """)
  @OptionGroup var options: StoreOptions
  @OptionGroup var display: ProgressOptions
  @Argument(help: "The staging root (a directory holding the install as if mounted at /).") var stagingRoot: String
  @Option(help: "The series: FAMILY-COMPONENT-TYPE-OS (bin, neg) or FAMILY-COMPONENT-cfg.") var loadset: String
  @Option(help: "A node path as on the client, e.g. /usr/local/apache (repeat; order gives node numbers).") var node: [String] = []
  @Option(help: "The version to capture (MAJOR.MINOR, e.g. 001.001).") var version: String?
  @Flag(help: "Capture the next minor version (changes on the same staging install).") var nextMinor = false
  @Flag(help: "Capture the next major version (a rebuilt prototype).") var nextMajor = false
  @Option(name: .customShort("K"), help: "A command file, with radmind's semantics: x lines exclude paths; p, n, s lines make it a capture against that base (as --base).") var commandFile: String?
  @Option(help: "Capture only what differs from the loadsets this command file lists, line for line as radmind's fsdiff -C -K writes it (with --node, or --node / for the whole staging root).") var base: String?
  @Option(name: .customShort("c"), help: "Digest for checksums (radmind's names).") var digest = "sha1"
  @Flag(help: "Write ./usr/... paths instead of /usr/... (for sites that apply from a directory).") var relative = false
  @Flag(help: "Read every file again (ignore the stat signatures of the previous capture).") var rehash = false

  func validate() throws {
    if commandFile != nil && base != nil { throw ValidationError("give either -K or --base (both name the command file)") }
    if [version != nil, nextMinor, nextMajor].filter({ $0 }).count > 1 {
      throw ValidationError("give at most one of --version, --next-minor, --next-major")
    }
  }

  func run() throws {
    for (what, text) in [("staging root", stagingRoot)] + node.map({ ("--node", $0) }) {
      if let raw = RawArguments.nonUTF8(behind: text) {
        StandardStreams.writeError("loadsmith: \(what) '\(RawArguments.shown(raw))' is not valid UTF-8: give node paths and the staging root in UTF-8 (capture a parent directory; names below a node may be any bytes)\n")
        throw ExitCode(2)
      }
    }
    display.start()
    let store = try options.open()
    var request = CaptureRequest(stagingRoot: stagingRoot, loadset: loadset, nodes: node)
    request.version = version.map { .explicit($0) } ?? (nextMinor ? .nextMinor : nextMajor ? .nextMajor : .automatic)
    request.commandFile = base ?? commandFile
    request.digest = digest
    request.relative = relative
    request.rehash = rehash
    let result = try reportingStoreErrors { () throws(StoreError) in try store.capture(request) }
    for note in result.notes { print("note: \(note)") }
    for name in result.loadsets { print("published \(name)") }
    for move in result.moves { print("moved \(move)") }
    print("captured \(result.entries) objects, \(result.files) files, \(result.bytes) bytes")
  }
}
