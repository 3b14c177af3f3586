import Foundation

/// The soak DSL: each step is one ordinary command or one hostile input, chosen by the seed.
extension SoakSequence {
  var stagingRoot: String { dir + "/staging" }

  /// Runs the whole sequence; failures are collected in `failures`.
  func runAll() {
    steps.append("init \(store) --dsl \(dsl)")
    let initRun = run(["init", store, "--dsl", dsl])
    guard survived(initRun, "setup"), initRun.status == 0 else { fail("setup", "init failed", initRun.summary); return }
    // A prelude so later steps have builds, pointers and archives to work on.
    for step in [captureBin, captureNeg, captureCfg, buildBin, releaseBin, promoteCfg] {
      guard step(false) else { return }
    }
    var ops: [(weight: Int, op: (Bool) -> Bool)] = [
      (4, mutateStaging), (3, captureBin), (1, captureNeg), (2, captureCfg), (3, buildBin), (1, buildNeg),
      (2, releaseBin), (2, promoteCfg), (1, rollbackBin), (1, rollbackCfg), (1, archive), (1, restore),
      (1, prune), (1, commandWrite), (1, readers),
    ]
    let hostile: [(SoakFamilies, (Bool) -> Bool)] = [
      (.longNames, longName), (.badVersions, badVersion), (.tierMap, tierTypo), (.lkg, lkgEdit),
      (.pointers, pointerEdit), (.transcripts, craftedTranscript), (.archives, damagedArchive),
      (.tarHeaders, craftedTar), (.tarHeaders, repackedArchive), (.fifos, fifo),
    ]
    for (family, op) in hostile where families.contains(family) { ops.append((2, op)) }
    let total = ops.reduce(0) { $0 + $1.weight }
    for _ in 0..<length {
      var roll = rng.below(total)
      let chosen = ops.first { roll -= $0.weight; return roll < 0 }!
      guard chosen.op(true) else { return }
    }
    if families.contains(.dslLeftovers) {
      let leftovers = SoakFS.walk(Array(dsl.utf8)).map(SoakText.show).filter { $0.contains(".tmp") }
      if !leftovers.isEmpty {
        let d = run(["dsl", "verify"])
        steps.append("final \(d.summary)")
        if survived(d, "dslLeftovers"), d.status == 0 { fail("dslLeftovers", "dsl verify does not report archive temporaries", "\(leftovers)\n\(d.summary)") }
      }
    }
    let v = run(["verify"])
    steps.append("final \(v.summary)")
    if survived(v, "final"), v.status != 0 { fail("final", "verify fails at the end", v.summary) }
  }

  // MARK: ordinary commands (each returns false when the sequence must stop)

  func mutateStaging(_ random: Bool) -> Bool {
    for _ in 0..<(1 + rng.below(4)) { steps.append("staging: " + staging.mutate(&rng)) }
    return true
  }

  func versionFlag(_ series: String) -> [String] {
    switch rng.below(6) {
    case 0: return ["--next-minor"]
    case 1: return ["--next-major"]
    case 2:
      let existing = SoakObserver.versions(store, series: series, builds: false)
      return ["--version", existing.isEmpty || rng.chance(50) ? String(format: "%03d.%03d", 1 + rng.below(3), 1 + rng.below(20)) : rng.pick(existing)]
    default: return []
    }
  }

  func captureBin(_ random: Bool) -> Bool {
    let flag = random ? versionFlag(Self.bin) : []
    return ordinary("capture") { _ in ["capture", self.stagingRoot, "--loadset", Self.bin] + Self.binNodes + flag }
  }

  func captureNeg(_ random: Bool) -> Bool {
    let flag = random ? versionFlag(Self.neg) : []
    return ordinary("capture") { _ in ["capture", self.stagingRoot, "--loadset", Self.neg, "--node", "/var/log/app"] + flag }
  }

  func captureCfg(_ random: Bool) -> Bool {
    ordinary("capture") { _ in ["capture", self.stagingRoot, "--loadset", Self.cfg, "--node", "/etc/app/conf"] }
  }

  /// A captured version, preferring one not built yet.
  func pickVersion(_ series: String) -> String {
    let nodes = SoakObserver.versions(store, series: series, builds: false)
    let built = SoakObserver.versions(store, series: series, builds: true)
    let unbuilt = nodes.filter { !built.contains($0) }
    if !unbuilt.isEmpty && rng.chance(75) { return rng.pick(unbuilt) }
    return nodes.isEmpty ? "001.001" : rng.pick(nodes)
  }

  func buildBin(_ random: Bool) -> Bool {
    let version = pickVersion(Self.bin)
    return ordinary("build") { _ in ["build", Self.bin, version] }
  }

  func buildNeg(_ random: Bool) -> Bool {
    let version = pickVersion(Self.neg)
    return ordinary("build") { _ in ["build", Self.neg, version] }
  }

  func releaseBin(_ random: Bool) -> Bool {
    let builds = SoakObserver.versions(store, series: Self.bin, builds: true)
    let version = builds.isEmpty ? "001.001" : (random ? rng.pick(builds) : builds.last!)
    return ordinary("release") { _ in ["release", Self.bin, version] }
  }

  func promoteCfg(_ random: Bool) -> Bool { ordinary("promote") { _ in ["promote", Self.cfg] } }

  func rollbackBin(_ random: Bool) -> Bool {
    let builds = SoakObserver.versions(store, series: Self.bin, builds: true)
    let to = !builds.isEmpty && rng.chance(30) ? ["--to", rng.pick(builds)] : []
    return ordinary("rollback") { _ in ["rollback", Self.bin] + to }
  }

  func rollbackCfg(_ random: Bool) -> Bool { ordinary("rollback") { _ in ["rollback", Self.cfg] } }

  func archive(_ random: Bool) -> Bool {
    let builds = SoakObserver.versions(store, series: Self.bin, builds: true)
    let snapshots = SoakObserver.versions(store, series: Self.cfg, builds: true)
    var refs = ["\(Self.bin)-current", "\(Self.cfg)-stable"]
    refs += builds.map { "\(Self.bin)@\($0)" } + snapshots.map { "\(Self.cfg)@\($0)" }
    let ref = rng.pick(refs)
    return ordinary("archive") { _ in ["archive", ref] }
  }

  /// The archives in the DSL (not the tag links), relative paths.
  func archives(in library: String) -> [String] {
    SoakFS.walk(Array(library.utf8)).map { String(decoding: $0, as: UTF8.self) }
      .filter { $0.hasSuffix(".tar.gz") && !$0.contains("/tags/") }.sorted()
  }

  func restore(_ random: Bool) -> Bool {
    let found = archives(in: dsl)
    guard !found.isEmpty else { return true }
    let archive = dsl + "/" + rng.pick(found)
    if rng.chance(60) {
      freshCount += 1
      let fresh = dir + "/fresh/\(freshCount)"
      sh("mkdir -p '\(dir)/fresh'")
      return ordinary("restore", { target in ["restore", archive, "--store", target] }, target: fresh, verifyAfter: true)
    }
    return ordinary("restore") { _ in ["restore", archive] }
  }

  func prune(_ random: Bool) -> Bool {
    let series = rng.chance(70) ? Self.bin : Self.cfg
    let keep = String(rng.below(3))
    let dry = rng.chance(30) ? ["--dry-run"] : []
    return ordinary("prune") { _ in ["prune", series, "--keep", keep] + dry }
  }

  func commandWrite(_ random: Bool) -> Bool { ordinary("command") { _ in ["command", "write", Self.product] } }

  /// Readers on the consistent store: each must succeed.
  func readers(_ random: Bool) -> Bool {
    let args = rng.pick([["status"], ["status", "--json"], ["log"], ["verify"], ["status", Self.bin], ["dsl", "list"], ["dsl", "verify"]])
    let r = run(args)
    steps.append(r.summary)
    guard survived(r, "readers") else { return false }
    if r.status != 0 { return fail("readers", "\(args.joined(separator: " ")) fails on a consistent store", r.summary) }
    return true
  }
}
