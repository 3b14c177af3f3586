import SystemCalls

extension LoadsetStore {
  /// `verify`'s look at `.loadsmith/pins/`: every entry must be a `SERIES@TIER` pin of a tier that
  /// can be pinned, holding one line that names a published loadset of its series (what ``pin(of:tier:)``
  /// would accept). A damaged pin blocks every writer of its product, so verify names it first.
  func verifyPins(wanted: (String) -> Bool, into report: inout VerifyReport) {
    for entry in ((try? Syscall.listDirectoryNames(pinDirectory)) ?? []).sorted() where !entry.hasPrefix(".") {
      let at = entry.lastIndex(of: "@")
      let seriesName = at.map { String(entry[..<$0]) } ?? entry
      guard wanted(seriesName) else { continue }
      let before = report.problems.count
      defer { if report.problems.count > before { report.suspects.insert(seriesName) } }
      guard let at, let series = try? LoadsetSeries(parsing: seriesName) else {
        report.problems.append(".loadsmith/pins/\(entry): not a pin name (SERIES@TIER)")
        continue
      }
      if let problem = pinProblem(entry, target: "-") {
        report.problems.append(".loadsmith/pins/\(entry): \(problem)")
        continue
      }
      do { _ = try pin(of: series, tier: String(entry[entry.index(after: at)...])) } catch {
        report.problems.append(error.message)
      }
    }
  }
}
