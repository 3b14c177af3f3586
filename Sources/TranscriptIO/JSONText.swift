/// JSON string literals, without Foundation: the one quoter of every `--json` output (status, log,
/// diff, manifests, serve's API).
///
/// Bytes are read as UTF-8. Valid sequences pass through; `"` and `\` are escaped; LF, TAB and CR
/// take their short escapes; other control bytes and DEL become `\u00XX`; and each byte of an
/// invalid sequence becomes `\u00XX` too. Valid UTF-8 is never written as a `\u0080`–`\u00ff`
/// escape, so such an escape always names one raw byte and a path that is not UTF-8 can be
/// recovered byte for byte.
public enum JSONText {
  /// Appends the JSON string literal of `bytes` to `out`.
  public static func append(_ bytes: [UInt8], to out: inout [UInt8]) {
    out.append(0x22)
    var i = 0
    while i < bytes.count {
      let b = bytes[i]
      switch b {
      case 0x22: out += [0x5C, 0x22]
      case 0x5C: out += [0x5C, 0x5C]
      case 0x0A: out += [0x5C, 0x6E]
      case 0x09: out += [0x5C, 0x74]
      case 0x0D: out += [0x5C, 0x72]
      case 0x00..<0x20, 0x7F: appendEscape(b, to: &out)
      case 0x20..<0x7F: out.append(b)
      default:
        let length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC2 ? 2 : 0
        if length > 0, i + length <= bytes.count, String(validating: bytes[i ..< i + length], as: UTF8.self) != nil {
          out += bytes[i ..< i + length]
          i += length
          continue
        }
        appendEscape(b, to: &out)
      }
      i += 1
    }
    out.append(0x22)
  }

  /// The JSON string literal of `bytes`.
  public static func quote(_ bytes: [UInt8]) -> String {
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count + 2)
    append(bytes, to: &out)
    return String(decoding: out, as: UTF8.self)
  }

  /// The JSON string literal of `s`.
  public static func quote(_ s: String) -> String { quote(Array(s.utf8)) }

  private static func appendEscape(_ b: UInt8, to out: inout [UInt8]) {
    let digits: [UInt8] = Array("0123456789abcdef".utf8)
    out += [0x5C, 0x75, 0x30, 0x30, digits[Int(b >> 4)], digits[Int(b & 15)]]
  }
}
