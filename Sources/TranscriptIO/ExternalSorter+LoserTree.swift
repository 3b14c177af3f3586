import SystemCalls

/// The final merge's selection: a tournament (loser) tree over the run readers, each already on
/// its first record. Each internal node keeps the source that lost the match played there, so
/// replacing the winner replays one path from its leaf to the root: about log2(k) comparisons
/// per record, where a binary heap's sift-down makes two per level. Readers are held unretained
/// (the tree keeps them alive in `readers`), so the per-record loop does no reference counting.
struct LoserTree: ~Copyable {
  private let readers: [RunReader]
  private let sources: UnsafeMutablePointer<Unmanaged<RunReader>>
  /// `losers[n]` for internal nodes 1 ..< k; `losers[0]` is the overall winner. -1 marks a
  /// source that has run out (it loses every match).
  private let losers: UnsafeMutablePointer<Int>
  private let count: Int

  init(_ readers: [RunReader]) {
    self.readers = readers
    count = readers.count
    sources = .allocate(capacity: max(1, count))
    for (i, r) in readers.enumerated() { sources[i] = Unmanaged.passUnretained(r) }
    losers = .allocate(capacity: max(1, count))
    losers[0] = count == 0 ? -1 : 0
    guard count > 1 else { return }
    // Leaves are nodes k ..< 2k (leaf i is node k + i); play every match bottom up.
    let winners = UnsafeMutablePointer<Int>.allocate(capacity: 2 * count)
    defer { winners.deallocate() }
    for i in 0 ..< count { winners[count + i] = i }
    for n in stride(from: count - 1, through: 1, by: -1) {
      let a = winners[2 * n], b = winners[2 * n + 1]
      if precedes(a, b) { winners[n] = a; losers[n] = b } else { winners[n] = b; losers[n] = a }
    }
    losers[0] = winners[1]
  }

  deinit {
    sources.deallocate()
    losers.deallocate()
  }

  /// The reader holding the smallest record, or nil when every run is done.
  var winner: RunReader? {
    let w = losers[0]
    return w < 0 ? nil : sources[w].takeUnretainedValue()
  }

  /// True when source `a`'s record comes first (equal keys: the later input line first).
  @inline(__always)
  private func precedes(_ a: Int, _ b: Int) -> Bool {
    if a < 0 { return false }
    if b < 0 { return true }
    return sources[a]._withUnsafeGuaranteedRef { x in sources[b]._withUnsafeGuaranteedRef { x.precedes($0) } }
  }

  /// Moves the winner to its next record and replays its path to the root.
  mutating func advanceWinner() throws(SystemCallError) {
    var w = losers[0]
    guard w >= 0 else { return }
    var next: Result<Bool, SystemCallError> = .success(false)
    sources[w]._withUnsafeGuaranteedRef { r in
      do throws(SystemCallError) { next = .success(try r.advance()) } catch { next = .failure(error) }
    }
    if try !next.get() { w = -1 }
    guard count > 1 else { losers[0] = w; return }
    var node = (count + (w < 0 ? losers[0] : w)) / 2
    while node >= 1 {
      if precedes(losers[node], w) { swap(&losers[node], &w) }
      node /= 2
    }
    losers[0] = w
  }
}
