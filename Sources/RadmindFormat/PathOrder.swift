import SystemCalls

/// radmind's path order (spec §3): bytewise unsigned, except that `/` ranks below every other
/// byte while still ranking above the end of the string. With `caseInsensitive` (`-I`), A–Z fold
/// to a–z first. This is the one comparator in Loadsmith; every tool calls it.
public struct PathOrder: Sendable, Hashable {
  public var caseInsensitive: Bool

  public init(caseInsensitive: Bool = false) { self.caseInsensitive = caseInsensitive }

  public static let caseSensitive = PathOrder(caseInsensitive: false)

  @inlinable @inline(__always)
  static func fold(_ b: UInt8) -> UInt8 { (b &- 0x41) < 26 ? b | 0x20 : b }

  /// Maps a decoded byte to its sort weight: end-of-string (absent) < `/` < every other byte.
  /// The weight keeps byte order apart from `/`, so keys built from it compare with memcmp.
  @inlinable @inline(__always)
  public func weight(_ b: UInt8) -> UInt8 {
    let x = caseInsensitive ? PathOrder.fold(b) : b
    if x == 0x2F { return 0x01 }
    return x < 0x2F ? x &+ 1 : x
  }

  /// Compares two decoded paths. Negative, zero or positive like `strcmp`.
  @inlinable
  public func compare(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
    let n = Swift.min(a.count, b.count)
    var i = 0
    while i < n {
      let x = a[i], y = b[i]
      if x != y {
        let wx = weight(x), wy = weight(y)
        if wx != wy { return wx < wy ? -1 : 1 }
      }
      i += 1
    }
    return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
  }

  public func compare(_ a: [UInt8], _ b: [UInt8]) -> Int {
    a.withUnsafeBytes { pa in b.withUnsafeBytes { pb in compare(pa, pb) } }
  }

  /// Compares two *encoded* paths by their decoded bytes, decoding on the fly (no allocation).
  /// Invalid escapes are taken as the escaped byte itself; readers reject them before ordering.
  @inlinable
  public func compareEncoded(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
    // Skip the common raw prefix eight bytes at a time: identical encoded prefixes decode to
    // identical bytes with their escapes aligned, so the rest decides. A mismatch just after an
    // odd run of backslashes sits inside an escape: restart at the escape.
    var i = PathOrder.commonPrefix(a, b)
    let na = a.count, nb = b.count
    guard let pa = a.baseAddress, let pb = b.baseAddress else { return na == nb ? 0 : (na < nb ? -1 : 1) }
    var backslashes = 0
    while backslashes < i && pa.load(fromByteOffset: i - 1 - backslashes, as: UInt8.self) == 0x5C { backslashes += 1 }
    if backslashes & 1 == 1 { i -= 1 }
    var j = i
    while true {
      if i >= na || j >= nb {
        if i >= na && j >= nb { return 0 }
        return i >= na ? -1 : 1
      }
      var x = pa.load(fromByteOffset: i, as: UInt8.self), y = pb.load(fromByteOffset: j, as: UInt8.self)
      // Fast path: equal raw bytes that are not escapes stand for equal decoded bytes.
      if x == y && x != 0x5C { i += 1; j += 1; continue }
      if x == 0x5C && i + 1 < na {
        let e = pa.load(fromByteOffset: i + 1, as: UInt8.self)
        x = PathCodec.unescape(e) ?? e
        i += 2
      } else {
        i += 1
      }
      if y == 0x5C && j + 1 < nb {
        let e = pb.load(fromByteOffset: j + 1, as: UInt8.self)
        y = PathCodec.unescape(e) ?? e
        j += 2
      } else {
        j += 1
      }
      if x != y {
        let wx = weight(x), wy = weight(y)
        if wx != wy { return wx < wy ? -1 : 1 }
      }
    }
  }

  /// Length of the longest common byte prefix of `a` and `b`.
  @inlinable
  public static func commonPrefix(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
    let n = Swift.min(a.count, b.count)
    guard n > 0 else { return 0 }
    let pa = a.baseAddress!, pb = b.baseAddress!
    var i = 0
    // Thirty-two, then sixteen bytes at a time while they agree (transcript neighbours share
    // long prefixes: one test per 32 bytes halves the loop's work), then eight to find where
    // they differ.
    while i + 32 <= n {
      let x = pa.loadUnaligned(fromByteOffset: i, as: SIMD16<UInt8>.self)
      let y = pb.loadUnaligned(fromByteOffset: i, as: SIMD16<UInt8>.self)
      let x2 = pa.loadUnaligned(fromByteOffset: i + 16, as: SIMD16<UInt8>.self)
      let y2 = pb.loadUnaligned(fromByteOffset: i + 16, as: SIMD16<UInt8>.self)
      if any((x .!= y) .| (x2 .!= y2)) { break }
      i += 32
    }
    while i + 16 <= n {
      let x = pa.loadUnaligned(fromByteOffset: i, as: SIMD16<UInt8>.self)
      let y = pb.loadUnaligned(fromByteOffset: i, as: SIMD16<UInt8>.self)
      if any(x .!= y) { break }
      i += 16
    }
    while i + 8 <= n {
      let x = pa.loadUnaligned(fromByteOffset: i, as: UInt64.self)
      let y = pb.loadUnaligned(fromByteOffset: i, as: UInt64.self)
      if x != y { return i + (x ^ y).trailingZeroBitCount / 8 }
      i += 8
    }
    while i < n && pa.load(fromByteOffset: i, as: UInt8.self) == pb.load(fromByteOffset: i, as: UInt8.self) { i += 1 }
    return i
  }

  public func compareEncoded(_ a: [UInt8], _ b: [UInt8]) -> Int {
    a.withUnsafeBytes { pa in b.withUnsafeBytes { pb in compareEncoded(pa, pb) } }
  }

  /// Writes the *sort key* of an encoded path to `out` (room for `encoded.count` bytes) and returns
  /// its length. The key is the decoded path, A–Z folded under `-I`; compare keys with
  /// ``compareKeys(_:_:_:_:)``. Paths without a backslash decode with one `memcpy`.
  @inlinable
  public func writeKey(encoded: UnsafeRawBufferPointer, to out: UnsafeMutablePointer<UInt8>) -> Int {
    guard let src = encoded.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return 0 }
    let n = encoded.count
    var length = n
    if Bytes.find(0x5C, in: src, count: n) == nil {
      out.update(from: src, count: n)
    } else {
      var i = 0, o = 0
      while i < n {
        var x = src[i]
        if x == 0x5C && i + 1 < n {
          x = PathCodec.unescape(src[i + 1]) ?? src[i + 1]
          i += 2
        } else {
          i += 1
        }
        out[o] = x
        o += 1
      }
      length = o
    }
    if caseInsensitive {
      for k in 0 ..< length { out[k] = PathOrder.fold(out[k]) }
    }
    return length
  }

  /// The first eight bytes of a key as a number whose order is the key order (for a fast first
  /// comparison); shorter keys are padded with the end-of-string weight 0.
  @inlinable
  public func keyPrefix(_ key: UnsafePointer<UInt8>, _ length: Int) -> UInt64 {
    if length >= 8 && !caseInsensitive {
      // Eight ASCII bytes map to their weights at once: +1 for bytes below `/`, `/` itself to 1.
      let x = UInt64(bigEndian: UnsafeRawPointer(key).loadUnaligned(as: UInt64.self))
      let high: UInt64 = 0x8080_8080_8080_8080, ones: UInt64 = 0x0101_0101_0101_0101
      if x & high == 0 {
        let atMostSlash = ((0xAF * ones &- x) & high) >> 7   // 1 in each byte <= 0x2F
        let slash = ((high &- (x ^ (0x2F * ones))) & high) >> 7  // 1 in each byte == 0x2F
        return x &+ atMostSlash &- slash &* 0x2F
      }
    }
    var prefix: UInt64 = 0
    for k in 0 ..< 8 {
      prefix <<= 8
      if k < length { prefix |= UInt64(weight(key[k])) }
    }
    return prefix
  }

  /// Compares two keys made by ``writeKey(encoded:to:)``: the common prefix is skipped eight
  /// bytes at a time, then the first differing bytes decide by their ``weight(_:)``.
  @inlinable
  public func compareKeys(_ a: UnsafePointer<UInt8>, _ la: Int, _ b: UnsafePointer<UInt8>, _ lb: Int) -> Int {
    compareKeysSharing(a, la, b, lb).order
  }

  /// ``compareKeys(_:_:_:_:)``, and also how many bytes the two keys share (the merge's loser
  /// tree keeps that).
  @inlinable
  public func compareKeysSharing(_ a: UnsafePointer<UInt8>, _ la: Int, _ b: UnsafePointer<UInt8>,
                                 _ lb: Int) -> (order: Int, shared: Int) {
    let i = PathOrder.commonPrefix(UnsafeRawBufferPointer(start: a, count: la), UnsafeRawBufferPointer(start: b, count: lb))
    if i < la && i < lb {
      let wa = weight(a[i]), wb = weight(b[i])
      return (wa < wb ? -1 : (wa > wb ? 1 : 0), i)
    }
    return (la == lb ? 0 : (la < lb ? -1 : 1), i)
  }

  /// True when `path` is `parent` itself or lies below it (radmind's `ischild`, decoded paths).
  /// The root `/` contains every absolute path; `.` contains every relative one.
  public func isInside(_ path: [UInt8], _ parent: [UInt8]) -> Bool {
    if parent == [0x2F] { return path.first == 0x2F }
    if path.count < parent.count { return false }
    for k in 0..<parent.count {
      let x = path[k], y = parent[k]
      if x != y && !(caseInsensitive && PathOrder.fold(x) == PathOrder.fold(y)) { return false }
    }
    return path.count == parent.count || path[parent.count] == 0x2F
  }
}
