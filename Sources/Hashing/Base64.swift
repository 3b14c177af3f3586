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
