import ArgumentParser
import Library

/// `loadsmith key generate NAME [--out DIR]`.
struct KeyGroup: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "key",
    abstract: "Ed25519 signing keys for the DSL's manifests.",
    subcommands: [Generate.self])

  struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Write a new key pair: NAME.key (private, mode 0600) and NAME.pub (one line NAME:BASE64).",
      discussion: "Name keys for rotation, e.g. dsps-dsl-1, then dsps-dsl-2: a new number per rotation. Existing files are never overwritten. Put NAME.pub's line into the DSL's trusted-keys file; keep NAME.key where only the releasing user can read it.")
    @Argument(help: "The key's name: letters, digits, '.', '_' and '-'.") var name: String
    @Option(help: "Directory to write the two files into.") var out: String = "."

    func run() throws {
      let paths = try reportingLibraryErrors { () throws(LibraryError) in try KeyFiles.generate(name: name, directory: out) }
      print("private key: \(paths.key)")
      print("public key:  \(paths.pub)")
    }
  }
}
