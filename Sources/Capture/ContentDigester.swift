import SystemCalls
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
  /// An errno, or ``changedWhileReading``.
  public var errno: Int32

  /// Not an errno: the file's size or modification time moved while it was read, so no checksum
  /// of it would be true (``CaptureError/system(_:errno:)`` words it).
  public static let changedWhileReading: Int32 = -1
}

/// Looks up a digest by radmind name (``Hashing/DigestAlgorithm``: OpenSSL's names, aliases,
/// case-insensitive). nil for a name OpenSSL does not know.
public func makeDigester(named name: String) -> ContentDigester? {
  guard let algorithm = try? DigestAlgorithm(named: name) else { return nil }
  return HashingContentDigester(algorithm: algorithm)
}

/// The Hashing module's file hasher behind Capture's protocol. Unlike radmind's fsdiff, which
/// takes whatever it read, a file whose size or mtime moves while it is read is an error
/// (as lcksum and the store's verify already report it), never a checksum.
final class HashingContentDigester: ContentDigester {
  let algorithm: DigestAlgorithm
  let hasher: FileHasher
  /// Opens each file relative to its directory's descriptor (same results and errors as by path).
  let opener = DirectoryRelativeOpener()

  init(algorithm: DigestAlgorithm) {
    self.algorithm = algorithm
    hasher = FileHasher(algorithm: algorithm, bufferSize: 1 << 18)
  }

  func makeCopy() -> ContentDigester { HashingContentDigester(algorithm: algorithm) }

  /// `O_NOATIME` while permitted (Linux; saves an inode update per file read), as in FileHasher.
  var tryNoAtime = true
  func checksum(path: UnsafePointer<CChar>) throws(DigestError) -> [UInt8] {
    var fd: Int32 = -1
    var failure: Int32 = 0
    if tryNoAtime {
      do { fd = try opener.open(path, [.readOnly, .noAtime]) } catch {
        failure = error.errno
        if failure == Errno.permission { tryNoAtime = false }
      }
    }
    if !tryNoAtime && fd < 0 {
      do { fd = try opener.open(path, [.readOnly]) } catch { failure = error.errno }
    }
    if fd < 0 { throw DigestError(errno: failure) }
    defer { Syscall.closeQuietly(fd) }
    switch hasher.hash(openedFile: fd) {
    case .success(let result): return result.checksum
    case .failure(.changedWhileReading): throw DigestError(errno: DigestError.changedWhileReading)
    case .failure(let error): throw DigestError(errno: error.errno)
    }
  }
}
