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
