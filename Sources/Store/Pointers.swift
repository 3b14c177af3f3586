/// Release, promotion and rollback: pointer moves. Each one is a single intent record (links,
/// last-known-good, command files, history), so it completes as one logical step even across a
/// crash, and its cost does not depend on the size of the loadsets (it touches symlinks and a few
/// small files, never a transcript's contents).
package struct PointerMove: Sendable, Equatable, CustomStringConvertible {
  package var pointer: String
  package var from: String?
  package var to: String
  package var description: String { "\(pointer): \(from ?? "(unset)") -> \(to)" }
}

extension LoadsetStore {
  func checksum(of loadset: String) -> String {
    metadata(of: loadset)?.loggedChecksum ?? "-"
  }

  /// The intent of pointer moves: links, command files, then (in a store with a DSL) the tags of
  /// every build `current` moves to, then the history records (one per move and per tag).
  func moveIntent(_ operation: String, _ moves: [PointerMove], product: String, dsl: String? = nil) -> Intent {
    var intent = Intent(operation: operation)
    for m in moves { intent.actions.append(.link(pointer: m.pointer, target: m.to)) }
    intent.actions.append(.commands(product: product))
    var tags: [Intent.Action] = []
    for m in moves {
      // PROD follows `current`: a move of a `current` pointer is a production move.
      if let p = try? LoadsetName(parsing: m.pointer), case .current = p { tags += tagActions(for: m.to, dsl: dsl) }
    }
    intent.actions += tags
    for m in moves {
      intent.actions.append(.log(event: "move", name: m.pointer, from: m.from ?? "-", to: m.to, checksum: checksum(of: m.to)))
    }
    for case .tag(_, let tag, let loadset) in tags {
      intent.actions.append(.log(event: "tag", name: loadset, from: "-", to: tag, checksum: "-"))
    }
    return intent
  }

  static func binSeries(_ text: String) throws(StoreError) -> LoadsetSeries {
    let series: LoadsetSeries
    do { series = try LoadsetSeries(parsing: text) } catch { throw .name(error) }
    guard series.type != .cfg else {
      throw StoreError(.usage, "'\(text)' is a cfg series: cfg loadsets are promoted (loadsmith promote), not released")
    }
    return series
  }

  /// `release SERIES VERSION`: `current` moves to the build; the build it left becomes
  /// last-known-good. Releasing the build already current changes nothing.
  ///
  /// In a store with a DSL (`init --dsl`) a build is released only once it is archived:
  /// `archiver` (the Library's) archives it under the writer lock, after the checks and before
  /// anything changes; without one, or if the build is still not archived afterwards, the release
  /// is refused and `current` stays. The `Release-…` and `PROD-…` tags are then steps of the
  /// release's intent, after the pointer move: a crash leaves neither or both.
  package func release(_ seriesName: String, version: String,
                      archiver: ReleaseArchiver? = nil) throws(StoreError) -> ReleaseOutcome {
    let series = try LoadsetStore.binSeries(seriesName)
    let v: LoadsetVersion
    do { v = try LoadsetVersion(parsing: version) } catch { throw .name(error) }
    return try write { () throws(StoreError) -> ReleaseOutcome in
      let build = LoadsetName.build(series, v)
      guard isPublished(build) else {
        if let nodes = try nodeVersions(of: series)[v] {
          throw StoreError(.usage, "\(build.fileName) is not built (nodes \(nodes.map(String.init).joined(separator: ", ")) are captured): run 'loadsmith build \(series) \(v)' first")
        }
        throw StoreError(.usage, "\(build.fileName) does not exist: version \(v) of \(series) was never captured and built")
      }
      let current = LoadsetName.current(series)
      let old = pointerTarget(current)
      if old == build.fileName { return ReleaseOutcome(move: nil, lastKnownGood: try lastKnownGood(of: series), tags: []) }
      let dsl = dslDirectory
      if let dsl {
        guard let archiver else {
          throw StoreError(.usage, "release refused: this store archives every release into its DSL \(dsl), and no archiver was given")
        }
        try archiver.ensureArchived(build, from: self, dsl: dsl)
        guard DSLTags.isArchived(dsl: dsl, build) else {
          throw StoreError(.store, "release refused: \(build.fileName) is not archived in \(dsl)")
        }
      }
      let move = PointerMove(pointer: current.fileName, from: old, to: build.fileName)
      var intent = moveIntent("release \(series) \(v)", [move], product: series.product, dsl: dsl)
      let previousGood = try lastKnownGood(of: series)
      // A dangling or hand-edited current is not worth going back to: say so, record nothing.
      var newGood = previousGood
      if let old, let problem = targetProblem(old, of: series) {
        warn("\(current.fileName) pointed at \(problem); not recorded as last-known-good")
      } else if let old {
        newGood = old
        intent.actions.insert(.lastKnownGood(series: series.description, build: old), at: 1)
        intent.actions.append(.log(event: "lkg", name: series.description, from: previousGood ?? "-",
                                   to: old, checksum: checksum(of: old)))
      }
      let tags = try commit(intent)
      return ReleaseOutcome(move: move, lastKnownGood: newGood, tags: tags)
    }
  }

  /// What `release` did: the pointer move (nil when `current` already pointed at the build), the
  /// series' last-known-good afterwards, and the DSL tags its intent wrote.
  package struct ReleaseOutcome: Sendable {
    package var move: PointerMove?
    package var lastKnownGood: String?
    package var tags: [String]
  }

  /// `rollback SERIES [--to VERSION]`: `current` back to last-known-good (or the named build).
  /// `rollback FAMILY-COMPONENT-cfg`: `stable` back to `stale`.
  package func rollback(_ seriesName: String, to version: String? = nil) throws(StoreError) -> (move: PointerMove, tags: [String]) {
    let series: LoadsetSeries
    do { series = try LoadsetSeries(parsing: seriesName) } catch { throw .name(error) }
    let v: LoadsetVersion?
    do { v = try version.map { (s) throws(LoadsetNameError) in try LoadsetVersion(parsing: s) } } catch { throw .name(error) }
    if series.type == .cfg && v != nil {
      throw StoreError(.usage, "--to applies to bin and neg series; a cfg rollback moves stable back to stale")
    }
    return try write { () throws(StoreError) -> (move: PointerMove, tags: [String]) in
      if series.type == .cfg {
        let stable = LoadsetName.configurationPointer(series, .stable)
    guard let stale = try checkedPointerTarget(.configurationPointer(series, .stale)) else {
          throw StoreError(.usage, "\(series): nothing to roll back to (no stale cfg; promote twice first)")
        }
        let old = pointerTarget(stable)
        guard old != stale else {
          throw StoreError(.usage, "\(series): stable is already the stale cfg \(stale); nothing to roll back to")
        }
        let move = PointerMove(pointer: stable.fileName, from: old, to: stale)
        let tags = try commit(moveIntent("rollback \(series)", [move], product: series.product))
        return (move, tags)
      }
      let current = LoadsetName.current(series)
      let old = pointerTarget(current)
      let target: String
      if let v {
        let build = LoadsetName.build(series, v)
        guard isPublished(build) else {
          throw StoreError(.usage, "cannot roll back to \(build.fileName): no such build")
        }
        target = build.fileName
      } else {
        guard let lkg = try checkedLastKnownGood(of: series) else {
          throw StoreError(.usage, "\(series): nothing to roll back to (no last-known-good: fewer than two releases)")
        }
        target = lkg
      }
      guard old != target else {
        throw StoreError(.usage, "\(series): current is already \(target); nothing to roll back")
      }
      let move = PointerMove(pointer: current.fileName, from: old, to: target)
      let dsl = dslDirectory
      if let dsl, let name = try? LoadsetName(parsing: target), !DSLTags.isArchived(dsl: dsl, name) {
        warn("\(target) is not archived in \(dsl); no PROD tag")
      }
      let tags = try commit(moveIntent("rollback \(series)", [move], product: series.product, dsl: dsl))
      return (move, tags)
    }
  }

  /// `promote FAMILY-COMPONENT-cfg` (or `FAMILY-COMPONENT`): stale ← stable, stable ← dev, as one
  /// intent (both pointer pairs, then command files, then history).
  package func promote(_ name: String) throws(StoreError) -> [PointerMove] {
    let seriesText = name.hasSuffix("-cfg") ? name : name + "-cfg"
    let series: LoadsetSeries
    do { series = try LoadsetSeries(parsing: seriesText) } catch { throw .name(error) }
    guard series.type == .cfg else { throw StoreError(.usage, "'\(name)': only cfg series are promoted") }
    return try write { () throws(StoreError) -> [PointerMove] in
      guard let dev = try checkedPointerTarget(.configurationPointer(series, .dev)) else {
        throw StoreError(.usage, "\(series): nothing to promote (no dev cfg; capture one with --loadset \(series))")
      }
      let stableName = LoadsetName.configurationPointer(series, .stable)
      let staleName = LoadsetName.configurationPointer(series, .stale)
      let stable = pointerTarget(stableName)
      guard stable != dev else {
        throw StoreError(.usage, "\(series): dev and stable are both \(dev); capture a new cfg before promoting")
      }
      var moves: [PointerMove] = []
      // A dangling or hand-edited stable is not kept as stale: say so, and promote over it.
      if let stable, let problem = targetProblem(stable, of: series) {
        warn("\(stableName.fileName) pointed at \(problem); stale not moved")
      } else if let stable {
        moves.append(PointerMove(pointer: staleName.fileName, from: pointerTarget(staleName), to: stable))
      }
      moves.append(PointerMove(pointer: stableName.fileName, from: stable, to: dev))
      try commit(moveIntent("promote \(series)", moves, product: series.product))
      return moves
    }
  }
}
