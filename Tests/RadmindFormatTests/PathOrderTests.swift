import Testing
@testable import RadmindFormat

@Suite struct PathOrderTests {
  func sorted(_ paths: [String], _ order: PathOrder) -> [String] {
    // Stable sort so -I ties keep input order.
    paths.enumerated().sorted { a, b in
      let c = order.compare(Array(a.element.utf8), Array(b.element.utf8))
      return c != 0 ? c < 0 : a.offset < b.offset
    }.map(\.element)
  }

  @Test("spec §3.3 case-sensitive example")
  func caseSensitiveExample() {
    let want = ["/A", "/B", "/Library", "/_x", "/a", "/a/", "/a/b", "/a b", "/a-b", "/a.b", "/a0", "/b",
                "/dev", "/etc", "/etc/passwd", "/etc.old"]
    #expect(sorted(want.reversed(), .caseSensitive) == want)
  }

  @Test("spec §3.3 -I example")
  func caseInsensitiveExample() {
    let input = ["/A", "/a", "/a/", "/a/b", "/a b", "/a-b", "/a.b", "/a0", "/b", "/B", "/dev", "/etc",
                 "/etc/passwd", "/etc.old", "/Library", "/_x"]
    let got = sorted(input, PathOrder(caseInsensitive: true))
    #expect(got == ["/_x", "/A", "/a", "/a/", "/a/b", "/a b", "/a-b", "/a.b", "/a0", "/b", "/B", "/dev", "/etc",
                    "/etc/passwd", "/etc.old", "/Library"])
  }

  @Test("mixed relative and absolute forms: every absolute path first")
  func mixedForms() {
    let want = ["/", "/a", "/z", ".", "./a", "./a/b"]
    #expect(sorted(want.shuffled(), .caseSensitive) == want)
  }

  @Test("bytes >= 0x80 sort after ~ in both modes")
  func highBytes() {
    let a: [UInt8] = Array("/~".utf8), b: [UInt8] = [0x2F, 0xC3]
    #expect(PathOrder.caseSensitive.compare(a, b) < 0)
    #expect(PathOrder(caseInsensitive: true).compare(a, b) < 0)
  }

  @Test("compareEncoded agrees with decode-then-compare", arguments: [false, true])
  func encodedAgrees(caseInsensitive: Bool) {
    let order = PathOrder(caseInsensitive: caseInsensitive)
    let alphabet: [UInt8] = [0x2F, 0x20, 0x09, 0x0A, 0x0D, 0x5C, 0x2D, 0x2E, 0x30, 0x41, 0x61, 0xC3]
    var rng = SystemRandomNumberGenerator()
    for _ in 0 ..< 5000 {
      let common = (0 ..< Int.random(in: 0 ... 12, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
      let a = common + (0 ..< Int.random(in: 0 ... 4, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
      let b = common + (0 ..< Int.random(in: 0 ... 4, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
      let want = order.compare(a, b).signum()
      let got = order.compareEncoded(PathCodec.encode(a), PathCodec.encode(b)).signum()
      #expect(want == got, "\(a) vs \(b)")
      func key(_ p: [UInt8]) -> [UInt8] {
        let enc = PathCodec.encode(p)
        var out = [UInt8](repeating: 0, count: enc.count)
        let n = enc.withUnsafeBytes { e in out.withUnsafeMutableBufferPointer { order.writeKey(encoded: e, to: $0.baseAddress!) } }
        return Array(out[..<n])
      }
      let ka = key(a), kb = key(b)
      let keyOrder = ka.withUnsafeBufferPointer { x in kb.withUnsafeBufferPointer { y in
        order.compareKeys(x.baseAddress ?? UnsafePointer(bitPattern: 1)!, x.count, y.baseAddress ?? UnsafePointer(bitPattern: 1)!, y.count)
      } }.signum()
      #expect(keyOrder == want, "keys of \(a) vs \(b)")
      let pa = ka.withUnsafeBufferPointer { order.keyPrefix($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, $0.count) }
      let pb = kb.withUnsafeBufferPointer { order.keyPrefix($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, $0.count) }
      if pa != pb { #expect((pa < pb ? -1 : 1) == want, "prefixes of \(a) vs \(b)") }
    }
  }

  @Test func isInside() {
    let o = PathOrder.caseSensitive
    #expect(o.isInside(Array("/etc/passwd".utf8), Array("/etc".utf8)))
    #expect(!o.isInside(Array("/etc.old".utf8), Array("/etc".utf8)))
    #expect(o.isInside(Array("/x".utf8), Array("/".utf8)))
    #expect(o.isInside(Array("./a".utf8), Array(".".utf8)))
  }
}
