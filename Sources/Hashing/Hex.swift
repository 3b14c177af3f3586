/// Lowercase hexadecimal, as sha256sum prints digests.
public enum Hex {
  public static func encode<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(bytes.underestimatedCount * 2)
    for byte in bytes {
      out.append(digits[Int(byte >> 4)])
      out.append(digits[Int(byte & 0x0F)])
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// The SHA-256 of `bytes`, in hex.
  public static func sha256<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
    let digester = SHA256Once.algorithm.makeDigester()
    Array(bytes).withUnsafeBytes { digester.update($0) }
    return encode(digester.finalizeRaw())
  }
}

private enum SHA256Once {
  // sha256 is always available in OpenSSL's default provider.
  static let algorithm = try! DigestAlgorithm(named: "sha256")
}
