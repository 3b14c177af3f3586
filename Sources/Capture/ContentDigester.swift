#if canImport(Glibc)
import Glibc
#endif
import CLibCrypto

// TEMPORARY: a minimal OpenSSL EVP digester so fsdiff works before the Hashing module lands.
// At merge the lead replaces `EVPContentDigester` with the Hashing module; everything else in
// Capture only sees the `ContentDigester` protocol.

/// Computes radmind checksums (base64 of the digest of a file's bytes, spec §4).
public protocol ContentDigester: AnyObject {
  /// The base64 digest of the file at `path`. Throws the errno of a failed open/read.
  /// An algorithm OpenSSL knows but cannot instantiate yields an empty string (spec §4.1).
  func checksum(path: UnsafePointer<CChar>) throws(DigestError) -> [UInt8]
  /// A new digester of the same algorithm (one per thread).
  func makeCopy() -> ContentDigester
}

public struct DigestError: Error, Sendable {
  public var errno: Int32
}

/// Looks up a digest by radmind name through OpenSSL (case-insensitive, any name OpenSSL knows).
public func makeDigester(named name: String) -> ContentDigester? {
  guard let md = EVP_get_digestbyname(name) else { return nil }
  return EVPContentDigester(md: md)
}

final class EVPContentDigester: ContentDigester {
  let md: OpaquePointer
  let ctx: OpaquePointer
  let buffer: UnsafeMutableRawPointer
  let bufferSize = 1 << 18

  init(md: OpaquePointer) {
    self.md = md
    ctx = EVP_MD_CTX_new()
    buffer = .allocate(byteCount: bufferSize, alignment: 64)
  }

  deinit {
    EVP_MD_CTX_free(ctx)
    buffer.deallocate()
  }

  func makeCopy() -> ContentDigester { EVPContentDigester(md: md) }

  func checksum(path: UnsafePointer<CChar>) throws(DigestError) -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    if fd < 0 { throw DigestError(errno: errno) }
    defer { close(fd) }
    let usable = EVP_DigestInit_ex(ctx, md, nil) == 1
    while true {
      let n = read(fd, buffer, bufferSize)
      if n < 0 {
        if errno == EINTR { continue }
        throw DigestError(errno: errno)
      }
      if n == 0 { break }
      if usable { EVP_DigestUpdate(ctx, buffer, n) }
    }
    guard usable else { return [] }
    var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
    var length: UInt32 = 0
    EVP_DigestFinal_ex(ctx, &digest, &length)
    return Base64.encode(digest[0..<Int(length)])
  }
}

/// Standard base64 with padding (RFC 4648), as radmind writes checksums.
enum Base64 {
  static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

  static func encode(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity((bytes.count + 2) / 3 * 4)
    var i = bytes.startIndex
    while i < bytes.endIndex {
      let b0 = UInt32(bytes[i])
      let b1 = i + 1 < bytes.endIndex ? UInt32(bytes[i + 1]) : 0
      let b2 = i + 2 < bytes.endIndex ? UInt32(bytes[i + 2]) : 0
      let v = b0 << 16 | b1 << 8 | b2
      out.append(alphabet[Int(v >> 18 & 63)])
      out.append(alphabet[Int(v >> 12 & 63)])
      out.append(i + 1 < bytes.endIndex ? alphabet[Int(v >> 6 & 63)] : UInt8(ascii: "="))
      out.append(i + 2 < bytes.endIndex ? alphabet[Int(v & 63)] : UInt8(ascii: "="))
      i += 3
    }
    return out
  }
}
