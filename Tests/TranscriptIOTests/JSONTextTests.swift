import Foundation
import Testing
import TranscriptIO

/// The one JSON string quoter: what `status --json`, `diff --json`, manifests and serve's API write.
@Suite struct JSONTextTests {
  @Test("control bytes and DEL are escaped; valid UTF-8 passes through; short escapes for LF, TAB, CR")
  func escapes() {
    #expect(JSONText.quote(Array("a\"b\\c".utf8)) == #""a\"b\\c""#)
    #expect(JSONText.quote([0x0A, 0x09, 0x0D, 0x01, 0x1F, 0x7F]) == #""\n\t\r\u0001\u001f\u007f""#)
    #expect(JSONText.quote("é€😀") == "\"é€😀\"")
  }

  @Test("each byte of an invalid UTF-8 sequence is one \\u00XX escape, never U+FFFD")
  func invalidBytes() {
    #expect(JSONText.quote([0x61, 0xFF, 0x62]) == #""a\u00ffb""#)
    #expect(JSONText.quote([0xC3]) == #""\u00c3""#)                    // truncated sequence
    #expect(JSONText.quote([0xC0, 0x80]) == #""\u00c0\u0080""#)        // overlong
    #expect(JSONText.quote([0xED, 0xA0, 0x80]) == #""\u00ed\u00a0\u0080""#)  // surrogate
    // The String form and the byte form are one rule.
    #expect(JSONText.quote("a\u{7F}b") == JSONText.quote([0x61, 0x7F, 0x62]))
  }

  @Test("random bytes always give valid JSON, and its \\u0080-\\u00ff escapes give back the raw bytes")
  func randomBytesRoundTrip() throws {
    var rng = SystemRandomNumberGenerator()
    for _ in 0..<2_000 {
      let bytes = (0..<Int.random(in: 0...24, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
      let literal = JSONText.quote(bytes)
      #expect((try? JSONSerialization.jsonObject(with: Data("[\(literal)]".utf8))) != nil, "\(literal)")
      #expect(Self.rawBytes(ofLiteral: Array(literal.utf8)) == bytes, "\(bytes) -> \(literal)")
    }
  }

  /// Reads a literal back as a path reader would: `\u00XX` escapes are single bytes, other
  /// escapes their character, anything else its own UTF-8 bytes.
  static func rawBytes(ofLiteral l: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    var i = 1
    while i < l.count - 1 {
      guard l[i] == 0x5C else { out.append(l[i]); i += 1; continue }
      switch l[i + 1] {
      case 0x6E: out.append(0x0A); i += 2
      case 0x74: out.append(0x09); i += 2
      case 0x72: out.append(0x0D); i += 2
      case 0x75: out.append(UInt8(String(decoding: l[i + 4 ..< i + 6], as: UTF8.self), radix: 16)!); i += 6
      default: out.append(l[i + 1]); i += 2
      }
    }
    return out
  }
}
