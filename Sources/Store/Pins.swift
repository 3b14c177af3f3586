import SystemCalls
import TranscriptIO

/// Tier pins: `.loadsmith/pins/SERIES@TIER` holds one line, the immutable loadset (a build of a
/// bin or neg series, a snapshot of a cfg series) that tier's command files name for that series.
/// A series without a pin on a tier follows the tier map (`.loadsmith/tiers`). Pins are store
/// state like pointers: changed only under the lock, through one intent (pin, the product's
/// command files, a history record).
///
/// PROD is never pinned: it follows `current` and `stable`, which `release`, `promote` and
/// `rollback` move.
package struct PinChange: Sendable, Equatable, CustomStringConvertible {
  package var series: String
  package var tier: String
  /// The pinned loadset before and after; nil: following the tier map.
  package var from: String?
  package var to: String?
  package var changed: Bool { from != to }
  package var description: String {
    "\(series) on \(tier): \(from ?? "(tier map)") -> \(to ?? "(tier map)")"
  }
}

extension LoadsetStore {
  var pinDirectory: String { stateDirectory + "/pins" }

  /// The tier that only `release`, `promote` and `rollback` move.
  package static let productionTier = "PROD"

  /// The pin's key, also its file name and the history record's name: `SERIES@TIER`.
  static func pinKey(_ series: LoadsetSeries, tier: String) -> String { "\(series)@\(tier)" }

  func pinPath(_ series: LoadsetSeries, tier: String) -> String {
    pinDirectory + "/" + LoadsetStore.pinKey(series, tier: tier)
  }

  /// The loadset `series` is pinned to on `tier`, nil when the tier follows the map. A pin file
  /// that is not one line naming a published loadset of the series is a damaged record: a clear
  /// error, so nothing is written from it.
  package func pin(of series: LoadsetSeries, tier: String) throws(StoreError) -> String? {
    let path = pinPath(series, tier: tier)
    if let kind = RegularFile.typeIfNotRegular(path) {
      throw StoreError(.store, "\(path): damaged pin record: it is \(kind), not a regular file; nothing changed (remove it to hand \(tier) back to the tier map)")
    }
    guard let text = try sys(RegularFile.readText(path)) else { return nil }
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    guard lines.count == 2, lines[1].isEmpty, let target = lines.first.map(String.init) else {
      throw StoreError(.store, "\(path): damaged pin record: expected one line naming a loadset; nothing changed (remove it to hand \(tier) back to the tier map)")
    }
    if let problem = targetProblem(target, of: series) {
      throw StoreError(.store, "\(path): damaged pin record: \(problem); nothing changed (remove it to hand \(tier) back to the tier map)")
    }
    return target
  }

  /// Every pin file as (series, tier, first line), damaged or not: what prune must keep and
  /// status shows. Names that are not `SERIES@TIER` are skipped (and reported by verify).
  func allPins() -> [(series: LoadsetSeries, tier: String, target: String)] {
    var out: [(LoadsetSeries, String, String)] = []
    for entry in ((try? Syscall.listDirectoryNames(pinDirectory)) ?? []).sorted() where !entry.hasPrefix(".") {
      guard let at = entry.lastIndex(of: "@"),
            let series = try? LoadsetSeries(parsing: String(entry[..<at])) else { continue }
      let text = (try? RegularFile.readText(pinDirectory + "/" + entry)) ?? nil
      let first = text?.split(separator: "\n").first.map(String.init) ?? ""
      out.append((series, String(entry[entry.index(after: at)...]), first))
    }
    return out
  }

  /// Writes (or, for `target` "-", removes) a pin: the intent's `pin` step. Idempotent.
  func applyPin(_ key: String, target: String) throws(StoreError) {
    try sys(Syscall.makeDirectoryIfMissing(pinDirectory))
    let path = pinDirectory + "/" + key
    if target == "-" {
      do { try Syscall.unlink(Array(path.utf8)) } catch { if error.errno != Errno.noEntry { throw .system(error) } }
      try? Syscall.syncDirectory(pinDirectory)
    } else if try sys(RegularFile.readText(path)) != target + "\n" {
      try sys(AtomicFile.replace(path, with: target + "\n"))
    }
    FaultInjection.checkpoint("pin")
  }

  /// Why a `pin` step of an intent could not be carried out, or nil.
  func pinProblem(_ key: String, target: String) -> String? {
    guard let at = key.lastIndex(of: "@"),
          let series = try? LoadsetSeries(parsing: String(key[..<at])), series.description == String(key[..<at]) else {
      return "'\(key)' is not a pin name (SERIES@TIER)"
    }
    let tier = String(key[key.index(after: at)...])
    guard !tier.isEmpty, tier.allSatisfy({ $0.isLetter || $0.isNumber }), tier != LoadsetStore.productionTier else {
      return "'\(tier)' is not a tier that can be pinned"
    }
    // A long series with a long tier can pass both their own limits and still make a pin file
    // name (with its atomic temporary) past NAME_MAX: refused here, before any intent exists.
    if let problem = StoreNameLimits.atomicFileProblem(key) { return "pin \(problem)" }
    switch Syscall.kind(pinDirectory + "/" + key) {
    case .missing, .file: break
    default: return "\(pinDirectory)/\(key) is not a regular file; move it out of the way"
    }
    if target != "-", let problem = targetProblem(target, of: series) { return "\(key) cannot pin \(problem)" }
    return nil
  }

  /// The tier map's tier named `tier` for `product`; a clear refusal when the map does not name it.
  func mappedTier(_ tier: String, product: String) throws(StoreError) -> TierMap.Tier {
    let map = try tierMap(for: product)
    guard let found = map.tiers.first(where: { $0.name == tier }) else {
      throw StoreError(.usage, "tier '\(tier)' is not in the tier map of \(product) (\(map.tiers.map(\.name).joined(separator: ", "))); nothing changed")
    }
    return found
  }

  /// `deploy SERIES VERSION --tier TIER` (bin, neg), `deploy FAMILY-COMPONENT-cfg
  /// SNAPSHOT|dev|stable|stale --tier TIER` (cfg; a pointer is resolved once, to the snapshot it
  /// names now), or with `what` nil (`--unpin`) the tier back to its tier map. One intent: the
  /// pin, the product's command files, a `deploy` history record.
  package func deploy(_ seriesName: String, _ what: String?, tier: String) throws(StoreError) -> PinChange {
    let series: LoadsetSeries
    do { series = try LoadsetSeries(parsing: seriesName) } catch { throw .name(error) }
    if tier == LoadsetStore.productionTier {
      throw StoreError(.usage, "\(tier) is moved only by 'loadsmith release' (bin, neg) and 'loadsmith promote' (cfg); deploy puts loadsets on the other tiers; nothing changed")
    }
    return try write { () throws(StoreError) -> PinChange in
      _ = try mappedTier(tier, product: series.product)
      let target: String? = try what.map { (w) throws(StoreError) -> String in try deployTarget(series, w) }
      let old = try pin(of: series, tier: tier)
      let change = PinChange(series: series.description, tier: tier, from: old, to: target)
      guard change.changed else { return change }
      let operation = "deploy \(series) \(what ?? "--unpin") --tier \(tier)"
      try commit(pinIntent(operation, change, event: "deploy", product: series.product))
      return change
    }
  }

  /// `rollback SERIES --tier TIER`: the tier back to the pin it had before its latest deploy (or
  /// to the tier map, if it followed the map then). Deploys and tier rollbacks of one series and
  /// tier form a stack in the history: a deploy pushes, a rollback pops.
  package func rollback(_ seriesName: String, tier: String) throws(StoreError) -> PinChange {
    let series: LoadsetSeries
    do { series = try LoadsetSeries(parsing: seriesName) } catch { throw .name(error) }
    if tier == LoadsetStore.productionTier {
      throw StoreError(.usage, "\(tier) is never pinned: roll it back with 'loadsmith rollback \(series)' (without --tier); nothing changed")
    }
    return try write { () throws(StoreError) -> PinChange in
      _ = try mappedTier(tier, product: series.product)
      let old = try pin(of: series, tier: tier)
      let key = LoadsetStore.pinKey(series, tier: tier)
      var stack = ["-"]
      try forEachHistoryRecord { (r) throws(StoreError) in
        guard r.name == key else { return }
        if r.event == "deploy" { stack.append(r.to) } else if r.event == "tier-rollback", stack.count > 1 { stack.removeLast() }
      }
      guard stack.last == (old ?? "-") else {
        throw StoreError(.store, "\(pinPath(series, tier: tier)): damaged pin record: it says \(old ?? "(no pin)") but the history's last deploy of \(key) says \(stack.last!); nothing changed (deploy the wanted version explicitly)")
      }
      guard stack.count > 1 else {
        throw StoreError(.usage, "\(key): nothing to roll back to (no deploy to \(tier) recorded); nothing changed")
      }
      let previous = stack[stack.count - 2]
      if previous != "-", let problem = targetProblem(previous, of: series) {
        throw StoreError(.usage, "\(key): cannot roll back: the previous pin \(problem); nothing changed (deploy another version)")
      }
      let change = PinChange(series: series.description, tier: tier, from: old, to: previous == "-" ? nil : previous)
      try commit(pinIntent("rollback \(series) --tier \(tier)", change, event: "tier-rollback", product: series.product))
      return change
    }
  }

  /// The immutable loadset `what` names in `series`: a built version (bin, neg), or a snapshot
  /// number or cfg pointer (cfg). Refuses what is not published.
  func deployTarget(_ series: LoadsetSeries, _ what: String) throws(StoreError) -> String {
    if series.type == .cfg {
      if let p = ConfigurationPointer(rawValue: what) {
        guard let target = try checkedPointerTarget(.configurationPointer(series, p)) else {
          throw StoreError(.usage, "\(series): \(p.rawValue) is not set; nothing to deploy")
        }
        return target
      }
      guard what.count == 4, what.allSatisfy(\.isASCIIDigit), let n = Int(what) else {
        throw StoreError(.usage, "'\(what)': a cfg series deploys a snapshot number (0003), dev, stable or stale")
      }
      let name = LoadsetName.snapshot(series, n)
      guard isPublished(name) else {
        throw StoreError(.usage, "\(name.fileName) does not exist: \(series) has no snapshot \(what); nothing changed")
      }
      return name.fileName
    }
    let v: LoadsetVersion
    do { v = try LoadsetVersion(parsing: what) } catch { throw .name(error) }
    let build = LoadsetName.build(series, v)
    guard isPublished(build) else {
      if try nodeVersions(of: series)[v] != nil {
        throw StoreError(.usage, "\(build.fileName) is not built: run 'loadsmith build \(series) \(v)' first; nothing changed")
      }
      throw StoreError(.usage, "\(build.fileName) does not exist: version \(v) of \(series) was never captured and built; nothing changed")
    }
    return build.fileName
  }

  func pinIntent(_ operation: String, _ change: PinChange, event: String, product: String) -> Intent {
    var intent = Intent(operation: operation)
    let key = change.series + "@" + change.tier
    intent.actions.append(.pin(key: key, target: change.to ?? "-"))
    intent.actions.append(.commands(product: product))
    intent.actions.append(.log(event: event, name: key, from: change.from ?? "-", to: change.to ?? "-",
                               checksum: change.to.map { checksum(of: $0) } ?? "-"))
    return intent
  }
}
