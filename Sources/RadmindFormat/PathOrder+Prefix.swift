extension PathOrder {
  /// The same result as ``compareEncoded(_:_:)-(UnsafeRawBufferPointer,UnsafeRawBufferPointer)``,
  /// faster on the common case of sorted neighbours that share a long prefix: the identical
  /// leading bytes are skipped eight at a time, then the comparison restarts at the first
  /// difference (or one byte earlier when that difference is the second byte of an escape).
  /// Identical encoded prefixes decode to identical bytes with escapes aligned in both, so the
  /// suffixes decide the order.
  @inlinable
  public func compareEncodedSkippingPrefix(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
    let n = Swift.min(a.count, b.count)
    guard n > 0, let pa = a.baseAddress, let pb = b.baseAddress else { return compareEncoded(a, b) }
    var m = 0
    while m + 8 <= n {
      let x = pa.loadUnaligned(fromByteOffset: m, as: UInt64.self)
      let y = pb.loadUnaligned(fromByteOffset: m, as: UInt64.self)
      if x != y {
        m += (x ^ y).littleEndian.trailingZeroBitCount >> 3
        break
      }
      m += 8
    }
    if m + 8 > n { while m < n && pa.load(fromByteOffset: m, as: UInt8.self) == pb.load(fromByteOffset: m, as: UInt8.self) { m += 1 } }
    // Do not restart inside an escape: an odd run of backslashes before m means a[m-1] opens one.
    var s = m
    var run = 0
    while s - run > 0 && pa.load(fromByteOffset: s - run - 1, as: UInt8.self) == 0x5C { run += 1 }
    if run & 1 == 1 { s -= 1 }
    return compareEncoded(UnsafeRawBufferPointer(rebasing: a[s...]), UnsafeRawBufferPointer(rebasing: b[s...]))
  }
}
