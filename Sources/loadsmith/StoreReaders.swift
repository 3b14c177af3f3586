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
    abstract: "The history: every publish and pointer move with time, user, host, from, to and checksum.",
    discussion: "Streams the log, oldest first. Each record carries the SHA-256 of the record before it; `--head` prints the newest record's hash, which operators keep elsewhere and signed DSL manifests carry (see `verify`).")
  @OptionGroup var options: StoreOptions
  @Argument(help: "Only records concerning this series, product, pointer or loadset.") var name: String?
  @Option(help: "Only records written at or after this UTC date or time (YYYY-MM-DD, or YYYY-MM-DDTHH:MM).") var since: String?
  @Option(help: "Only records that changed what this tier's command files name (deploys, moves it follows, ...).") var tier: String?
  @Flag(help: "Print one JSON object per line.") var json = false
  @Flag(help: "Print only the newest record's hash (the head of the history chain), to keep elsewhere.") var head = false

  func validate() throws {
    if let since, !Log.isDate(since) {
      throw ValidationError("--since '\(since)': expected a UTC date YYYY-MM-DD, optionally followed by THH:MM[:SS]")
    }
  }

  static func isDate(_ text: String) -> Bool {
    let shape = Array("dddd-dd-ddTdd:dd:dd".utf8)
    let bytes = Array(text.utf8)
    guard [10, 16, 19].contains(bytes.count) else { return false }
    for (b, s) in zip(bytes, shape) {
      if s == UInt8(ascii: "d") { guard (0x30...0x39).contains(b) else { return false } } else if b != s { return false }
    }
    return true
  }

  func run() throws {
    let store = try options.open()
    if head {
      let hash = try reportingStoreErrors { () throws(StoreError) in try store.historyHead() }
      print(hash)
      return
    }
    let tierFilter = tier.map { TierLogFilter(store: store, tier: $0) }
    try reportingStoreErrors { () throws(StoreError) in
      try store.forEachHistoryRecord { r in
        if let tierFilter, !tierFilter.concerns(r) { return }
        if let name, !r.concerns(name) { return }
        if let since, !r.isAtOrAfter(since) { return }
        if json { print(r.json); return }
        var line = "\(r.time)  \(r.user)@\(r.host)  \(r.event)  \(r.name)"
        if r.from != "-" || r.to != "-" { line += "  \(r.from) -> \(r.to)" }
        if r.checksum != "-" { line += "  \(r.checksum)" }
        print(line)
      }
    }
  }
}

/// `loadsmith verify [NAME]`.
struct Verify: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Check the store: every file's size and checksum, transcript order, pointers and pairs, orphans.",
    discussion: "Exit status: 0 sound, 1 problems found (each listed), 2 error.")
  @OptionGroup var options: StoreOptions
  @OptionGroup var display: ProgressOptions
  @Argument(help: "Only this series, product or loadset.") var name: String?

  func run() throws {
    display.start()
    let store = try options.open()
    let report = try reportingStoreErrors { () throws(StoreError) in try store.verify(name) }
    for note in report.notes { print("note: \(note)") }
    for problem in report.problems { print(problem) }
    print("\(report.problems.isEmpty ? "verified" : "INCORRECT"): \(report.loadsets) loadsets, \(report.files) files, \(report.bytes) bytes hashed, \(report.problems.count) problem(s)")
    if !report.problems.isEmpty { throw ExitCode(1) }
  }
}
