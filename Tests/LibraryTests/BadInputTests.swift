import Foundation
import StoreTestSupport
import Testing

/// Damaged archives and manifests: clear error, non-zero exit, nothing restored, nothing left.
@Suite(.serialized) struct BadInputTests {
  static let stem = "\(Released.bin)-001.001"

  /// A copy of the released build's archive and manifest in `bad/`, for damaging.
  static func copy(_ r: Released) throws -> (archive: String, manifest: String) {
    let bad = r.dir + "/bad"
    try FileManager.default.createDirectory(atPath: bad, withIntermediateDirectories: true)
    let archive = bad + "/\(stem).tar.gz", manifest = bad + "/\(stem).manifest.json"
    try? FileManager.default.removeItem(atPath: archive)
    try? FileManager.default.removeItem(atPath: manifest)
    try FileManager.default.copyItem(atPath: r.archive(stem), toPath: archive)
    try FileManager.default.copyItem(atPath: r.binFolder + "/\(stem).manifest.json", toPath: manifest)
    return (archive, manifest)
  }

  /// Rewrites the manifest's sha256 and length to match the (damaged) archive, so the deeper
  /// checks (gzip, tar, checksums) are the ones that must catch the damage.
  static func refreshManifest(_ archive: String, _ manifest: String, edit: String = "") throws {
    let script = """
      import hashlib, json, os, sys
      m = json.load(open(sys.argv[2]))
      data = open(sys.argv[1], 'rb').read()
      m['archive_sha256'] = hashlib.sha256(data).hexdigest(); m['archive_bytes'] = len(data)
      \(edit)
      json.dump(m, open(sys.argv[2], 'w'))
      """
    let r = try CLI.sh("python3 -c \"$(printf '%s' '\(script.replacingOccurrences(of: "'", with: "'\\''"))')\" '\(archive)' '\(manifest)'")
    #expect(r.status == 0, "\(r.err)")
  }

  /// Restore must fail with `message` in its error, leave the fresh store empty and its staging clean,
  /// and `dsl verify` must fail too.
  static func expectRefused(_ r: Released, _ archive: String, _ message: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let fresh = r.dir + "/fresh-\(UUID().uuidString.prefix(6))"
    let out = try CLI.run(["restore", archive, "--store", fresh])
    #expect(out.status != 0, sourceLocation: sourceLocation)
    #expect(out.err.contains(message), "\(out.err)", sourceLocation: sourceLocation)
    let transcripts = (try? FileManager.default.contentsOfDirectory(atPath: fresh + "/transcript")) ?? []
    let files = (try? FileManager.default.contentsOfDirectory(atPath: fresh + "/file")) ?? []
    let staging = (try? FileManager.default.contentsOfDirectory(atPath: fresh + "/.loadsmith/tmp")) ?? []
    #expect(transcripts.isEmpty && files.isEmpty && staging.isEmpty, "left: \(transcripts) \(files) \(staging)", sourceLocation: sourceLocation)
    let verify = try CLI.run(["dsl", "verify", archive])
    #expect(verify.status == 1, "\(verify.out)", sourceLocation: sourceLocation)
  }

  @Test("a truncated archive")
  func truncated() throws {
    let r = try Released("truncated")
    defer { r.cleanup() }
    let (archive, manifest) = try Self.copy(r)
    let size = try FileManager.default.attributesOfItem(atPath: archive)[.size] as! Int
    #expect(truncate(archive, off_t(size - 100)) == 0)
    try Self.expectRefused(r, archive, "does not match its manifest")
    try Self.refreshManifest(archive, manifest)
    try Self.expectRefused(r, archive, "truncated")
  }

  @Test("a flipped byte: the manifest's sha256, then gzip's CRC or deflate check")
  func flippedByte() throws {
    let r = try Released("flipped")
    defer { r.cleanup() }
    let (archive, manifest) = try Self.copy(r)
    var data = try Data(contentsOf: URL(fileURLWithPath: archive))
    data[data.count / 2] ^= 0x01
    try data.write(to: URL(fileURLWithPath: archive))
    try Self.expectRefused(r, archive, "does not match its manifest")
    try Self.refreshManifest(archive, manifest)
    let out = try CLI.run(["restore", archive, "--store", r.dir + "/fresh-flip"])
    #expect(out.status != 0 && (out.err.contains("CRC") || out.err.contains("corrupt") || out.err.contains("checksum") || out.err.contains("header")), "\(out.err)")
    #expect(try CLI.run(["dsl", "verify", archive]).status == 1)
  }

  @Test("a file whose bytes differ from the transcript's checksum (valid gzip and tar)")
  func checksumMismatch() throws {
    let r = try Released("checksum")
    defer { r.cleanup() }
    let (archive, manifest) = try Self.copy(r)
    let x = r.dir + "/x"
    let script = """
      set -e; mkdir -p '\(x)'; tar -tzf '\(archive)' > '\(r.dir)/members'; tar -xzf '\(archive)' -C '\(x)'
      f='\(x)/file/\(Self.stem).T/usr/local/apache/htdocs/index.html'; printf 'X' | dd of="$f" bs=1 seek=0 conv=notrunc 2>/dev/null
      rm '\(archive)'; tar -czf '\(archive)' -C '\(x)' --no-recursion -T '\(r.dir)/members'
      """
    #expect(try CLI.sh(script).status == 0)
    try Self.refreshManifest(archive, manifest)
    try Self.expectRefused(r, archive, "checksum")
    let verify = try CLI.run(["dsl", "verify", archive])
    #expect(verify.out.contains("index.html") && verify.out.contains("differs from the transcript"), "\(verify.out)")
  }

  @Test("a tar entry named ../../etc/x is refused before anything is written")
  func escapingEntry() throws {
    let r = try Released("escape")
    defer { r.cleanup() }
    let (archive, manifest) = try Self.copy(r)
    let script = """
      import io, sys, tarfile
      src, dst, stem = sys.argv[1], sys.argv[2], sys.argv[3]
      with tarfile.open(src, 'r:gz') as t:
          first = t.getmembers()[0]; data = t.extractfile(first).read()
      with tarfile.open(dst, 'w:gz', format=tarfile.PAX_FORMAT) as out:
          out.addfile(first, io.BytesIO(data))
          evil = tarfile.TarInfo('../../etc/x'); payload = b'owned\\n'; evil.size = len(payload)
          out.addfile(evil, io.BytesIO(payload))
      """
    try script.write(toFile: r.dir + "/evil.py", atomically: false, encoding: .utf8)
    let made = try CLI.sh("python3 '\(r.dir)/evil.py' '\(r.archive(Self.stem))' '\(archive)' \(Self.stem)")
    #expect(made.status == 0, "\(made.err)")
    try Self.refreshManifest(archive, manifest)
    try Self.expectRefused(r, archive, "../../etc/x")
    #expect(!FileManager.default.fileExists(atPath: r.dir + "/etc/x"))
    #expect(!FileManager.default.fileExists(atPath: r.dir + "/fresh/etc/x"))
  }

  @Test("a manifest that does not match: transcript digest, file count, loadset name, missing")
  func manifestMismatch() throws {
    let r = try Released("manifest")
    defer { r.cleanup() }
    let (archive, manifest) = try Self.copy(r)
    try Self.refreshManifest(archive, manifest, edit: "m['transcript_digest'] = 'AAAA'")
    try Self.expectRefused(r, archive, "transcript digest")
    let (archive2, manifest2) = try Self.copy(r)
    try Self.refreshManifest(archive2, manifest2, edit: "m['files'] = m['files'] + 1")
    try Self.expectRefused(r, archive2, "the manifest says")
    let (archive3, manifest3) = try Self.copy(r)
    try Self.refreshManifest(archive3, manifest3, edit: "m['loadset'] = 'was-apache-bin-rhel5-009.009.T'")
    try Self.expectRefused(r, archive3, "first member must be the transcript")
    try FileManager.default.removeItem(atPath: manifest3)
    try Self.expectRefused(r, archive3, "no manifest")
  }

  @Test("a full disk (small tmpfs): archive leaves nothing in the DSL; restore leaves the store unchanged")
  func fullDisk() throws {
    let r = try Released("fulldisk", release: false)
    defer { r.cleanup() }
    let small = r.dir + "/small"
    try FileManager.default.createDirectory(atPath: small, withIntermediateDirectories: true)
    guard try CLI.sh("mount -t tmpfs -o size=1m tmpfs '\(small)'").status == 0 else {
      Issue.record("cannot mount a tmpfs: this test needs root (CI runs as root); it fails rather than passing unchecked")
      return
    }
    defer { _ = try? CLI.sh("umount '\(small)'") }
    // 3 MiB of random bytes cannot compress below the 1 MiB limit.
    #expect(try CLI.sh("head -c 3145728 /dev/urandom > '\(r.staging)/usr/local/apache/bin/big.bin'").status == 0)
    try CLI.ok(["capture", r.staging, "--loadset", Released.bin, "--node", "/usr/local/apache", "--version", "002.001"], store: r.store)
    try CLI.ok(["build", Released.bin, "002.001"], store: r.store)
    try FileManager.default.createDirectory(atPath: small + "/dsl", withIntermediateDirectories: true)
    let out = try CLI.run(["archive", "\(Released.bin)@002.001", "--dsl", small + "/dsl"], store: r.store)
    #expect(out.status != 0 && out.err.contains("No space left on device"), "\(out.err)")
    let left = try CLI.sh("find '\(small)/dsl' -type f -o -type l").out
    #expect(left.isEmpty, "left behind: \(left)")
    // Release through the hook with that DSL: refused, current unmoved.
    try CLI.ok(["init", r.store, "--dsl", small + "/dsl"], store: r.store)
    let rel = try CLI.run(["release", Released.bin, "002.001"], store: r.store)
    #expect(rel.status != 0 && !FileManager.default.fileExists(atPath: r.store + "/transcript/\(Released.bin)-current.T"))

    // Restore into a store on the small tmpfs: ENOSPC, nothing published, staging removed.
    try CLI.ok(["archive", "\(Released.bin)@002.001", "--dsl", r.dsl], store: r.store)
    let smallStore = small + "/store"
    try CLI.ok(["init", smallStore], store: smallStore)
    let restore = try CLI.run(["restore", r.archive("\(Released.bin)-002.001"), "--store", smallStore])
    #expect(restore.status != 0 && restore.err.contains("No space left on device"), "\(restore.err)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: smallStore + "/transcript").isEmpty)
    #expect(try FileManager.default.contentsOfDirectory(atPath: smallStore + "/file").isEmpty)
    #expect(try FileManager.default.contentsOfDirectory(atPath: smallStore + "/.loadsmith/tmp").isEmpty)
  }
}
