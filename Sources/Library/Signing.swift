import SystemCalls
import Hashing
import Store

/// Which signatures `restore` and `dsl verify` accept: the trusted public keys (the DSL's
/// `trusted-keys` file plus any `--trusted-keys FILE`) and whether an unsigned archive from
/// before signing may pass (`--allow-unsigned`, said out loud).
package struct SignaturePolicy: Sendable {
  package var trusted: [PublicKey]
  package var allowUnsigned: Bool

  package init(trusted: [PublicKey], allowUnsigned: Bool) {
    self.trusted = trusted
    self.allowUnsigned = allowUnsigned
  }
}

extension DSL {
  /// `DSL/trusted-keys`: one `NAME:BASE64` per line; removing a line revokes that key.
  package var trustedKeysPath: String { root + "/trusted-keys" }

  /// The keys this DSL trusts, plus those of `extraFile`. Several at once allow rotation.
  package func signaturePolicy(extraTrustedKeys extraFile: String?, allowUnsigned: Bool) throws(LibraryError) -> SignaturePolicy {
    var keys: [PublicKey] = []
    if LibraryFiles.exists(trustedKeysPath) { keys += try KeyFiles.loadTrustedKeys(trustedKeysPath) }
    if let extraFile {
      for key in try KeyFiles.loadTrustedKeys(extraFile) {
        if let other = keys.first(where: { $0.name == key.name }), other.raw != key.raw {
          throw LibraryError(.usage, "\(extraFile): key '\(key.name)' differs from the one \(trustedKeysPath) trusts under that name")
        }
        if !keys.contains(key) { keys.append(key) }
      }
    }
    return SignaturePolicy(trusted: keys, allowUnsigned: allowUnsigned)
  }

  /// The key `archive` signs with: `$LOADSMITH_SIGNING_KEY`, else the store's recorded key file,
  /// else none (the manifest is written unsigned).
  package static func signingKey(for store: LoadsetStore?) throws(LibraryError) -> SigningKey? {
    if let env = Syscall.environment("LOADSMITH_SIGNING_KEY"), !env.isEmpty {
      return try KeyFiles.loadSigningKey(env)
    }
    guard let file = store?.signingKeyFile else { return nil }
    return try KeyFiles.loadSigningKey(file)
  }

  /// Checks the signature beside `manifestPath` over `manifestBytes` first of all: refused unless
  /// it verifies with a trusted key (or is absent and the policy allows unsigned archives).
  static func checkSignature(archivePath: String, manifestPath: String, manifestBytes: [UInt8],
                             policy: SignaturePolicy) throws(LibraryError) -> ManifestSignature.Status {
    let signaturePath = ManifestSignature.path(forManifest: manifestPath)
    let signatureFile = try LibraryFiles.readFile(signaturePath, limit: 4096)
    let status = ManifestSignature.check(manifest: manifestBytes, signatureFile: signatureFile, trusted: policy.trusted)
    switch status {
    case .verified:
      return status
    case .unsigned where policy.allowUnsigned:
      return status
    case .unsigned:
      throw LibraryError(.corrupt, "\(archivePath): refused: unsigned (no \(signaturePath)); pass --allow-unsigned to accept an archive made before signing")
    case .untrusted(let key):
      throw LibraryError(.corrupt, "\(archivePath): refused: signed by '\(key)', which is not a trusted key (\(policy.trusted.isEmpty ? "no keys are trusted" : "trusted: " + policy.trusted.map(\.name).joined(separator: ", ")))")
    case .mismatch(let key):
      throw LibraryError(.corrupt, "\(archivePath): refused: the signature by '\(key)' does not match the manifest (forged or damaged)")
    case .malformed(let reason):
      throw LibraryError(.corrupt, "\(archivePath): refused: \(signaturePath): \(reason)")
    }
  }
}
