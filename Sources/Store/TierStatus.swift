import SystemCalls
import TranscriptIO

/// Where every product stands on every tier, for `loadsmith status`: what each tier's command
/// file names (as it is on disk, what clients fetch), and for each series whether the tier is
/// pinned (to what, since when) or follows the tier map. Read without the lock, like status.
package struct TierStatus: Sendable {
  package struct Series: Sendable {
    package var series: String
    /// The pinned loadset, or nil when the tier follows the map for this series.
    package var pinned: String?
    /// When the pin was set (its latest deploy or tier rollback in the history).
    package var pinnedSince: String?
    /// What the tier map names for this series on the tier (`newest`, `current`, `stable`, ...).
    package var follows: String
  }
  package struct CommandFile: Sendable {
    package var name: String
    /// The `p`/`n` lines as written, or nil when the file does not exist yet.
    package var lines: [String]?
  }
  package struct Tier: Sendable {
    package var product: String
    package var tier: String
    /// The time of the newest history record that changed what the tier names for the product
    /// (a deploy, a move or build it follows, a command write): since when it stands as it is.
    /// Not the command file's mtime, which the ktcheck rule may set a few seconds ahead.
    package var since: String?
    package var commandFiles: [CommandFile] = []
    package var series: [Series] = []
  }
  package var tiers: [Tier] = []
  /// Products whose tier map or pins cannot be read, with the reason.
  package var problems: [String] = []

  package var text: String {
    if tiers.isEmpty && problems.isEmpty { return "" }
    var out = "\ntiers\n"
    for t in tiers {
      out += "  \(t.product) \(t.tier)\(t.since.map { "  since \($0)" } ?? "")\n"
      for f in t.commandFiles {
        let names = f.lines.map { $0.isEmpty ? "(empty)" : $0.joined(separator: ", ") } ?? "(not written)"
        out += "    command/\(f.name): \(names)\n"
      }
      for s in t.series {
        if let pinned = s.pinned {
          out += "    \(s.series): pinned to \(pinned)\(s.pinnedSince.map { " since \($0)" } ?? "")\n"
        } else {
          out += "    \(s.series): follows the tier map (\(s.follows))\n"
        }
      }
    }
    for p in problems { out += "  problem: \(p)\n" }
    return out
  }

  package var json: String {
    "{\"tiers\":\(tiersArrayJSON),\"problems\":[\(problems.map(JSONText.quote).joined(separator: ","))]}"
  }

  /// The `tiers` array of ``json``.
  var tiersArrayJSON: String {
    func q(_ s: String?) -> String { s.map(JSONText.quote) ?? "null" }
    let tiersJSON = tiers.map { t in
      let files = t.commandFiles.map { f in
        "{\"name\":\(q(f.name)),\"lines\":\(f.lines.map { "[" + $0.map(q).joined(separator: ",") + "]" } ?? "null")}"
      }
      let series = t.series.map { s in
        "{\"series\":\(q(s.series)),\"pinned\":\(s.pinned != nil),\"target\":\(q(s.pinned)),\"since\":\(q(s.pinnedSince)),\"follows\":\(q(s.pinned == nil ? s.follows : nil))}"
      }
      return "{\"product\":\(q(t.product)),\"tier\":\(q(t.tier)),\"since\":\(q(t.since)),\"commandFiles\":[\(files.joined(separator: ","))],\"series\":[\(series.joined(separator: ","))]}"
    }
    return "[" + tiersJSON.joined(separator: ",") + "]"
  }

  /// `status --json`'s object with this one's `tiers` and `tierProblems` added as its last keys.
  package func adding(toStatusJSON status: String) -> String {
    var s = Substring(status)
    while s.last == "\n" { s = s.dropLast() }
    guard s.last == "}" else { return status }
    return s.dropLast() + ",\"tiers\":" + tiersArrayJSON + ",\"tierProblems\":[" + problems.map(JSONText.quote).joined(separator: ",") + "]}\n"
  }
}

extension LoadsetStore {
  /// Every product (or those concerning `filter`) on every tier of its tier map.
  package func tierStatus(_ filter: String? = nil) throws(StoreError) -> TierStatus {
    var out = TierStatus()
    let names = try publishedNames().names
    let namesByProduct = Dictionary(grouping: names) { $0.series.product }
    var since: [String: String] = [:]
    // One pass over the history: the newest record that changed each (product, tier).
    let tierNames = Set(namesByProduct.keys.compactMap { try? tierMap(for: $0) }.flatMap { $0.tiers.map(\.name) })
    let filters = tierNames.sorted().map { TierLogFilter(store: self, tier: $0) }
    try forEachHistoryRecord { r in
      if r.event == "deploy" || r.event == "tier-rollback" { since[r.name] = r.time }
      for filter in filters where filter.concerns(r) {
        for product in namesByProduct.keys where r.concerns(product) { since[product + " " + filter.tier] = r.time }
      }
    }
    let pins = Dictionary(allPins().map { (LoadsetStore.pinKey($0.series, tier: $0.tier), $0.target) }, uniquingKeysWith: { a, _ in a })
    let f = filter.map(NameFilter.init)
    func wanted(_ product: String) -> Bool {
      guard let f else { return true }
      return f.isCovered(by: product)
    }
    /// With a series or loadset filter, only what concerns it (a series, or a line naming it).
    func concerns(_ name: String, product: String) -> Bool {
      guard let f, f.stem != product else { return true }
      return f.relates(name)
    }
    for product in namesByProduct.keys.sorted() where wanted(product) {
      let map: TierMap
      do { map = try tierMap(for: product) } catch { out.problems.append("\(product): \(error.message)"); continue }
      let productNames = namesByProduct[product]!
      let series = Set(productNames.map(\.series)).sorted()
      let expected = (try? commandFiles(product: product, names: productNames)) ?? []
      for tier in map.tiers {
        var t = TierStatus.Tier(product: product, tier: tier.name, since: since[product + " " + tier.name])
        var fileNames = expected.filter { $0.tier == tier.name }.map(\.fileName)
        if fileNames.isEmpty { fileNames = ["\(product)-\(tier.name).K"] }
        for file in fileNames {
          let path = commandDirectory + "/" + file
          let text = Syscall.kind(path) == .file ? ((try? RegularFile.readText(path)) ?? nil) : nil
          let lines = text.map {
            $0.split(separator: "\n").filter { !$0.hasPrefix("#") }.map(String.init)
              .filter { concerns(String($0.split(separator: " ").last ?? "").replacingSuffix(".T"), product: product) }
          }
          t.commandFiles.append(.init(name: file, lines: lines))
        }
        for s in series where concerns(s.description, product: product) {
          let key = LoadsetStore.pinKey(s, tier: tier.name)
          let follows = s.type == .cfg ? tier.cfg : s.type == .bin ? tier.bin : tier.neg
          t.series.append(.init(series: s.description, pinned: pins[key], pinnedSince: pins[key] == nil ? nil : since[key], follows: follows))
        }
        out.tiers.append(t)
      }
    }
    return out
  }
}

/// `log --tier TIER`: which history records changed what a tier's command files name.
package final class TierLogFilter {
  let store: LoadsetStore
  let tier: String
  var maps: [String: TierMap.Tier?] = [:]
  /// Pins of this tier as the records seen so far left them (records come oldest first).
  var pinned: Set<String> = []

  package init(store: LoadsetStore, tier: String) {
    self.store = store
    self.tier = tier
  }

  /// The tier's row in the map of `product` (nil: the map does not name the tier, or is damaged).
  func row(_ product: String) -> TierMap.Tier? {
    if let cached = maps[product] { return cached }
    let found = (try? store.tierMap(for: product))?.tiers.first { $0.name == tier }
    maps[product] = found
    return found
  }

  /// True when `r` concerns the tier: its deploys and tier rollbacks; moves of the pointers its
  /// map row follows (`current`, `dev`, `stable`, `stale`); builds published while it follows
  /// `newest`; command-file rewrites that wrote its files; tags named after it (`PROD-…`).
  /// Moves and builds of a series pinned on the tier at the time did not change it. Feed it every
  /// record, oldest first.
  package func concerns(_ r: HistoryRecord) -> Bool {
    func follows(_ s: LoadsetSeries) -> Bool { !pinned.contains(LoadsetStore.pinKey(s, tier: tier)) }
    switch r.event {
    case "deploy", "tier-rollback":
      guard r.name.hasSuffix("@" + tier) else { return false }
      if r.to == "-" { pinned.remove(r.name) } else { pinned.insert(r.name) }
      return true
    case "move", "publish", "commands":
      return TierRecordRule.changes(r, tier: tier, row: row, follows: follows)
    case "tag":
      return r.to.hasPrefix(tier + "-")
    default:
      return false
    }
  }
}
