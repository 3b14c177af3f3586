import CLibCrypto

/// A problem with a key or a signature, worded for the operator.
public struct SignatureError: Error, Sendable, Equatable, CustomStringConvertible {
  public var description: String
  public init(_ description: String) { self.description = description }
}

/// A key's name: what `NAME:BASE64` lines, signatures and manifests call it (`dsps-dsl-1`; a new
/// number per rotation). Letters, digits, `.`, `_` and `-`, not starting with `.` or `-`.
public enum KeyName {
  public static func problem(_ name: String) -> String? {
    if name.isEmpty { return "a key name is empty" }
    if name.utf8.count > 128 { return "key name '\(name)' is longer than 128 bytes" }
    guard let first = name.utf8.first, first != UInt8(ascii: ".") && first != UInt8(ascii: "-") else {
      return "key name '\(name)' starts with '\(name.prefix(1))'"
    }
    for byte in name.utf8 {
      switch byte {
      case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
        UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
        continue
      default:
        return "key name '\(name)' may hold only letters, digits, '.', '_' and '-'"
      }
    }
    return nil
  }
}

/// An Ed25519 public key with its name, written as one line `NAME:BASE64` (as Nix writes them).
///
///     let key = try PublicKey(line: "dsps-dsl-1:Xk3...=")
///     key.verify(signature: sig, of: manifestBytes)   // true or false, never throws
public struct PublicKey: Sendable, Equatable {
  public static let rawLength = 32
  public let name: String
  public let raw: [UInt8]

  public init(name: String, raw: [UInt8]) throws(SignatureError) {
    if let problem = KeyName.problem(name) { throw SignatureError(problem) }
    guard raw.count == Self.rawLength else {
      throw SignatureError("public key '\(name)' is \(raw.count) bytes, not \(Self.rawLength)")
    }
    self.name = name
    self.raw = raw
  }

  /// Parses `NAME:BASE64` (surrounding spaces and a final newline are ignored).
  public init(line: String) throws(SignatureError) {
    let text = line.trimmingSpaces
    guard let colon = text.firstIndex(of: ":") else {
      throw SignatureError("'\(text)' is not a public key line (NAME:BASE64)")
    }
    let name = String(text[..<colon])
    guard let raw = Base64.decode(Array(text[text.index(after: colon)...].utf8)) else {
      throw SignatureError("public key '\(name)': the key is not valid base64")
    }
    try self.init(name: name, raw: raw)
  }

  public var line: String { name + ":" + String(decoding: Base64.encode(raw), as: UTF8.self) }

  /// True when `signature` is this key's Ed25519 signature over exactly `message`.
  public func verify(signature: [UInt8], of message: [UInt8]) -> Bool {
    guard signature.count == SigningKey.signatureLength else { return false }
    guard let pkey = raw.withUnsafeBufferPointer({ EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nil, $0.baseAddress, $0.count) }) else {
      ERR_clear_error()
      return false
    }
    defer { EVP_PKEY_free(pkey) }
    guard let context = EVP_MD_CTX_new() else { return false }
    defer { EVP_MD_CTX_free(context) }
    guard EVP_DigestVerifyInit(context, nil, nil, nil, pkey) == 1 else {
      ERR_clear_error()
      return false
    }
    let ok = signature.withUnsafeBufferPointer { sig in
      message.withUnsafeBufferPointer { msg in
        EVP_DigestVerify(context, sig.baseAddress, sig.count, msg.baseAddress, msg.count)
      }
    }
    ERR_clear_error()
    return ok == 1
  }
}

/// An Ed25519 private key with its name. Its file form is one line `NAME:BASE64` of the 32-byte
/// seed; the public key is derived from it.
public struct SigningKey: Sendable {
  public static let seedLength = 32
  public static let signatureLength = 64
  public let name: String
  let seed: [UInt8]
  public let publicKey: PublicKey

  /// A new key from OpenSSL's random generator.
  public static func generate(name: String) throws(SignatureError) -> SigningKey {
    if let problem = KeyName.problem(name) { throw SignatureError(problem) }
    guard let context = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nil) else { throw openSSLError("key generation") }
    defer { EVP_PKEY_CTX_free(context) }
    var pkey: OpaquePointer?
    guard EVP_PKEY_keygen_init(context) == 1, EVP_PKEY_keygen(context, &pkey) == 1, let pkey else {
      throw openSSLError("key generation")
    }
    defer { EVP_PKEY_free(pkey) }
    var seed = [UInt8](repeating: 0, count: seedLength)
    var length = seedLength
    guard EVP_PKEY_get_raw_private_key(pkey, &seed, &length) == 1, length == seedLength else {
      throw openSSLError("key generation")
    }
    return try SigningKey(name: name, seed: seed)
  }

  public init(name: String, seed: [UInt8]) throws(SignatureError) {
    if let problem = KeyName.problem(name) { throw SignatureError(problem) }
    guard seed.count == Self.seedLength else {
      throw SignatureError("private key '\(name)' is \(seed.count) bytes, not \(Self.seedLength)")
    }
    let pkey = try Self.privateKey(seed, name: name)
    defer { EVP_PKEY_free(pkey) }
    var raw = [UInt8](repeating: 0, count: PublicKey.rawLength)
    var length = raw.count
    guard EVP_PKEY_get_raw_public_key(pkey, &raw, &length) == 1, length == raw.count else {
      throw Self.openSSLError("deriving the public key of '\(name)'")
    }
    self.name = name
    self.seed = seed
    self.publicKey = try PublicKey(name: name, raw: raw)
  }

  /// Parses the private key file's line `NAME:BASE64`.
  public init(line: String) throws(SignatureError) {
    let text = line.trimmingSpaces
    guard let colon = text.firstIndex(of: ":") else {
      throw SignatureError("not a private key (expected one line NAME:BASE64)")
    }
    let name = String(text[..<colon])
    guard let seed = Base64.decode(Array(text[text.index(after: colon)...].utf8)) else {
      throw SignatureError("private key '\(name)': the key is not valid base64")
    }
    try self.init(name: name, seed: seed)
  }

  /// The private key file's one line (without the newline).
  public var line: String { name + ":" + String(decoding: Base64.encode(seed), as: UTF8.self) }

  /// The Ed25519 signature (64 bytes) over exactly `message`.
  public func sign(_ message: [UInt8]) throws(SignatureError) -> [UInt8] {
    let pkey = try Self.privateKey(seed, name: name)
    defer { EVP_PKEY_free(pkey) }
    guard let context = EVP_MD_CTX_new() else { throw Self.openSSLError("signing") }
    defer { EVP_MD_CTX_free(context) }
    guard EVP_DigestSignInit(context, nil, nil, nil, pkey) == 1 else { throw Self.openSSLError("signing") }
    var signature = [UInt8](repeating: 0, count: Self.signatureLength)
    var length = signature.count
    let ok = message.withUnsafeBufferPointer { msg in
      EVP_DigestSign(context, &signature, &length, msg.baseAddress, msg.count)
    }
    guard ok == 1, length == Self.signatureLength else { throw Self.openSSLError("signing") }
    return signature
  }

  private static func privateKey(_ seed: [UInt8], name: String) throws(SignatureError) -> OpaquePointer {
    guard let pkey = seed.withUnsafeBufferPointer({ EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nil, $0.baseAddress, $0.count) }) else {
      throw openSSLError("loading private key '\(name)'")
    }
    return pkey
  }

  private static func openSSLError(_ what: String) -> SignatureError {
    let code = ERR_get_error()
    ERR_clear_error()
    return SignatureError("\(what) failed in OpenSSL (error \(code))")
  }
}

extension String {
  /// Without leading and trailing spaces, tabs, CR and LF (key files end in a newline).
  fileprivate var trimmingSpaces: Substring {
    let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }
    guard let start = firstIndex(where: { !blank($0) }) else { return "" }
    let end = lastIndex(where: { !blank($0) })!
    return self[start...end]
  }
}
