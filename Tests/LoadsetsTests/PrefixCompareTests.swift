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
