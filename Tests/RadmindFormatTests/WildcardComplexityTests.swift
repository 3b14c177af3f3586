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
      #expect(plain == memoized(w, p, false), "\(String(decoding: w, as: UTF8.self)) vs \(String(decoding: p, as: UTF8.self))")
    }
  }

  /// The match through the memo table from the start (no backtracking budget first).
  func memoized(_ w: [UInt8], _ p: [UInt8], _ ci: Bool) -> Bool? {
    w.withUnsafeBytes { wb in p.withUnsafeBytes { pb -> Bool? in
      Wildcard.withMemo(patternCount: wb.count, pathCount: pb.count) { memo in
        var state = Wildcard.Backtracking(memo: memo, steps: 0)
        return Wildcard.match(wb, 0, pb, 0, ci, &state)
      }
    } }
  }

  /// radmind's matcher as it is: plain backtracking, no budget, no table (exponential).
  func backtracking(_ w: [UInt8], _ p: [UInt8], _ ci: Bool) -> Bool? {
    w.withUnsafeBytes { wb in p.withUnsafeBytes { pb -> Bool? in
      var state = Wildcard.Backtracking(memo: nil, steps: Int.min)
      return Wildcard.match(wb, 0, pb, 0, ci, &state)
    } }
  }

  @Test("the memo table (failed pairs, per-star positions, digit runs) answers as plain backtracking")
  func memoAgreesOnLongerInputs() {
    let alphabet: [UInt8] = Array("***??aAb{,}[]<0-12>\\/".utf8)
    let pathAlphabet: [UInt8] = Array("aAb1209/{".utf8)
    var compared = 0
    for _ in 0 ..< 30_000 {
      let w = (0 ..< Int.random(in: 0 ... 16)).map { _ in alphabet.randomElement()! }
      let p = (0 ..< Int.random(in: 0 ... 24)).map { _ in pathAlphabet.randomElement()! }
      for ci in [false, true] {
        let reference = backtracking(w, p, ci)
        #expect(reference != nil)
        #expect(memoized(w, p, ci) == reference, "\(String(decoding: w, as: UTF8.self)) vs \(String(decoding: p, as: UTF8.self))")
        #expect(Wildcard.matches(w, p, caseInsensitive: ci) == reference)
        if reference == true { compared += 1 }
      }
    }
    #expect(compared > 100, "too few matching pairs to mean anything")
  }

  @Test("a 2 KiB line of stars against a 2000-byte path is answered quickly (cubic before: 1.6 s in release)")
  func manyStarsLongPath() {
    let path = Array(String(repeating: "a", count: 2000).utf8)
    let stars = Array(String(repeating: "*a", count: 1000).utf8) + Array("*b".utf8)
    let start = Date()
    #expect(!Wildcard.matches(stars, path))
    #expect(Date().timeIntervalSince(start) < 2)
    #expect(Wildcard.matches(stars, path + Array("b".utf8)))
    let digits = Array((String(repeating: "1", count: 500) + "x" + String(repeating: "2", count: 500)).utf8)
    let ranges = Array(String(repeating: "*<0-2147483647>", count: 60).utf8) + Array("*y".utf8)
    #expect(!Wildcard.matches(ranges, digits))
    #expect(Wildcard.matches(ranges, digits + Array("y".utf8)) == false)
  }
}
