import ArgumentParser
import Store

/// `loadsmith deploy SERIES VERSION --tier TIER`, `deploy FAMILY-COMPONENT-cfg SNAPSHOT|dev|stable|stale
/// --tier TIER`, `deploy SERIES --tier TIER --unpin`.
struct Deploy: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Pin one tier (DEV, TEST, STAGE, ...) of a series to a build or cfg snapshot, or --unpin it.",
    discussion: """
      A pinned tier's command file names the pinned transcript; an unpinned tier follows the tier map \
      (.loadsmith/tiers). Pin, command files and history record change as one step (crash-safe). PROD is \
      moved by release (bin, neg) and promote (cfg), never pinned. 'rollback SERIES --tier TIER' returns a \
      tier to its previous pin.
      """)
  @OptionGroup var options: StoreOptions
  @Argument(help: "The series, e.g. was-apache-bin-rhel5 or was-apache-cfg.") var series: String
  @Argument(help: "A built version (001.002); for a cfg series a snapshot (0003), dev, stable or stale.") var version: String?
  @Option(help: "The tier to pin (named in the tier map; not PROD).") var tier: String
  @Flag(help: "Remove the tier's pin: it follows the tier map again.") var unpin = false

  func validate() throws {
    if unpin && version != nil { throw ValidationError("--unpin takes no version") }
    if !unpin && version == nil { throw ValidationError("give the version (or snapshot) to deploy, or --unpin") }
  }

  func run() throws {
    let store = try options.open()
    let change = try reportingStoreErrors { () throws(StoreError) in try store.deploy(series, unpin ? nil : version, tier: tier) }
    if change.changed {
      print("deployed \(change)")
    } else {
      print("\(change.series) on \(change.tier) is already \(change.to ?? "following the tier map"); nothing changed")
    }
  }
}
