import Testing
@testable import RadmindFormat
@testable import TranscriptIO

@Suite struct PrefixCachingSortTests {
  /// Keys built to reach every branch: long shared prefixes (several 8-byte levels), `/` and
  /// bytes below it, non-ASCII bytes (the byte-wise path), equal keys (ties), keys ending
  /// inside and exactly at an 8-byte boundary, groups small and large.
  func keys(seed: UInt64, count: Int, stems: [[UInt8]]? = nil) -> [[UInt8]] {
    var state = seed
    func next(_ n: Int) -> Int {
      state = state &* 6364136223846793005 &+ 1442695040888963407
      return Int((state >> 33) % UInt64(n))
    }
    let alphabet: [UInt8] = [0x2F, 0x2E, 0x2D, 0x20, 0x21, 0x30, 0x41, 0x61, 0x7A, 0xC3, 0xA9, 0x5F]
    let stems: [[UInt8]] = stems ?? [Array("/usr/local/apache/modules/".utf8), Array("/usr/local/apache/modules".utf8),
                                     Array("/usr/local/".utf8), Array("/usr/local".utf8), []]
    return (0 ..< count).map { _ in
      var key = stems[next(stems.count)]
      for _ in 0 ..< next(20) { key.append(alphabet[next(alphabet.count)]) }
      return key
    }
  }

  /// Stems as deep as the benchmark's paths: groups share tens of bytes past their first eight,
  /// which the sort skips in one pass (``PrefixCachingSort/sharedLength(_:from:)``); one stem
  /// ends exactly where another's shared part does, one differs in its last byte.
  static let deepStems: [[UInt8]] = {
    let dir = Array("/usr/local/apache51093/locale9234/classes52733/conf90078/icons6868/include70309/doc68896".utf8)
    return [dir + [0x2F], dir, dir + Array("/sub/".utf8), Array(dir.dropLast()) + [0x37], dir + Array("/sub".utf8)]
  }()

  @Test("the prefix-caching sort orders keys as PathOrder does, ties in reverse input order",
        arguments: [(false, false), (true, false), (false, true), (true, true)])
  func matchesComparator(caseInsensitive: Bool, deep: Bool) {
    let order = PathOrder(caseInsensitive: caseInsensitive)
    for (seed, count) in [(1, 0), (2, 1), (3, 11), (4, 13), (5, 3000), (6, 20000)] as [(UInt64, Int)] {
      let raw = keys(seed: seed, count: count, stems: deep ? PrefixCachingSortTests.deepStems : nil)
      // Sort keys are what writeKey makes: folded under -I.
      let made = raw.map { key -> [UInt8] in
        var out = [UInt8](repeating: 0, count: key.count)
        let n = key.withUnsafeBytes { k in out.withUnsafeMutableBufferPointer { order.writeKey(encoded: k, to: $0.baseAddress!) } }
        return Array(out[..<n])
      }
      let expected = Array(made.indices).sorted { a, b in
        let c = order.compare(made[a], made[b])
        return c != 0 ? c < 0 : a > b
      }
      let stored = made.map { key -> UnsafePointer<UInt8> in
        let p = UnsafeMutablePointer<UInt8>.allocate(capacity: max(1, key.count))
        p.initialize(from: key, count: key.count)
        return UnsafePointer(p)
      }
      defer { stored.forEach { $0.deallocate() } }
      let lengths = made.map(\.count)
      for skip in [0, 5] where made.allSatisfy({ $0.count >= skip }) && made.allSatisfy({ $0.prefix(skip) == made.first?.prefix(skip) }) {
        let got = stored.withUnsafeBufferPointer { k in
          lengths.withUnsafeBufferPointer { l in
            PrefixCachingSort.order(count: count, keys: k.baseAddress ?? UnsafePointer(bitPattern: 8)!,
                                    lengths: l.baseAddress ?? UnsafePointer(bitPattern: 8)!, skip: skip, order: order)
          }
        }
        #expect(got.order == expected, "seed \(seed), \(count) keys, skip \(skip)")
        // What each key shares with the one before it (runs are front-coded with these).
        let shared = expected.indices.map { k -> UInt32 in
          k == 0 ? 0 : UInt32(zip(made[expected[k - 1]], made[expected[k]]).prefix { $0 == $1 }.count)
        }
        #expect(got.shared == shared, "seed \(seed), \(count) keys, skip \(skip): shared lengths")
      }
    }
  }

  @Test("eight ASCII bytes get their weights at once, as byte by byte")
  func keyPrefixWords() {
    let order = PathOrder.caseSensitive
    var bytes: [UInt8] = Array(0x01 ... 0x7F)
    bytes += Array("/a/b.c-d/././".utf8)
    for start in 0 ... bytes.count - 8 {
      let word = Array(bytes[start ..< start + 8])
      var expected: UInt64 = 0
      for b in word { expected = expected << 8 | UInt64(order.weight(b)) }
      #expect(word.withUnsafeBufferPointer { order.keyPrefix($0.baseAddress!, 8) } == expected)
    }
  }

  @Test("the prefix pass orders items by prefix and keeps every item (radix and quicksort sizes; random, few values, descending)")
  func radixByPrefix() {
    var state: UInt64 = 99
    func next() -> UInt64 {
      state = state &* 6364136223846793005 &+ 1442695040888963407
      return state
    }
    let noKey = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)  // sortByPrefix reads prefixes only
    defer { noKey.deallocate() }
    for count in [0, 1, 2, 16, 17, 40, 100, 255, 256, 257, 5000] {
      for pattern in 0 ..< 3 {
        // High bytes mostly shared, some bytes constant, low bytes random: every pass kind runs.
        // Few distinct values and a descending order test the quicksort's partition.
        var items = (0 ..< count).map { k in
          let random = 0x2F75_7300_0000_0000 | (next() >> 40) & 0xFF00_FF0F
          let prefix = pattern == 0 ? random : pattern == 1 ? random & 0x3 : UInt64(count - k)
          return PrefixCachingSort.Item(prefix: prefix, key: noKey, length: 0, index: UInt32(k))
        }
        items.withUnsafeMutableBufferPointer { PrefixCachingSort.sortByPrefix($0) }
        #expect(zip(items, items.dropFirst()).allSatisfy { $0.prefix <= $1.prefix })
        #expect(Set(items.map { Int($0.index) }) == Set(0 ..< count))
      }
    }
  }
}
