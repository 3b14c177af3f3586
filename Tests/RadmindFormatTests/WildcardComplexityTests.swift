import Foundation
import Testing
@testable import RadmindFormat

/// radmind's wildcard backtracking is exponential in the number of `*`s; ours falls back to a
/// memo table of failed (pattern, path) positions. Regression for a fuzzing input that took 130 s.
@Suite struct WildcardComplexityTests {
  @Test("many stars against a long path that cannot match: answered quickly")
  func manyStars() {
    let pattern = Array(String(repeating: "*a", count: 30).utf8) + Array("*b".utf8)
    let path = Array(String(repeating: "a", count: 400).utf8)
    let start = Date()
    #expect(!Wildcard.matches(pattern, path))
    #expect(Wildcard.matches(pattern, path + Array("b".utf8)))
    #expect(Wildcard.matches(pattern, path + Array("bc".utf8)) == false)
    #expect(Wildcard.matches(Array(String(repeating: "*a", count: 30).utf8) + Array("*b*".utf8), path + Array("bc".utf8)))
    #expect(Date().timeIntervalSince(start) < 5)
  }

  @Test("the fuzzing input that hung is answered quickly")
  func fuzzInput() throws {
    let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("fixtures/fuzz-corpus/slow-wildcard-backtracking")
    let bytes = [UInt8](try Data(contentsOf: corpus))
    let cut = bytes.firstIndex(of: 0) ?? bytes.count / 2
    let start = Date()
    _ = Wildcard.matches(Array(bytes[..<cut]), Array(bytes[(cut + 1)...]))
    _ = Wildcard.matches(Array(bytes[..<cut]), Array(bytes[(cut + 1)...]), caseInsensitive: true)
    #expect(Date().timeIntervalSince(start) < 5)
  }

  @Test("with and without the memo table the answers agree")
  func memoAgrees() {
    let alphabet: [UInt8] = Array("*?ab{,}[]<1-2>\\/".utf8)
    let pathAlphabet: [UInt8] = Array("ab1/2{".utf8)
    for _ in 0 ..< 20_000 {
      let w = (0 ..< Int.random(in: 0 ... 10)).map { _ in alphabet.randomElement()! }
      let p = (0 ..< Int.random(in: 0 ... 10)).map { _ in pathAlphabet.randomElement()! }
      let plain = w.withUnsafeBytes { wb in p.withUnsafeBytes { pb -> Bool? in
        var state = Wildcard.Backtracking(memo: nil, steps: 0)
        return Wildcard.match(wb, 0, pb, 0, false, &state)
      } }
      let memoized = w.withUnsafeBytes { wb in p.withUnsafeBytes { pb -> Bool? in
        let width = pb.count + 1
        let table = UnsafeMutableBufferPointer<Bool>.allocate(capacity: (wb.count + 1) * width)
        table.initialize(repeating: false)
        defer { table.deallocate() }
        var state = Wildcard.Backtracking(memo: Wildcard.Memo(failed: table, width: width), steps: 0)
        return Wildcard.match(wb, 0, pb, 0, false, &state)
      } }
      #expect(plain == memoized, "\(String(decoding: w, as: UTF8.self)) vs \(String(decoding: p, as: UTF8.self))")
    }
  }
}
