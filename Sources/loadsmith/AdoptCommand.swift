import ArgumentParser
import Store
import TranscriptIO

/// `loadsmith adopt [STORE] [--verify]`.
struct AdoptCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "adopt",
    abstract: "Index an existing radmind server tree (transcript/, file/, command/) as a store.",
    discussion: """
      Reads every transcript and stats every stored file, and records each loadset's metadata in .loadsmith/ without changing a transcript, a stored file or a command file. Names in Loadsmith's scheme join their series; -current.T and -cfg-{dev,stable,stale}.T symlinks that point inside the folder become pointers; every other name is a foreign loadset (listed, verified, readable by name, never moved, pinned or pruned). Running it again changes nothing.

      Exit status: 0 all adopted and sound, 1 something refused or not matching (each listed), 2 error.
      """)
  @OptionGroup var options: StoreOptions
  @Argument(help: "The radmind server tree (default: --store, $LOADSMITH_STORE, else the current directory).")
  var directory: String?
  @Flag(help: "Also hash every stored file against its transcript (in parallel, as verify does).") var verify = false

  func run() throws {
    let path = directory ?? options.path
    let (store, report) = try reportingStoreErrors { () throws(StoreError) in try LoadsetStore.adopt(at: path, verify: verify) }
    for name in report.adopted { print("adopted \(name)\(report.foreign.contains(name) ? " (foreign)" : "")") }
    for pointer in report.pointers { print("pointer \(pointer)") }
    for note in report.notes { print("note: \(note)") }
    for refused in report.refused { print("refused: \(refused)") }
    for problem in report.problems { print("problem: \(problem)") }
    print("adopt \(store.root): \(report.adopted.count) adopted (\(report.foreign.count) foreign, \(report.files) files, \(report.bytes) bytes), \(report.known) already known, \(report.pointers.count) pointers, \(report.refused.count) refused, \(report.problems.count) problem(s)")
    if !report.refused.isEmpty || !report.problems.isEmpty { throw ExitCode(1) }
  }
}
