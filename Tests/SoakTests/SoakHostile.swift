import Foundation

/// Hostile inputs: each is tried on a copy of the store (see `hostileRun`), so the sequence goes on.
extension SoakSequence {
  func letters(_ count: Int) -> String { String((0..<count).map { _ in Character(UnicodeScalar(UInt8(ascii: "a") + UInt8(rng.below(26)))) }) }

  func longName(_ random: Bool) -> Bool {
    let loadset = letters(180 + rng.below(80)) + "-app-bin-linux"
    hostileRun("longNames", edited: [], [(["capture", stagingRoot, "--loadset", loadset, "--node", "/opt/app"], .any)]) { _ in }
    return true
  }

  func badVersion(_ random: Bool) -> Bool {
    let bad = rng.pick(["1.1", "001.1000", "000.000", "../001.001", "001.001/x", "-001.001", "001.001\n", "９９９.001", "001.001 ", "", "1e3.001", "001..001"])
    let escaping = bad.contains("/")
    let args: [String]
    switch rng.below(6) {
    case 0: args = ["capture", stagingRoot, "--loadset", Self.bin, "--node", "/opt/app", "--version", bad]
    case 1: args = ["build", Self.bin, bad]
    case 2: args = ["release", Self.bin, bad]
    case 3: args = ["rollback", Self.bin, "--to", bad]
    case 4: args = ["archive", "\(Self.bin)@\(bad)"]
    default: args = ["prune", Self.bin, "--keep", rng.pick(["-1", "abc", "99999999999999999999", ""])]
    }
    hostileRun("badVersions", edited: [], [(args, escaping ? .refuse : .any)]) { _ in }
    return true
  }

  func tierTypo(_ random: Bool) -> Bool {
    let typo = rng.pick(["PROD bogus stable current", "PROD current", "PR-OD current stable current", "DEV newest devv newest", "TEST newest dev newest extra", String(repeating: "X", count: 5000) + " newest dev newest"])
    let builds = SoakObserver.versions(store, series: Self.bin, builds: true)
    let command: [String] = switch rng.below(4) {
    case 0: ["release", Self.bin, builds.isEmpty ? "001.001" : rng.pick(builds)]
    case 1: ["promote", Self.cfg]
    case 2: ["rollback", Self.bin]
    default: ["command", "write", Self.product]
    }
    hostileRun("tierMap", edited: [".loadsmith/tiers"], [(command, .refuseOrNoop)]) { h in
      let path = h + "/.loadsmith/tiers"
      let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
      try? (text + typo + "\n").write(toFile: path, atomically: false, encoding: .utf8)
    }
    return true
  }

  func lkgEdit(_ random: Bool) -> Bool {
    let series = rng.chance(70) ? Self.bin : Self.cfg
    let value = rng.pick(["../../../canary/secret", "../../../../../../etc/passwd", "\(Self.cfg)-0001", "\(Self.neg)-001.001", "\(Self.bin)-999.999", "", "garbage\n\nmore", String(repeating: "z", count: 300), "/etc/passwd"])
    // A cfg rollback returns stable to stale and never reads lkg: there the edit must simply be
    // ignored (the other checks still hold: nothing escapes, no pointer leaves its series).
    let expectation: Expectation = series == Self.cfg ? .any : .refuseOrNoop
    hostileRun("lkg", edited: [".loadsmith/lkg/\(series)"], [(["rollback", series], expectation)]) { h in
      try? (value + "\n").write(toFile: h + "/.loadsmith/lkg/\(series)", atomically: false, encoding: .utf8)
    }
    return true
  }

  func pointerEdit(_ random: Bool) -> Bool {
    let pointer = "\(Self.bin)-current.T"
    let variant = rng.below(5)
    let builds = SoakObserver.versions(store, series: Self.bin, builds: true)
    let command: [String] = switch rng.below(3) {
    case 0: ["release", Self.bin, builds.isEmpty ? "001.001" : rng.pick(builds)]
    case 1: ["rollback", Self.bin]
    default: ["status"]
    }
    let twin = rng.chance(50)
    let edited = ["transcript/\(pointer)"] + (twin ? ["file/\(pointer)"] : [])
    hostileRun("pointers", edited: edited, [(command, .any)]) { h in
      for path in edited {
        let full = h + "/" + path
        try? FileManager.default.removeItem(atPath: full)
        switch variant {
        case 0: try? FileManager.default.createSymbolicLink(atPath: full, withDestinationPath: "../../canary/secret")
        case 1: try? FileManager.default.createSymbolicLink(atPath: full, withDestinationPath: "\(Self.bin)-999.999.T")
        case 2: try? FileManager.default.createSymbolicLink(atPath: full, withDestinationPath: "\(Self.cfg)-0001.T")
        case 3: try? "not a pointer\n".write(toFile: full, atomically: false, encoding: .utf8)
        default: try? FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: false)
        }
      }
    }
    return true
  }

  /// A node loadset captured on the copy (its content-index segment is undone with it), then given a line whose path climbs out of the store
  /// (real size and checksum of the canary), then built, checked, verified and archived.
  func craftedTranscript(_ random: Bool) -> Bool {
    let version = String(format: "%03d.%03d", 700 + rng.below(99), 1 + rng.below(9))
    let node = "\(Self.bin)-\(version)-node1.T"
    let line: String
    let size = canary.secret.count
    let sum = (try? SoakProcess.sh("openssl dgst -sha1 -binary '\(canary.secretPath)' | base64").out.trimmingCharacters(in: .whitespacesAndNewlines)) ?? ""
    switch rng.below(3) {
    case 0: line = "f /../../../canary/secret 0644 0 0 1700000000 \(size) \(sum)"
    case 1: line = "f /opt/../../../../canary/secret 0644 0 0 1700000000 \(size) \(sum)"
    default: line = "d /../../../canary/newdir 0755 0 0"
    }
    let builds = SoakObserver.versions(store, series: Self.bin, builds: true)
    if !builds.isEmpty && rng.chance(40) {
      let unarchived = builds.filter { !isArchived($0) }
      editedBuild(rng.pick(unarchived.isEmpty ? builds : unarchived), line: line)
      return true
    }
    let edited = ["transcript/\(node)", "file/\(node)", ".loadsmith/meta/\(node)", ".loadsmith/content/\(node)", "transcript/\(Self.bin)-\(version).T", "file/\(Self.bin)-\(version).T", ".loadsmith/meta/\(Self.bin)-\(version).T"]
    hostileRun("transcripts", edited: edited, [
      (["build", Self.bin, version], .refuse),
      (["verify"], .refuse),
      (["check", hostile + "/transcript/\(node)"], .refuse),
    ]) { h in
      let r = try? SoakProcess.run(["capture", stagingRoot, "--loadset", Self.bin, "--node", "/opt/app", "--version", version], store: h, scratch: dir)
      if r?.status != 0 { steps.append("  [transcripts] setup capture failed: \(r?.summary ?? "")") }
      let path = h + "/transcript/" + node
      let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
      try? FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
      try? (line + "\n" + text).write(toFile: path, atomically: false, encoding: .utf8)
    }
    return true
  }

  /// A published build's transcript given a line whose path climbs out of the store, then
  /// archived and verified: both must refuse, and nothing outside may be read into the archive.
  func editedBuild(_ version: String, line: String) {
    let name = "\(Self.bin)-\(version).T"
    hostileRun("transcripts", edited: ["transcript/\(name)"], [
      (["archive", "\(Self.bin)@\(version)"], isArchived(version) ? .any : .refuse),
      (["verify"], .refuse),
    ]) { h in
      let path = h + "/transcript/" + name
      let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
      try? FileManager.default.removeItem(atPath: path)
      try? (line + "\n" + text).write(toFile: path, atomically: false, encoding: .utf8)
    }
  }

  /// Whether the bin build is in the DSL already (then `archive` is a no-op that reads nothing).
  func isArchived(_ version: String) -> Bool {
    archives(in: dsl).contains { $0.hasSuffix("/\(Self.bin)-\(version).tar.gz") }
  }

  /// A copy of a real archive and its manifest under `work/bad/`, for damaging.
  func badCopy() -> (archive: String, manifest: String, stem: String)? {
    let found = archives(in: dsl)
    guard !found.isEmpty else { return nil }
    let rel = rng.pick(found)
    let stem = String(rel.split(separator: "/").last!.dropLast(".tar.gz".count))
    let bad = dir + "/work/bad"
    sh("rm -rf '\(bad)'; mkdir -p '\(bad)'; cp '\(dsl)/\(rel)' '\(bad)/'; cp \"$(dirname '\(dsl)/\(rel)')/\(stem).manifest.json\" '\(bad)/'")
    return (bad + "/\(stem).tar.gz", bad + "/\(stem).manifest.json", stem)
  }

  func refuseArchive(_ family: String, _ archive: String, _ what: String) {
    freshCount += 1
    let fresh = dir + "/fresh/\(freshCount)"
    sh("mkdir -p '\(dir)/fresh'")
    steps.append("  [\(family)] \(what)")
    hostileRun(family, edited: [], [
      (["dsl", "verify", archive], .refuse),
      (["restore", archive, "--store", fresh], .refuse),
      (["restore", archive], .refuse),
    ]) { _ in }
    let restored = SoakObserver.transcripts(fresh)
    if !restored.isEmpty { fail(family, "a refused restore published", "\(what): \(restored)") }
  }

  func damagedArchive(_ random: Bool) -> Bool {
    guard let (archive, manifest, _) = badCopy() else { return true }
    var data = SoakFS.readRegular(Array(archive.utf8)) ?? []
    let what: String
    switch rng.below(4) {
    case 0:
      let cut = rng.below(max(1, data.count))
      data = Array(data.prefix(cut))
      what = "truncated to \(cut) bytes"
    case 1:
      let at = rng.below(max(1, data.count))
      if !data.isEmpty { data[at] ^= UInt8(1 << rng.below(8)) }
      what = "byte \(at) flipped"
    case 2:
      data = rng.bytes(rng.below(4000))
      what = "random garbage"
    default:
      data = [0x1F, 0x8B, 0x08, 0x00] + rng.bytes(rng.below(600))
      what = "a gzip header then garbage"
    }
    SoakFS.writeFile(Array(archive.utf8), data)
    let refreshed = rng.chance(70)
    if refreshed { try? SoakArchives.refreshManifest(archive: archive, manifest: manifest) }
    refuseArchive("archives", archive, what + (refreshed ? ", manifest refreshed" : ""))
    return true
  }

  func craftedTar(_ random: Bool) -> Bool {
    guard let (archive, manifest, stem) = badCopy() else { return true }
    let tarPath = archive + ".tar"
    sh("gzip -dc '\(archive)' > '\(tarPath)'")
    let tar = SoakFS.readRegular(Array(tarPath.utf8)) ?? []
    let (what, crafted) = SoakArchives.crafted(rng.below(7), stem: stem, scratch: dir)
    let front = rng.chance(50)
    let end = SoakArchives.endOffset(tar)
    let spliced = front ? crafted + tar : Array(tar[..<end]) + crafted + [UInt8](repeating: 0, count: 1024)
    SoakFS.writeFile(Array(tarPath.utf8), spliced)
    sh("gzip -n -c '\(tarPath)' > '\(archive)'; rm -f '\(tarPath)'")
    try? SoakArchives.refreshManifest(archive: archive, manifest: manifest)
    refuseArchive("tarHeaders", archive, what + (front ? " (first)" : " (last)"))
    return true
  }

  /// A real archive unpacked with GNU tar, its transcript made unsorted or given a duplicate or an
  /// escaping line, repacked in the same member order: `restore` must check before it publishes.
  func repackedArchive(_ random: Bool) -> Bool {
    guard let (archive, manifest, stem) = badCopy() else { return true }
    let x = dir + "/work/bad/x"
    let edits = [
      ("transcript unsorted", "awk 'NR==1{first=$0; next} {print} END{print first}'"),
      ("duplicate transcript line", "awk '{print} NR==1{print}'"),
      ("d /../../../canary/newdir line", "awk 'NR==1{print \"d /../../../canary/newdir 0755 0 0\"} {print}'"),
    ]
    let (what, edit) = rng.pick(edits)
    sh("""
      set -e; mkdir -p '\(x)'; cd '\(x)'; tar -xzf '\(archive)'; tar -tzf '\(archive)' > ../list
      t='transcript/\(stem).T'; \(edit) "$t" > ../t.new
      # A one-line transcript is not made unsorted by moving its first line last: duplicate it.
      cmp -s "$t" ../t.new && awk '{print} NR==1{print}' "$t" > ../t.new
      chmod u+w "$t"; cat ../t.new > "$t"
      """)
    // The transcript's digest, in the meta member and the manifest, follows the edit, so only
    // restore's own checks of the transcript can refuse it.
    if let data = try? Data(contentsOf: URL(fileURLWithPath: manifest)),
      var m = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
      let algorithm = m["digest_algorithm"] as? String, let oldDigest = m["transcript_digest"] as? String,
      let newDigest = try? SoakProcess.sh("openssl dgst -\(algorithm) -binary '\(x)/transcript/\(stem).T' | base64 -w0").out
    {
      let meta = x + "/.loadsmith/meta/\(stem).T"
      if let text = try? String(contentsOfFile: meta, encoding: .utf8) {
        sh("chmod u+w '\(meta)'")
        try? text.replacingOccurrences(of: oldDigest, with: newDigest).write(toFile: meta, atomically: false, encoding: .utf8)
      }
      m["transcript_digest"] = newDigest
      try? JSONSerialization.data(withJSONObject: m).write(to: URL(fileURLWithPath: manifest))
    }
    sh("cd '\(x)' && tar --no-recursion -czf '\(archive)' -T ../list")
    try? SoakArchives.refreshManifest(archive: archive, manifest: manifest)
    refuseArchive("tarHeaders", archive, "repacked: " + what)
    return true
  }

  /// A FIFO in place of a store file: readers and writers must refuse it by type, never block.
  func fifo(_ random: Bool) -> Bool {
    let builds = SoakObserver.versions(store, series: Self.bin, builds: true)
    guard let build = builds.last else { return true }
    let name = "\(Self.bin)-\(build).T"
    var candidates = ["transcript/\(Self.bin)-888.001.T", ".loadsmith/meta/\(name)"]
    let stored = SoakFS.walk(Array((store + "/file/" + name).utf8))
      .filter { rel in rel.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "'") } }
      .map { String(decoding: $0, as: UTF8.self) }
      .filter { SoakFS.lstat(Array((store + "/file/" + name + "/" + $0).utf8)).map { ($0.st_mode & S_IFMT) == S_IFREG } ?? false }
    if !stored.isEmpty { candidates.append("file/\(name)/" + rng.pick(stored)) }
    let path = rng.pick(candidates)
    let command: [String] = rng.pick([["verify"], ["status"], ["archive", "\(Self.bin)@\(build)"], ["status", "--json"]])
    let mustRefuse = command[0] == "verify" || (command[0] == "archive" && !path.hasPrefix("transcript/") && !isArchived(build))
    hostileRun("fifos", edited: [path], [(command, mustRefuse ? .refuse : .any)]) { h in
      try? FileManager.default.removeItem(atPath: h + "/" + path)
      SoakFS.mkfifo(Array((h + "/" + path).utf8))
    }
    return true
  }
}
