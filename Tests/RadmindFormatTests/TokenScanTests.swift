import Testing
import RadmindFormat

/// The vector token scan that ``LineTokens/split(_:)``, lsort, lmerge and diff share.
struct TokenScanTests {
  @Test("the vector token scan stops where a byte loop stops")
  func sameAsByteLoop() {
    let alphabet: [UInt8] = [0x20, 0x09, 0x0A, 0x0D, 0x01, 0x21, 0x2F, 0x5C, 0x61, 0x80, 0xFF, 0x7F]
    var rng = SystemRandomNumberGenerator()
    for _ in 0..<20000 {
      let bytes = (0..<Int.random(in: 0...90, using: &rng)).map { _ in
        Int.random(in: 0..<8, using: &rng) != 0 ? UInt8(ascii: "x") : alphabet.randomElement(using: &rng)!
      }
      let start = bytes.isEmpty ? 0 : Int.random(in: 0...bytes.count, using: &rng)
      var expected = start
      while expected < bytes.count && !LineTokens.isSeparator(bytes[expected]) { expected += 1 }
      let got = bytes.withUnsafeBytes { LineTokens.tokenEnd($0, from: start) }
      #expect(got == expected, "\(bytes) from \(start)")
      if got != expected { return }
    }
  }

  @Test("split and nextToken find the tokens a byte loop finds")
  func splitMatchesByteLoop() {
    let alphabet: [UInt8] = [0x20, 0x09, 0x0A, 0x0D, 0x21, 0x2F, 0x80, 0xFF]
    var rng = SystemRandomNumberGenerator()
    var tokens = LineTokens()
    for _ in 0..<5000 {
      let bytes = (0..<Int.random(in: 0...120, using: &rng)).map { _ in
        Int.random(in: 0..<6, using: &rng) != 0 ? UInt8(ascii: "y") : alphabet.randomElement(using: &rng)!
      }
      var expected: [Range<Int>] = []
      var i = 0
      while i < bytes.count {
        while i < bytes.count && LineTokens.isSeparator(bytes[i]) { i += 1 }
        let s = i
        while i < bytes.count && !LineTokens.isSeparator(bytes[i]) { i += 1 }
        if i > s { expected.append(s ..< i) }
      }
      bytes.withUnsafeBytes { raw in
        tokens.split(raw)
        let split = (0 ..< min(tokens.count, LineTokens.capacity)).map { tokens.start($0) ..< tokens.end($0) }
        #expect(tokens.count == expected.count && split == Array(expected.prefix(LineTokens.capacity)), "\(bytes)")
        var cursor = 0, scanned: [Range<Int>] = []
        while let t = LineTokens.nextToken(raw, &cursor) { scanned.append(t) }
        #expect(scanned == expected, "\(bytes)")
      }
    }
  }
}
