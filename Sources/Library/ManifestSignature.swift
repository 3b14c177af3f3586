import Hashing

/// The detached signature beside a manifest (`NAME-VERSION.manifest.json.sig`): one line
/// `KEYNAME:BASE64`, the Ed25519 signature over the manifest file's exact bytes.
///
/// The manifest names the archive's sha256, the transcript's digest and the history head, so a
/// valid signature vouches for the archive's every byte and for the store's history up to then.
package enum ManifestSignature {
  package static func path(forManifest manifestPath: String) -> String { manifestPath + ".sig" }

  /// The signature file's bytes for `manifest`.
  package static func sign(_ manifest: [UInt8], with key: SigningKey) throws(LibraryError) -> [UInt8] {
    let signature: [UInt8]
    do { signature = try key.sign(manifest) } catch { throw LibraryError(.system, "signing with '\(key.name)': \(error.description)") }
    return Array((key.name + ":").utf8) + Base64.encode(signature) + [0x0A]
  }

  /// What a signature check found.
  package enum Status: Sendable, Equatable, CustomStringConvertible {
    case verified(key: String)
    case unsigned
    case untrusted(key: String)
    case mismatch(key: String)
    case malformed(String)

    package var isVerified: Bool { if case .verified = self { return true } else { return false } }

    /// The signer's name, when the signature file names one.
    package var signer: String? {
      switch self {
      case .verified(let key), .untrusted(let key), .mismatch(let key): return key
      case .unsigned, .malformed: return nil
      }
    }

    package var description: String {
      switch self {
      case .verified(let key): return "signed by \(key), verified"
      case .unsigned: return "unsigned (no .sig beside the manifest)"
      case .untrusted(let key): return "signed by \(key), a key that is not trusted"
      case .mismatch(let key): return "signed as \(key), but the signature does not match the manifest (forged or damaged)"
      case .malformed(let reason): return "signature file is malformed: \(reason)"
      }
    }
  }

  /// Checks `signatureFile` (nil: absent) over `manifest` against the trusted keys.
  package static func check(manifest: [UInt8], signatureFile: [UInt8]?, trusted: [PublicKey]) -> Status {
    guard let signatureFile else { return .unsigned }
    var text = signatureFile[...]
    if text.last == 0x0A { text = text.dropLast() }
    guard !text.isEmpty else { return .malformed("empty (truncated?)") }
    guard let colon = text.firstIndex(of: UInt8(ascii: ":")) else { return .malformed("expected one line KEYNAME:BASE64") }
    let name = String(decoding: text[..<colon], as: UTF8.self)
    if let problem = KeyName.problem(name) { return .malformed(problem) }
    guard let signature = Base64.decode(text[(colon + 1)...]), signature.count == SigningKey.signatureLength else {
      return .malformed("the signature of \(name) is not 64 bytes of base64 (truncated?)")
    }
    guard let key = trusted.first(where: { $0.name == name }) else { return .untrusted(key: name) }
    return key.verify(signature: signature, of: manifest) ? .verified(key: name) : .mismatch(key: name)
  }
}
