import ArgumentParser
import Library
import Store
import TranscriptIO

/// `loadsmith release SERIES VERSION`.
struct Release: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Move current to a build; the build it left becomes last-known-good.",
    discussion: "Rewrites the tier command files and logs the move, as one step (crash-safe).")
  @OptionGroup var options: StoreOptions
  @OptionGroup var display: ProgressOptions
  @Argument(help: "The series, e.g. was-apache-bin-rhel5.") var series: String
  @Argument(help: "The built version to release, e.g. 001.002.") var version: String

  func run() throws {
    display.start()
    let store = try options.open()
    let outcome = try reportingStoreErrors { () throws(StoreError) in
      try store.releaseArchiving(series, version: version) { build, path in print("archived \(build.fileName): \(path)") }
    }
    if let move = outcome.move { print("moved \(move)") } else { print("\(series)-current.T already points at \(series)-\(version).T; nothing changed") }
    print("last-known-good: \(outcome.lastKnownGood ?? "(none)")")
    for tag in outcome.tags { print("tag \(tag)") }
  }
}

/// `loadsmith promote FAMILY-COMPONENT-cfg`.
struct Promote: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Promote a cfg series: stale <- stable, stable <- dev, as one logical step.")
  @OptionGroup var options: StoreOptions
  @Argument(help: "The cfg series, e.g. was-apache-cfg.") var series: String

  func run() throws {
    let store = try options.open()
    let moves = try reportingStoreErrors { () throws(StoreError) in try store.promote(series) }
    for move in moves { print("moved \(move)") }
  }
}

/// `loadsmith rollback SERIES [--to VERSION] [--tier TIER]`.
struct Rollback: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Move current back to last-known-good (or --to a build); for a cfg series, stable back to stale; with --tier, a tier back to its previous pin.")
  @OptionGroup var options: StoreOptions
  @Argument(help: "The series, e.g. was-apache-bin-rhel5 or was-apache-cfg.") var series: String
  @Option(help: "Roll current back to this built version instead of last-known-good.") var to: String?
  @Option(help: "Roll this tier (DEV, TEST, STAGE, ...) back to the pin it had before its latest deploy.") var tier: String?

  func validate() throws {
    if tier != nil && to != nil { throw ValidationError("--to and --tier do not go together: a tier goes back to its previous pin; deploy a version to pin it") }
  }

  func run() throws {
    let store = try options.open()
    if let tier {
      let change = try reportingStoreErrors { () throws(StoreError) in try store.rollback(series, tier: tier) }
      print("rolled back \(change)")
      return
    }
    let (move, tags) = try reportingStoreErrors { () throws(StoreError) in try store.rollback(series, to: to) }
    print("moved \(move)")
    for tag in tags { print("tag \(tag)") }
  }
}

/// `loadsmith command write PRODUCT`.
struct CommandGroup: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "command",
    abstract: "Per-tier command files.",
    subcommands: [Write.self])

  struct Write: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Write command/PRODUCT-{DEV,TEST,STAGE,PROD}.K from the tier map (.loadsmith/tiers).",
      discussion: "Each file names the immutable transcripts the pointers resolve to, lowest precedence first: p bin, p cfg, n neg.")
    @OptionGroup var options: StoreOptions
    @Argument(help: "FAMILY-COMPONENT, e.g. was-apache.") var product: String
    @Flag(help: "Take over command files loadsmith did not write (hand-written ones are refused otherwise).") var force = false

    func run() throws {
      let store = try options.open()
      let files = try reportingStoreErrors { () throws(StoreError) in try store.writeCommands(product: product, force: force) }
      for f in files {
        print("command/\(f.fileName): \(f.lines.map { "\($0.0) \($0.1)" }.joined(separator: ", "))")
      }
    }
  }
}
