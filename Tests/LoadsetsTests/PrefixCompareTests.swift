import Testing
import RadmindFormat

struct PrefixCompareTests {
  @Test("skipping the common prefix never changes the order", arguments: [false, true])
  func sameAsCompareEncoded(caseInsensitive: Bool) {
    let order = PathOrder(caseInsensitive: caseInsensitive)
    // Alphabet heavy in the bytes that matter: '/', '\\', escape letters, case pairs, '.', ' '.
    let alphabet: [UInt8] = Array("/\\\\\\btnrAaBb. -~".utf8) + [0x01, 0xC3, 0x7F]
    var rng = SystemRandomNumberGenerator()
    for _ in 0..<20000 {
      let shared = (0..<Int.random(in: 0...20, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
      let x = shared + (0..<Int.random(in: 0...12, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
      let y = shared + (0..<Int.random(in: 0...12, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
      let slow = x.withUnsafeBytes { a in y.withUnsafeBytes { b in order.compareEncoded(a, b) } }
      let fast = x.withUnsafeBytes { a in y.withUnsafeBytes { b in order.compareEncodedSkippingPrefix(a, b) } }
      #expect(slow.signum() == fast.signum(), "\(x) \(y)")
      if slow.signum() != fast.signum() { return }
    }
  }
}

import RadmindFormat
@testable import Loadsets

struct TokenScanTests {
  @Test("the eight-byte token scan stops where the byte loop stops")
  func sameAsByteLoop() {
    let alphabet: [UInt8] = [0x20, 0x09, 0x0A, 0x0D, 0x01, 0x21, 0x2F, 0x5C, 0x61, 0x80, 0xFF, 0x7F]
    var rng = SystemRandomNumberGenerator()
    for _ in 0..<20000 {
      let bytes = (0..<Int.random(in: 0...40, using: &rng)).map { _ in
        Bool.random(using: &rng) ? UInt8(ascii: "x") : alphabet.randomElement(using: &rng)!
      }
      let start = bytes.isEmpty ? 0 : Int.random(in: 0...bytes.count, using: &rng)
      var expected = start
      while expected < bytes.count && !LineTokens.isSeparator(bytes[expected]) { expected += 1 }
      let got = bytes.withUnsafeBytes { tokenEnd($0, from: start) }
      #expect(got == expected, "\(bytes) from \(start)")
      if got != expected { return }
    }
  }
}
