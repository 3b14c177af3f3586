#if canImport(Glibc)
import Glibc
#endif
import Hashing

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

/// Looks up a digest by radmind name (``Hashing/DigestAlgorithm``: OpenSSL's names, aliases,
/// case-insensitive). nil for a name OpenSSL does not know.
public func makeDigester(named name: String) -> ContentDigester? {
  guard let algorithm = try? DigestAlgorithm(named: name) else { return nil }
  return HashingContentDigester(algorithm: algorithm)
}

/// The Hashing module's file hasher behind Capture's protocol. Reads to end of file like
/// radmind's fsdiff (no size-change check here; lcksum and the pool do check).
final class HashingContentDigester: ContentDigester {
  let algorithm: DigestAlgorithm
  let hasher: FileHasher

  init(algorithm: DigestAlgorithm) {
    self.algorithm = algorithm
    hasher = FileHasher(algorithm: algorithm, bufferSize: 1 << 18)
  }

  func makeCopy() -> ContentDigester { HashingContentDigester(algorithm: algorithm) }

  /// `O_NOATIME` while permitted (Linux; saves an inode update per file read), as in FileHasher.
  var tryNoAtime = true
  #if os(Linux)
  static let noAtimeFlag: Int32 = 0o1000000
  #else
  static let noAtimeFlag: Int32 = 0
  #endif

  func checksum(path: UnsafePointer<CChar>) throws(DigestError) -> [UInt8] {
    var fd: Int32 = -1
    if tryNoAtime {
      fd = open(path, O_RDONLY | O_CLOEXEC | HashingContentDigester.noAtimeFlag)
      if fd < 0 && errno == EPERM { tryNoAtime = false }
    }
    if !tryNoAtime { fd = open(path, O_RDONLY | O_CLOEXEC) }
    if fd < 0 { throw DigestError(errno: errno) }
    defer { close(fd) }
    switch hasher.hashStream(fd: fd) {
    case .success(let result): return result.checksum
    case .failure(let error): throw DigestError(errno: error.errno)
    }
  }
}
