import RadmindFormat
import SystemCalls

/// The final merge's selection: a tournament (loser) tree over the run readers, each already on
/// its first record. Each internal node keeps the source that lost the match played there, so
/// replacing the winner replays one path from its leaf to the root: about log2(k) matches per
/// record, where a binary heap's sift-down plays two per level. Readers are held unretained
/// (the tree keeps them alive in `readers`), so the per-record loop does no reference counting.
///
/// Each node also keeps how many key bytes its loser shares with the source that beat it there
/// (an LCP loser tree). On the path of the record just written, that source was the record
/// itself, and a reader's next record knows what it shares with its previous one (``RunReader/lcp``).
/// So most matches are decided by comparing two numbers: the key that shares more with the record
/// just written sorts first. Only equal numbers compare bytes, from there on. Transcript paths
/// share long prefixes (half of the comparisons' bytes went over them before).
struct LoserTree: ~Copyable {
  private let readers: [RunReader]
  private let sources: UnsafeMutablePointer<Unmanaged<RunReader>>
  /// `losers[n]` for internal nodes 1 ..< k; `losers[0]` is the overall winner. -1 marks a
  /// source that has run out (it loses every match).
  private let losers: UnsafeMutablePointer<Int>
  /// `shared[n]`: the key bytes `losers[n]`'s record shares with the one that beat it at node n.
  private let shared: UnsafeMutablePointer<Int>
  private let count: Int

  init(_ readers: [RunReader]) {
    self.readers = readers
    count = readers.count
    sources = .allocate(capacity: max(1, count))
    for (i, r) in readers.enumerated() { sources[i] = Unmanaged.passUnretained(r) }
    losers = .allocate(capacity: max(1, count))
    shared = .allocate(capacity: max(1, count))
    shared.initialize(repeating: 0, count: max(1, count))
    losers[0] = count == 0 ? -1 : 0
    guard count > 1 else { return }
    // Leaves are nodes k ..< 2k (leaf i is node k + i); play every match bottom up.
    let winners = UnsafeMutablePointer<Int>.allocate(capacity: 2 * count)
    defer { winners.deallocate() }
    for i in 0 ..< count { winners[count + i] = i }
    for n in stride(from: count - 1, through: 1, by: -1) {
      let a = winners[2 * n], b = winners[2 * n + 1]
      let (aFirst, common) = match(a, b, from: 0)
      winners[n] = aFirst ? a : b
      losers[n] = aFirst ? b : a
      shared[n] = common
    }
    losers[0] = winners[1]
  }

  deinit {
    sources.deallocate()
    losers.deallocate()
    shared.deallocate()
  }

  /// The reader holding the smallest record, or nil when every run is done.
  var winner: RunReader? {
    let w = losers[0]
    return w < 0 ? nil : sources[w].takeUnretainedValue()
  }

  /// Plays sources `a` and `b`, whose keys agree on their first `from` bytes: whether `a` comes
  /// first (equal keys: the later input line first), and the bytes their keys share. A source
  /// that has run out loses (what it shares is then never read).
  @inline(__always)
  private func match(_ a: Int, _ b: Int, from: Int) -> (aFirst: Bool, shared: Int) {
    if a < 0 { return (false, 0) }
    if b < 0 { return (true, 0) }
    return sources[a]._withUnsafeGuaranteedRef { x in
      sources[b]._withUnsafeGuaranteedRef { y in
        // Keys always point into a run buffer or a chunk arena, so they have an address.
        let ka = x.key.baseAddress!.assumingMemoryBound(to: UInt8.self) + from
        let kb = y.key.baseAddress!.assumingMemoryBound(to: UInt8.self) + from
        let c = x.order.compareKeysSharing(ka, x.key.count - from, kb, y.key.count - from)
        return (c.order != 0 ? c.order < 0 : x.sequence > y.sequence, from + c.shared)
      }
    }
  }

  /// Moves the winner to its next record and replays its path to the root.
  mutating func advanceWinner() throws(SystemCallError) {
    var w = losers[0]
    guard w >= 0 else { return }
    var next: Result<Bool, SystemCallError> = .success(false)
    var h = 0  // what w's record shares with the record just written
    sources[w]._withUnsafeGuaranteedRef { r in
      do throws(SystemCallError) { next = .success(try r.advance()) } catch { next = .failure(error) }
      h = r.lcp
    }
    if try !next.get() { w = -1 }
    guard count > 1 else { losers[0] = w; return }
    var node = (count + (w < 0 ? losers[0] : w)) / 2
    while node >= 1 {
      let l = losers[node], hl = shared[node]
      if l < 0 {
        // An exhausted loser: w stays the winner.
      } else if w < 0 || hl > h {
        // l shares more with the record just written than w does (or w has run out): l first,
        // and w shares exactly h bytes with it.
        losers[node] = w
        shared[node] = h
        w = l
        h = hl
      } else if h == hl {
        let (wFirst, common) = match(w, l, from: h)
        if !wFirst {
          losers[node] = w
          w = l
        }
        shared[node] = common
      }
      // hl < h: w first; l shares exactly hl bytes with it, as recorded.
      node /= 2
    }
    losers[0] = w
  }
}
