import ArgumentParser
import Store

/// `loadsmith status [NAME] [--json]`.
struct Status: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Every loadset, version, node, pointer, last-known-good, size, file count, and the command files.",
    discussion: "Never waits for a writer.")
  @OptionGroup var options: StoreOptions
  @Flag(help: "Print JSON.") var json = false
  @Argument(help: "Only this series, product or loadset.") var name: String?

  func run() throws {
    let store = try options.open()
    let status = try reportingStoreErrors { () throws(StoreError) in try store.status(name) }
    print(json ? status.json : status.text, terminator: "")
  }
}

/// `loadsmith log [NAME]`.
struct Log: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "The history: every publish and pointer move with time, user, host, from, to and checksum.")
  @OptionGroup var options: StoreOptions
  @Argument(help: "Only records concerning this series, product, pointer or loadset.") var name: String?
  @Flag(help: "Print only the newest record's hash (the head of the history chain), to keep elsewhere.") var head = false

  func run() throws {
    let store = try options.open()
    if head {
      let hash = try reportingStoreErrors { () throws(StoreError) in try store.historyHead() }
      print(hash)
      return
    }
    let records = try reportingStoreErrors { () throws(StoreError) in try store.history() }
    for r in records where name.map({ r.concerns($0) }) ?? true {
      var line = "\(r.time)  \(r.user)@\(r.host)  \(r.event)  \(r.name)"
      if r.from != "-" || r.to != "-" { line += "  \(r.from) -> \(r.to)" }
      if r.checksum != "-" { line += "  \(r.checksum)" }
      print(line)
    }
  }
}

/// `loadsmith verify [NAME]`.
struct Verify: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Check the store: every file's size and checksum, transcript order, pointers and pairs, orphans.",
    discussion: "Exit status: 0 sound, 1 problems found (each listed), 2 error.")
  @OptionGroup var options: StoreOptions
  @Argument(help: "Only this series, product or loadset.") var name: String?

  func run() throws {
    let store = try options.open()
    let report = try reportingStoreErrors { () throws(StoreError) in try store.verify(name) }
    for note in report.notes { print("note: \(note)") }
    for problem in report.problems { print(problem) }
    print("\(report.problems.isEmpty ? "verified" : "INCORRECT"): \(report.loadsets) loadsets, \(report.files) files, \(report.bytes) bytes hashed, \(report.problems.count) problem(s)")
    if !report.problems.isEmpty { throw ExitCode(1) }
  }
}
