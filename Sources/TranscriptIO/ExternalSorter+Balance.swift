/// How a full chunk's sorting is divided between the filling thread (which also reads and parses
/// the input) and the spilling thread (which also writes both sorted parts out as runs).
///
/// Neither share is right everywhere: it depends on how fast the input is read and the runs are
/// written. So after each full chunk the split moves by the measured idle time: when the
/// spilling thread was idle for `s` seconds before the next chunk came, records worth `s / 4` of
/// its sorting move to it (half of what would have balanced that chunk: an overshoot costs the
/// filling thread a wait); when the filling thread had to wait `w` seconds for it, records worth
/// `w / 4` move back. Its own sorting rate (seconds per record, on the part it just sorted)
/// turns time into records. On the 1.3M-line benchmark the split settles near 0.45.
struct SortBalance {
  /// The fraction of a full chunk's records the filling thread sorts.
  private(set) var fillerShare = 0.5
  static let lowestShare = 0.2, highestShare = 0.8

  /// When the spilling thread finished its last chunk, and how fast it sorted there.
  struct Report {
    var finished: ContinuousClock.Instant
    var secondsPerRecord: Double
  }

  /// Moves the split after one chunk. `waited`: seconds the filling thread waited for the
  /// spilling thread before handing over `records` records; `idle`: seconds the spilling thread
  /// waited for it.
  mutating func adjust(waited: Double, idle: Double, secondsPerRecord: Double, records: Int) {
    guard records > 0, secondsPerRecord > 0 else { return }
    let moved = (idle - waited) / 4 / secondsPerRecord / Double(records)
    fillerShare = min(SortBalance.highestShare, max(SortBalance.lowestShare, fillerShare - moved))
  }

  /// The records of `count` the filling thread keeps.
  func fillerRecords(of count: Int) -> Int { Int(Double(count) * fillerShare) }

  static func seconds(_ d: Duration) -> Double {
    let (s, atto) = d.components
    return Double(s) + Double(atto) * 1e-18
  }
}
