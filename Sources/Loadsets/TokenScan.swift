import RadmindFormat

/// Fast token scanning for the streaming tools: the end of the token starting at `i` (the first
/// SPACE, TAB or LF at or after `i`, or `raw.count`), testing eight bytes at a time for a byte
/// below 0x21 (the tokens are paths: long, and free of raw separators). Same result as
/// ``LineTokens``' byte loop.
@inline(__always)
func tokenEnd(_ raw: UnsafeRawBufferPointer, from start: Int) -> Int {
  let n = raw.count
  var j = start
  if let base = raw.baseAddress {
    // Thirty-two bytes, then sixteen at a time while none is below 0x21 (paths are long: one
    // test per 32 bytes halves the loop's work), then eight to find the first that is.
    let space = SIMD16<UInt8>(repeating: 0x21)
    while j + 32 <= n {
      let v = base.loadUnaligned(fromByteOffset: j, as: SIMD16<UInt8>.self)
      let w = base.loadUnaligned(fromByteOffset: j + 16, as: SIMD16<UInt8>.self)
      if any((v .< space) .| (w .< space)) { break }
      j += 32
    }
    while j + 16 <= n {
      let v = base.loadUnaligned(fromByteOffset: j, as: SIMD16<UInt8>.self)
      if any(v .< space) { break }
      j += 16
    }
    while j + 8 <= n {
      let w = base.loadUnaligned(fromByteOffset: j, as: UInt64.self)
      // High bit set in the lowest byte of w that is < 0x21 (exact for the lowest such byte).
      let t = (w &- 0x2121_2121_2121_2121) & ~w & 0x8080_8080_8080_8080
      if t != 0 {
        j += t.littleEndian.trailingZeroBitCount >> 3
        if LineTokens.isSeparator(raw[j]) { return j }
        j += 1
        continue
      }
      j += 8
    }
  }
  while j < n && !LineTokens.isSeparator(raw[j]) { j &+= 1 }
  return j
}

/// The next token at or after `i` (skipping SPACE, TAB and LF), advancing `i` past it; nil when
/// the line has no more tokens. A plain function with an `inout` cursor: a nested closure over a
/// local `var` would box it (an allocation and exclusivity checks per line).
@inline(__always)
func nextToken(_ raw: UnsafeRawBufferPointer, _ i: inout Int) -> Range<Int>? {
  let n = raw.count
  while i < n && LineTokens.isSeparator(raw[i]) { i &+= 1 }
  if i >= n { return nil }
  let start = i
  i = tokenEnd(raw, from: i)
  return start ..< i
}
