import Foundation
import Hashing
import Library
import StoreTestSupport
import Testing

/// Signed releases: keys, signatures over the manifest's exact bytes, trust, rotation, refusals.
@Suite(.serialized) struct SigningTests {
  static let bin = "was-apache-bin-rhel5"
  static let strict = ["LOADSMITH_TEST_STRICT_SIGNATURES": "1"]

  /// A store whose DSL signs with key `k1` (trusted in DSL/trusted-keys); 001.001 released.
  static func signedStore(_ label: String) throws -> (dir: String, store: String, dsl: String, archive: String) {
    let s = try CLI.scratch(label)
    let dsl = s.dir + "/dsl", keys = s.dir + "/keys"
    try FileManager.default.createDirectory(atPath: keys, withIntermediateDirectories: true)
    try CLI.ok(["key", "generate", "k1", "--out", keys], store: s.store)
    try CLI.ok(["init", s.store, "--dsl", dsl, "--signing-key", keys + "/k1.key"], store: s.store)
    try FileManager.default.copyItem(atPath: keys + "/k1.pub", toPath: dsl + "/trusted-keys")
    try CLI.ok(["capture", s.staging, "--loadset", bin, "--node", "/usr/local/apache", "--version", "001.001"], store: s.store)
    try CLI.ok(["build", bin, "001.001"], store: s.store)
    try CLI.ok(["release", bin, "001.001"], store: s.store)
    return (s.dir, s.store, dsl, dsl + "/was/apache/bin/\(bin)-001.001.tar.gz")
  }

  static func restore(_ archive: String, into dir: String, _ extra: [String] = []) throws -> CLI.Result {
    try CLI.run(["restore", archive, "--store", dir + "/fresh-\(UUID().uuidString.prefix(6))"] + extra, env: strict)
  }

  @Test("release signs the manifest; restore and dsl verify accept it with the public key only")
  func signedRoundTrip() throws {
    let s = try Self.signedStore("sign-ok")
    defer { CLI.remove(s.dir) }
    let manifestPath = s.archive.replacingOccurrences(of: ".tar.gz", with: ".manifest.json")
    let manifest = try String(contentsOfFile: manifestPath, encoding: .utf8)
    #expect(manifest.contains("\"signing_key\": \"k1\"") && manifest.contains("\"history_head\": \""))
    let sig = try String(contentsOfFile: manifestPath + ".sig", encoding: .utf8)
    #expect(sig.hasPrefix("k1:") && sig.hasSuffix("\n"))
    // Only the public key, outside the DSL.
    try FileManager.default.removeItem(atPath: s.dsl + "/trusted-keys")
    let r = try Self.restore(s.archive, into: s.dir, ["--trusted-keys", s.dir + "/keys/k1.pub"])
    #expect(r.status == 0, "\(r.err)")
    #expect(r.out.contains("signed by k1, verified"))
    let v = try CLI.run(["dsl", "verify", s.archive, "--trusted-keys", s.dir + "/keys/k1.pub"], env: Self.strict)
    #expect(v.status == 0, "\(v.out)\(v.err)")
    // Without any trusted key the same archive is refused, naming the key.
    let untrusted = try Self.restore(s.archive, into: s.dir)
    #expect(untrusted.status == 1 && untrusted.err.contains("signed by 'k1', which is not a trusted key"))
  }

  @Test("the manifest of a later release names its parent build")
  func parentRecorded() throws {
    let s = try Self.signedStore("sign-parent")
    defer { CLI.remove(s.dir) }
    let st = s.dir + "/staging"
    try "v2\n".write(toFile: st + "/usr/local/apache/htdocs/index.html", atomically: false, encoding: .utf8)
    try CLI.ok(["capture", st, "--loadset", Self.bin, "--node", "/usr/local/apache", "--next-minor"], store: s.store)
    try CLI.ok(["build", Self.bin, "001.002"], store: s.store)
    try CLI.ok(["release", Self.bin, "001.002"], store: s.store)
    let m = try String(contentsOfFile: s.dsl + "/was/apache/bin/\(Self.bin)-001.002.manifest.json", encoding: .utf8)
    #expect(m.contains("\"parent\": \"\(Self.bin)-001.001.T\""))
  }

  @Test("a forger with DSL write access but not the key: flipped byte with sha256 recomputed, re-signed manifest, truncated or missing signature: refused, nothing restored")
  func forgeries() throws {
    let s = try Self.signedStore("sign-forge")
    defer { CLI.remove(s.dir) }
    let manifestPath = s.archive.replacingOccurrences(of: ".tar.gz", with: ".manifest.json")
    let original = try Data(contentsOf: URL(fileURLWithPath: manifestPath))
    let originalSig = try Data(contentsOf: URL(fileURLWithPath: manifestPath + ".sig"))
    let originalArchive = try Data(contentsOf: URL(fileURLWithPath: s.archive))
    func reset() throws {
      try original.write(to: URL(fileURLWithPath: manifestPath))
      try originalSig.write(to: URL(fileURLWithPath: manifestPath + ".sig"))
      try originalArchive.write(to: URL(fileURLWithPath: s.archive))
    }
    func refused(_ label: String, _ needle: String) throws {
      let fresh = s.dir + "/fresh-\(label)"
      let r = try CLI.run(["restore", s.archive, "--store", fresh], env: Self.strict)
      #expect(r.status == 1, "\(label): \(r.err)")
      #expect(r.err.contains(needle), "\(label): \(r.err)")
      #expect(!FileManager.default.fileExists(atPath: fresh + "/transcript/\(Self.bin)-001.001.T"), "\(label)")
      let v = try CLI.run(["dsl", "verify", s.archive], env: Self.strict)
      #expect(v.status == 1, "\(label): \(v.out)")
      try reset()
    }
    // 1. A flipped byte, the manifest's sha256 recomputed to match.
    var archive = originalArchive
    archive[archive.count / 2] ^= 0x01
    try archive.write(to: URL(fileURLWithPath: s.archive))
    let sha = try CLI.sh("sha256sum '\(s.archive)' | cut -d' ' -f1").out.trimmingCharacters(in: .whitespacesAndNewlines)
    let text = String(decoding: original, as: UTF8.self)
    let oldSHA = text.split(separator: "\"archive_sha256\": \"")[1].prefix(64)
    try text.replacingOccurrences(of: String(oldSHA), with: sha).write(toFile: manifestPath, atomically: false, encoding: .utf8)
    try refused("flipped", "does not match the manifest (forged or damaged)")
    // 2. The manifest edited and re-signed with a key the DSL does not trust.
    let forger = try SigningKey.generate(name: "mallory")
    let edited = Array(text.replacingOccurrences(of: "\"signing_key\": \"k1\"", with: "\"signing_key\": \"mallory\"").utf8)
    try Data(edited).write(to: URL(fileURLWithPath: manifestPath))
    try Data(try ManifestSignature.sign(edited, with: forger)).write(to: URL(fileURLWithPath: manifestPath + ".sig"))
    try refused("untrusted", "signed by 'mallory', which is not a trusted key")
    // 3. A truncated signature; 4. none at all.
    try Data(originalSig.prefix(20)).write(to: URL(fileURLWithPath: manifestPath + ".sig"))
    try refused("truncated", "(truncated?)")
    try FileManager.default.removeItem(atPath: manifestPath + ".sig")
    try refused("unsigned", "refused: unsigned")
    // --allow-unsigned restores an unsigned archive and says so.
    try FileManager.default.removeItem(atPath: manifestPath + ".sig")
    let allowed = try CLI.run(["restore", s.archive, "--store", s.dir + "/fresh-allowed", "--allow-unsigned"], env: Self.strict)
    #expect(allowed.status == 0 && allowed.out.contains("is unsigned; restored because --allow-unsigned was given"), "\(allowed.err)")
  }

  @Test("rotation: several trusted keys at once; removing a key from the list revokes it")
  func rotation() throws {
    let s = try Self.signedStore("sign-rotate")
    defer { CLI.remove(s.dir) }
    try CLI.ok(["key", "generate", "k2", "--out", s.dir + "/keys"], store: s.store)
    let k1 = try String(contentsOfFile: s.dir + "/keys/k1.pub", encoding: .utf8)
    let k2 = try String(contentsOfFile: s.dir + "/keys/k2.pub", encoding: .utf8)
    try ("# rotation\n" + k1 + k2).write(toFile: s.dsl + "/trusted-keys", atomically: false, encoding: .utf8)
    #expect(try Self.restore(s.archive, into: s.dir).status == 0)
    try k2.write(toFile: s.dsl + "/trusted-keys", atomically: false, encoding: .utf8)  // k1 revoked
    let r = try Self.restore(s.archive, into: s.dir)
    #expect(r.status == 1 && r.err.contains("'k1', which is not a trusted key") && r.err.contains("trusted: k2"))
    let list = try CLI.ok(["dsl", "list"], store: s.store)
    #expect(list.contains("signed by k1, a key that is not trusted"))
  }

  @Test("key files: never overwritten, a loose private key or a malformed one is refused")
  func keyFiles() throws {
    let s = try CLI.scratch("sign-keys")
    defer { CLI.remove(s.dir) }
    let keys = s.dir + "/keys"
    try FileManager.default.createDirectory(atPath: keys, withIntermediateDirectories: true)
    try CLI.ok(["key", "generate", "k1", "--out", keys], store: s.store)
    let attributes = try FileManager.default.attributesOfItem(atPath: keys + "/k1.key")
    #expect((attributes[.posixPermissions] as? Int) == 0o600)
    let again = try CLI.run(["key", "generate", "k1", "--out", keys], store: s.store)
    #expect(again.status != 0 && again.err.contains("already exists"))
    chmod(keys + "/k1.key", 0o644)
    let loose = try CLI.run(["init", s.store, "--signing-key", keys + "/k1.key"], store: s.store)
    #expect(loose.status != 0 && loose.err.contains("accessible by others"))
    try "k9:not-a-key\n".write(toFile: keys + "/bad.key", atomically: false, encoding: .utf8)
    chmod(keys + "/bad.key", 0o600)
    let bad = try CLI.run(["init", s.store, "--signing-key", keys + "/bad.key"], store: s.store)
    #expect(bad.status != 0 && bad.err.contains("not valid base64"))
    #expect(!FileManager.default.fileExists(atPath: s.store + "/.loadsmith/signing-key"))
  }

  @Test("signing and verifying a manifest cost well under 1 ms")
  func cost() throws {
    let key = try SigningKey.generate(name: "bench")
    let manifest = Array(String(repeating: "{\"field\": \"value\"}\n", count: 30).utf8)
    let rounds = 2000
    let clock = ContinuousClock()
    var signatures: [[UInt8]] = []
    let signing = try clock.measure { for _ in 0..<rounds { signatures.append(try ManifestSignature.sign(manifest, with: key)) } }
    let verifying = clock.measure {
      for s in signatures { #expect(ManifestSignature.check(manifest: manifest, signatureFile: s, trusted: [key.publicKey]).isVerified) }
    }
    let perSign = signing / rounds, perVerify = verifying / rounds
    print("signing: \(perSign) per manifest; verifying: \(perVerify) per manifest")
    #expect(perSign < .milliseconds(1) && perVerify < .milliseconds(1))
  }
}
