/// Standard base64 (RFC 4648 alphabet, `=` padding, no line breaks), the way radmind prints
/// checksums (spec §4.2): MD5 is 24 characters, SHA-1 28, SHA-256 44, SHA-512 88.
public enum Base64 {
  @usableFromInline
  static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

  /// Number of characters the encoding of `count` bytes takes.
  public static func encodedLength(_ count: Int) -> Int { (count + 2) / 3 * 4 }

  /// Appends the encoding of `bytes` to `out`.
  public static func encode(_ bytes: UnsafeRawBufferPointer, into out: inout [UInt8]) {
    let n = bytes.count
    out.reserveCapacity(out.count + encodedLength(n))
    alphabet.withUnsafeBufferPointer { a in
      var i = 0
      while i + 3 <= n {
        let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
        out.append(a[Int(v >> 18)]); out.append(a[Int(v >> 12 & 63)])
        out.append(a[Int(v >> 6 & 63)]); out.append(a[Int(v & 63)])
        i += 3
      }
      let rest = n - i
      if rest == 1 {
        let v = UInt32(bytes[i]) << 16
        out.append(a[Int(v >> 18)]); out.append(a[Int(v >> 12 & 63)])
        out.append(0x3D); out.append(0x3D)
      } else if rest == 2 {
        let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
        out.append(a[Int(v >> 18)]); out.append(a[Int(v >> 12 & 63)])
        out.append(a[Int(v >> 6 & 63)]); out.append(0x3D)
      }
    }
  }

  public static func encode(_ bytes: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    bytes.withUnsafeBytes { encode($0, into: &out) }
    return out
  }
}

extension Base64 {
  /// Decodes standard padded base64; nil for any other byte, a bad length or bad padding.
  public static func decode<S: Collection>(_ text: S) -> [UInt8]? where S.Element == UInt8 {
    guard text.count % 4 == 0 else { return nil }
    var out: [UInt8] = []
    out.reserveCapacity(text.count / 4 * 3)
    var quad: [UInt32] = []
    quad.reserveCapacity(4)
    var padding = 0
    for byte in text {
      let value: UInt32
      switch byte {
      case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = UInt32(byte - UInt8(ascii: "A"))
      case UInt8(ascii: "a")...UInt8(ascii: "z"): value = UInt32(byte - UInt8(ascii: "a")) + 26
      case UInt8(ascii: "0")...UInt8(ascii: "9"): value = UInt32(byte - UInt8(ascii: "0")) + 52
      case UInt8(ascii: "+"): value = 62
      case UInt8(ascii: "/"): value = 63
      case UInt8(ascii: "="): padding += 1; value = 0
      default: return nil
      }
      if padding > 0 && byte != UInt8(ascii: "=") { return nil }  // data after padding
      quad.append(value)
      if quad.count == 4 {
        let v = quad[0] << 18 | quad[1] << 12 | quad[2] << 6 | quad[3]
        out.append(UInt8(v >> 16)); out.append(UInt8(v >> 8 & 0xFF)); out.append(UInt8(v & 0xFF))
        quad.removeAll(keepingCapacity: true)
      }
    }
    guard padding <= 2 else { return nil }
    out.removeLast(padding)
    return out
  }
}
