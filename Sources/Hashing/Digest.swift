import CLibCrypto
import CLoadsetShims

/// `-c NAME` named a digest OpenSSL does not know. Prints as radmind does:
/// `NAME: unsupported checksum` (spec §4.1).
public struct UnsupportedDigestError: Error, Sendable, Equatable, CustomStringConvertible {
  public var name: String
  public init(name: String) { self.name = name }
  public var description: String { "\(name): unsupported checksum" }
}

/// A message digest chosen by name exactly as radmind chooses it: `EVP_get_digestbyname`, so
/// OpenSSL's aliases and its case-insensitive lookup apply (`SHA1`, `sha-1`, `sha256`, ...).
///
///     let sha1 = try DigestAlgorithm(named: "sha1")
///     let digester = sha1.makeDigester()      // one per thread
///
/// The provider implementation is fetched once here and shared by every ``Digester``.
/// A name OpenSSL knows but cannot instantiate (`md4` under OpenSSL 3 without the legacy
/// provider) is accepted and yields an **empty** checksum, as radmind's does (spec §4.1, §12.28).
///
/// This module is the only place in Loadsmith that calls OpenSSL.
public final class DigestAlgorithm: @unchecked Sendable {
  // @unchecked: `md` is an immutable, reference-counted provider object that OpenSSL allows to
  // be shared between threads; it is freed only in deinit.

  /// The name as given on the command line.
  public let name: String
  /// The fetched implementation, or nil when the name is known but not instantiable.
  let md: OpaquePointer?
  /// Raw digest length in bytes (0 when not instantiable).
  public let digestLength: Int

  public init(named name: String) throws(UnsupportedDigestError) {
    self.name = name
    guard let legacy = EVP_get_digestbyname(name) else { throw UnsupportedDigestError(name: name) }
    // Fetch the provider implementation once: initialising a context from the legacy table
    // pointer would fetch it again for every file.
    let canonical = EVP_MD_get0_name(legacy)
    let fetched = canonical.flatMap { EVP_MD_fetch(nil, $0, nil) }
    if let fetched, Self.canInstantiate(fetched) {
      md = fetched
      digestLength = Int(EVP_MD_get_size(fetched))
    } else {
      if let fetched { EVP_MD_free(fetched) }
      md = nil
      digestLength = 0
    }
    ERR_clear_error()
  }

  deinit {
    if let md { EVP_MD_free(md) }
  }

  /// True when this digest produces bytes; false for the degenerate known-but-unavailable case.
  public var isAvailable: Bool { md != nil }

  /// Length of the base64 checksum string this digest produces.
  public var checksumLength: Int { Base64.encodedLength(digestLength) }

  /// A digester for the calling thread. Digesters are not thread-safe; reuse one per thread.
  public func makeDigester() -> Digester { Digester(algorithm: self) }

  private static func canInstantiate(_ md: OpaquePointer) -> Bool {
    guard let ctx = EVP_MD_CTX_new() else { return false }
    defer { EVP_MD_CTX_free(ctx) }
    return EVP_DigestInit_ex2(ctx, md, nil) == 1
  }
}

/// One thread's digest state: an `EVP_MD_CTX` reused for every message.
///
///     let d = sha1.makeDigester()
///     d.reset(); d.update(bytes); let b64 = d.finalizeBase64()
public final class Digester {
  public let algorithm: DigestAlgorithm
  private let ctx: OpaquePointer?
  private var raw = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))

  init(algorithm: DigestAlgorithm) {
    self.algorithm = algorithm
    ctx = algorithm.md == nil ? nil : EVP_MD_CTX_new()
    reset()
  }

  deinit {
    if let ctx { EVP_MD_CTX_free(ctx) }
  }

  /// Starts a new message.
  @inline(__always)
  public func reset() {
    guard let ctx, let md = algorithm.md else { return }
    // Re-initialising with the same implementation reuses the provider context.
    _ = EVP_DigestInit_ex2(ctx, md, nil)
  }

  @inline(__always)
  public func update(_ bytes: UnsafeRawBufferPointer) {
    guard let ctx, let base = bytes.baseAddress, bytes.count > 0 else { return }
    _ = EVP_DigestUpdate(ctx, base, bytes.count)
  }

  /// Feeds a mapped window; false when touching it raised SIGBUS (the file shrank under the
  /// mapping). The message is then unusable until ``reset()``.
  func updateMapped(_ bytes: UnsafeRawBufferPointer) -> Bool {
    guard let ctx, let base = bytes.baseAddress, bytes.count > 0 else { return true }
    return loadsmith_guarded_update(EVP_DigestUpdate, ctx, base, bytes.count) != -1
  }

  public func update(_ bytes: [UInt8]) {
    bytes.withUnsafeBytes { update($0) }
  }

  /// Finishes the message and returns the raw digest (empty when the digest is unavailable).
  public func finalizeRaw() -> [UInt8] {
    guard let ctx else { return [] }
    var length: UInt32 = 0
    let ok = raw.withUnsafeMutableBufferPointer { EVP_DigestFinal_ex(ctx, $0.baseAddress, &length) }
    guard ok == 1 else { return [] }
    return Array(raw[0..<Int(length)])
  }

  /// Finishes the message and appends its base64 form to `out` (nothing for an unavailable digest).
  public func finalizeBase64(into out: inout [UInt8]) {
    guard let ctx else { return }
    var length: UInt32 = 0
    let ok = raw.withUnsafeMutableBufferPointer { EVP_DigestFinal_ex(ctx, $0.baseAddress, &length) }
    guard ok == 1 else { return }
    raw.withUnsafeBytes { Base64.encode(UnsafeRawBufferPointer(rebasing: $0[0..<Int(length)]), into: &out) }
  }

  /// Finishes the message and returns its base64 form, radmind's checksum string.
  public func finalizeBase64() -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(algorithm.checksumLength)
    finalizeBase64(into: &out)
    return out
  }
}
