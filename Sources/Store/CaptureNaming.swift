/// What `capture` and `capture --base` decide alike: the names they publish, and the records
/// that end their intent.
extension LoadsetStore {
  /// The loadsets a capture publishes (under the lock): the series' next cfg snapshot, or one
  /// loadset per node of the chosen version.
  func captureNames(_ series: LoadsetSeries, _ choice: VersionChoice, nodes: Int) throws(StoreError) -> [LoadsetName] {
    switch series.type {
    case .cfg:
      let name = LoadsetName.snapshot(series, (try snapshots(of: series).last ?? 0) + 1)
      if case .snapshot(_, let n) = name, n > 9999 { throw StoreError(.usage, "\(series): snapshot numbers are exhausted (9999)") }
      return [name]
    case .bin, .neg:
      let version = try chooseVersion(series, choice)
      return (1...nodes).map { LoadsetName.node(series, version, $0) }
    }
  }

  /// Appends a publish record per loadset (`checksums` in the same order) and, for a cfg
  /// snapshot, moves the series' `dev` pointer to it (link and command files right after the
  /// publishes, the move logged last).
  func finishCaptureIntent(_ intent: inout Intent, names: [LoadsetName], series: LoadsetSeries, digest: String,
                           checksums: [String], result: inout CaptureResult) {
    for (name, checksum) in zip(names, checksums) {
      intent.actions.append(.log(event: "publish", name: name.fileName, from: "-", to: "-",
                                 checksum: HistoryRecord.checksumField(digest: digest, checksum)))
    }
    guard series.type == .cfg else { return }
    let dev = LoadsetName.configurationPointer(series, .dev)
    let move = PointerMove(pointer: dev.fileName, from: pointerTarget(dev), to: names[0].fileName)
    intent.actions.insert(.link(pointer: move.pointer, target: move.to), at: names.count)
    intent.actions.insert(.commands(product: series.product), at: names.count + 1)
    intent.actions.append(.log(event: "move", name: move.pointer, from: move.from ?? "-", to: move.to,
                               checksum: HistoryRecord.checksumField(digest: digest, checksums[0])))
    result.moves.append(move)
  }
}

extension CaptureResult {
  /// Counts one staged node loadset and lists it for publishing by `intent`.
  mutating func addStaged(_ name: LoadsetName, staged: String, files: Int, bytes: Int64, entries: Int, notes: [String],
                          to intent: inout Intent) {
    self.files += files
    self.bytes += bytes
    self.entries += entries
    self.notes += notes
    intent.actions.append(.publish(staged: String(staged.split(separator: "/").last!), name: name.fileName))
    loadsets.append(name.fileName)
  }
}
