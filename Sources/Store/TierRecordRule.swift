extension TierMap.Tier {
  /// The row's column for a series of `type`: what that series' line in the tier's command file follows.
  package func column(_ type: LoadsetType) -> String { type == .bin ? bin : type == .neg ? neg : cfg }
}

/// The one rule for "did this history record change what a tier's command files name", shared
/// by `log --tier` and tier status (``TierLogFilter``) and by serve's history filter.
package enum TierRecordRule {
  /// True for a rewrite of the tier's command files, a move of a pointer the tier's map row
  /// follows (`current`, `dev`, `stable`, `stale`) or a build published while it follows `newest`.
  /// `row` gives the tier's row in a product's map (nil: the map does not name the tier);
  /// `follows` is false for a series pinned on the tier (its moves and builds change nothing).
  package static func changes(_ r: HistoryRecord, tier: String, row: (String) -> TierMap.Tier?,
                              follows: (LoadsetSeries) -> Bool) -> Bool {
    switch r.event {
    case "commands":
      return r.to.split(separator: ",").contains { $0.hasSuffix("-" + tier + ".K") }
    case "move", "publish":
      guard let name = try? LoadsetName(parsing: r.name), let row = row(name.series.product) else { return false }
      let column = row.column(name.series.type)
      switch name {
      case .current(let s): return r.event == "move" && column == "current" && follows(s)
      case .configurationPointer(let s, let p): return r.event == "move" && column == p.rawValue && follows(s)
      case .build(let s, _): return r.event == "publish" && column == "newest" && follows(s)
      default: return false
      }
    default:
      return false
    }
  }
}
