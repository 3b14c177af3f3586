import RadmindFormat

/// Sorts a chunk's records by key with the next eight key bytes cached beside each record: a
/// most-significant-first string sort. The records are ordered by their cached 8-byte prefix (a
/// plain integer sort over 16-byte items, cache friendly); each group of equal prefixes then
/// loads the next eight bytes of its keys and sorts again, deeper. A key is read once per eight
/// bytes of depth instead of once per comparison, which is what made the comparison sort slow:
/// transcript paths share long prefixes, so most comparisons went past the first eight bytes to
/// two random places in the arena. Equal keys keep radmind's tie order: reverse input order.
struct PrefixCachingSort {
  struct Item {
    var prefix: UInt64
    /// The key and its length, carried along: a refill then reads the key alone, not two
    /// arrays indexed by the record first (three scattered reads per refill, measured slower).
    var key: UnsafePointer<UInt8>
    var length: UInt32
    var index: UInt32   // the record's position in input order (ties: higher first)
  }

  /// Below this many items a group is finished by insertion sort on the whole key.
  static let smallGroup = 12

  let order: PathOrder

  /// The order of `count` keys, as indices into `keys`/`lengths`, skipping `skip` bytes every
  /// key shares; and for each position, the bytes its key shares with the previous position's
  /// (0 for the first). The sort learns those almost for free: two neighbours that a level set
  /// apart share its depth plus the equal leading bytes of their prefixes. Runs are front-coded
  /// with them.
  static func order(count: Int, keys: UnsafePointer<UnsafePointer<UInt8>>, lengths: UnsafePointer<Int>,
                    skip: Int, order: PathOrder) -> (order: [Int], shared: [UInt32]) {
    let sorter = PrefixCachingSort(order: order)
    var items = [Item](unsafeUninitializedCapacity: count) { buffer, initialized in
      for k in 0 ..< count {
        buffer[k] = Item(prefix: order.keyPrefix(keys[k] + skip, lengths[k] - skip), key: keys[k],
                         length: UInt32(lengths[k]), index: UInt32(k))
      }
      initialized = count
    }
    var shared = [UInt32](repeating: 0, count: count)
    items.withUnsafeMutableBufferPointer { i in
      shared.withUnsafeMutableBufferPointer { sorter.sort(i, depth: skip, shared: $0.baseAddress!) }
    }
    return (items.map { Int($0.index) }, shared)
  }

  @inline(__always)
  func prefix(_ item: Item, depth: Int) -> UInt64 {
    order.keyPrefix(item.key + depth, Int(item.length) - depth)
  }

  /// True when item `a` sorts before `b`, comparing keys from `depth` on.
  @inline(__always)
  func precedes(_ a: Item, _ b: Item, depth: Int) -> Bool {
    if a.prefix != b.prefix { return a.prefix < b.prefix }
    let la = Int(a.length), lb = Int(b.length)
    let c = la <= depth || lb <= depth ? (la == lb ? 0 : (la < lb ? -1 : 1))
      : order.compareKeys(a.key + depth, la - depth, b.key + depth, lb - depth)
    if c != 0 { return c < 0 }
    return a.index > b.index
  }

  /// Sorts `items`, whose keys agree on their first `depth` bytes and whose prefixes hold the
  /// eight bytes from `depth`, and sets `shared[k]` for k ≥ 1 to the bytes the key at `k` shares
  /// with the one at `k - 1`.
  func sort(_ items: UnsafeMutableBufferPointer<Item>, depth: Int, shared: UnsafeMutablePointer<UInt32>) {
    if items.count <= PrefixCachingSort.smallGroup {
      insertionSort(items, depth: depth)
      for k in items.indices.dropFirst() {
        let a = items[k - 1], b = items[k]
        let n = min(Int(a.length), Int(b.length)) - depth
        shared[k] = UInt32(depth + (n > 0 ? PathOrder.commonPrefix(UnsafeRawBufferPointer(start: a.key + depth, count: n),
                                                                    UnsafeRawBufferPointer(start: b.key + depth, count: n)) : 0))
      }
      return
    }
    PrefixCachingSort.sortByPrefix(items)
    // Neighbours with different prefixes: equal up to the first differing weight (a key that
    // ended there has weight 0, so its length is that point).
    for k in items.indices.dropFirst() where items[k].prefix != items[k - 1].prefix {
      shared[k] = UInt32(depth + (items[k].prefix ^ items[k - 1].prefix).leadingZeroBitCount / 8)
    }
    var start = 0
    while start < items.count {
      let p = items[start].prefix
      var end = start + 1
      while end < items.count && items[end].prefix == p { end += 1 }
      if end - start > 1 {
        var group = UnsafeMutableBufferPointer(rebasing: items[start ..< end])
        if p & 0xFF == 0 {
          // The keys ended inside these eight bytes (weight 0 is the end): they are equal.
          group.sort { $0.index > $1.index }
          for k in start + 1 ..< end { shared[k] = items[k].length }
        } else {
          // Skip what the whole group shares past these eight bytes in one pass (paths in one
          // directory share it all), instead of one radix level per eight shared bytes.
          let next = depth + 8
          let deeper = group.count > PrefixCachingSort.smallGroup ? next + sharedLength(group, from: next) : next
          for k in group.indices { group[k].prefix = prefix(group[k], depth: deeper) }
          sort(group, depth: deeper, shared: shared + start)
        }
      }
      start = end
    }
  }

  /// The number of bytes from `depth` on that every key of `items` shares (each key is at least
  /// `depth` long), or 0 when that is less than eight. Reading each key here also brings the
  /// bytes the next prefix load needs into the cache.
  func sharedLength(_ items: UnsafeMutableBufferPointer<Item>, from depth: Int) -> Int {
    let first = items[0]
    let base = UnsafeRawPointer(first.key + depth)
    var shared = Int(first.length) - depth
    @inline(__always) func narrow(_ k: Int) {
      let item = items[k]
      let key = UnsafeRawBufferPointer(start: item.key + depth, count: min(shared, Int(item.length) - depth))
      shared = PathOrder.commonPrefix(UnsafeRawBufferPointer(start: base, count: shared), key)
    }
    // Two probes first: most groups share less than one more level (eight bytes), and then the
    // pass over every key costs more than the level it would save (measured with callgrind).
    narrow(items.count - 1)
    if shared >= 8 { narrow(items.count / 2) }
    var k = 1
    while shared >= 8 && k < items.count {
      narrow(k)
      k += 1
    }
    return shared >= 8 ? shared : 0
  }

  /// Orders items by their cached prefix alone (the order among equal prefixes is left to the
  /// caller): a least-significant-byte-first radix sort for large groups, skipping the bytes
  /// every item shares (eight passes at most, no comparisons), a quicksort for small ones.
  static func sortByPrefix(_ items: UnsafeMutableBufferPointer<Item>) {
    let n = items.count
    guard let start = items.baseAddress else { return }
    guard n >= 256 else {
      quickSortByPrefix(start, n)
      return
    }
    let counts = UnsafeMutablePointer<Int>.allocate(capacity: 8 * 256)
    counts.initialize(repeating: 0, count: 8 * 256)
    defer { counts.deallocate() }
    for k in 0 ..< n {
      var p = start[k].prefix
      for b in 0 ..< 8 {
        counts[b &* 256 &+ Int(p & 0xFF)] &+= 1
        p >>= 8
      }
    }
    let scratch = UnsafeMutablePointer<Item>.allocate(capacity: n)
    defer { scratch.deallocate() }
    var source = start, target = scratch
    for b in 0 ..< 8 {
      let shift = UInt64(8 * b), table = counts + b * 256
      if table[Int((start[0].prefix >> shift) & 0xFF)] == n { continue }  // one value: nothing to do
      var offset = 0
      for v in 0 ..< 256 {
        let c = table[v]
        table[v] = offset
        offset += c
      }
      for k in 0 ..< n {
        let item = source[k]
        let v = Int((item.prefix >> shift) & 0xFF)
        target[table[v]] = item
        table[v] &+= 1
      }
      swap(&source, &target)
    }
    if source != start { start.update(from: source, count: n) }
  }

  /// A quicksort on the prefix alone, for groups too small for the radix passes: no closure,
  /// no stability (equal prefixes are ordered by the caller), insertion sort below 16 items. The
  /// standard library's sort had been 7% of lsort's instructions here.
  static func quickSortByPrefix(_ items: UnsafeMutablePointer<Item>, _ count: Int) {
    var base = items, n = count
    while n > 16 {
      // Median of three: the pivot is one of the items, so both scans stop inside the range.
      let x = base[0].prefix, y = base[n / 2].prefix, z = base[n - 1].prefix
      let pivot = max(min(x, y), min(max(x, y), z))
      var i = -1, j = n
      while true {
        repeat { i += 1 } while base[i].prefix < pivot
        repeat { j -= 1 } while base[j].prefix > pivot
        if i >= j { break }
        let t = base[i]
        base[i] = base[j]
        base[j] = t
      }
      // [0, j] and [j + 1, n): recurse into the smaller part, go on with the larger.
      let left = j + 1
      if left < n - left {
        quickSortByPrefix(base, left)
        base += left
        n -= left
      } else {
        quickSortByPrefix(base + left, n - left)
        n = left
      }
    }
    if n < 2 { return }
    for i in 1 ..< n {
      let x = base[i]
      var j = i
      while j > 0 && base[j - 1].prefix > x.prefix {
        base[j] = base[j - 1]
        j -= 1
      }
      base[j] = x
    }
  }

  private func insertionSort(_ items: UnsafeMutableBufferPointer<Item>, depth: Int) {
    guard items.count > 1 else { return }
    for i in 1 ..< items.count {
      let x = items[i]
      var j = i
      while j > 0 && precedes(x, items[j - 1], depth: depth) {
        items[j] = items[j - 1]
        j -= 1
      }
      items[j] = x
    }
  }
}
