import Testing
import RadmindFormat

struct PrefixCompareTests {
  /// The definition: decode both paths (an invalid escape stands for the escaped byte), then compare.
  static func decoded(_ encoded: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    var i = 0
    while i < encoded.count {
      if encoded[i] == 0x5C, i + 1 < encoded.count {
        out.append(PathCodec.unescape(encoded[i + 1]) ?? encoded[i + 1])
        i += 2
      } else {
        out.append(encoded[i])
        i += 1
      }
    }
    return out
  }

  @Test("comparing encoded paths (with the common prefix skipped) orders them as their decoded bytes", arguments: [false, true])
  func sameAsDecodedCompare(caseInsensitive: Bool) {
    let order = PathOrder(caseInsensitive: caseInsensitive)
    // Alphabet heavy in the bytes that matter: '/', '\\', escape letters, case pairs, '.', ' '.
    let alphabet: [UInt8] = Array("/\\\\\\btnrAaBb. -~".utf8) + [0x01, 0xC3, 0x7F]
    var rng = SystemRandomNumberGenerator()
    for _ in 0..<20000 {
      let shared = (0..<Int.random(in: 0...50, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
      let x = shared + (0..<Int.random(in: 0...12, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
      let y = shared + (0..<Int.random(in: 0...12, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
      let reference = order.compare(Self.decoded(x), Self.decoded(y))
      let fast = x.withUnsafeBytes { a in y.withUnsafeBytes { b in order.compareEncoded(a, b) } }
      #expect(reference.signum() == fast.signum(), "\(x) \(y)")
      if reference.signum() != fast.signum() { return }
    }
  }
}
