import Foundation

/// One finding: what broke, in which family, and the steps that led there (replay by seed).
struct SoakFailure {
  var seed: UInt64
  var family: String
  var symptom: String
  var detail: String
  var steps: [String]

  var key: String { family + ": " + symptom }
}

/// One seeded sequence over a scratch store: a fixed prelude, then random ordinary commands
/// (some killed at a random step boundary) and hostile inputs (each tried on a copy of the store).
final class SoakSequence {
  static let bin = "soak-app-bin-linux", neg = "soak-app-neg-linux", cfg = "soak-app-cfg", product = "soak-app"
  static let binNodes = ["--node", "/opt/app", "--node", "/etc/app"]

  let seed: UInt64
  let families: SoakFamilies
  let length: Int
  let dir: String
  var rng: SoakRandom
  var staging: SoakStaging
  let canary: SoakCanary
  var steps: [String] = []
  var failures: [SoakFailure] = []
  var commands = 0, kills = 0, hostileInputs = 0
  var freshCount = 0

  var store: String { dir + "/store" }
  var dsl: String { dir + "/dsl" }
  var hostile: String { dir + "/hostile" }

  init(seed: UInt64, families: SoakFamilies, length: Int) throws {
    self.seed = seed
    self.families = families
    self.length = length
    rng = SoakRandom(seed: seed)
    dir = FileManager.default.temporaryDirectory.appendingPathComponent("loadsmith-soak-\(getpid())-\(String(seed, radix: 16))").path
    try? FileManager.default.removeItem(atPath: dir)
    try FileManager.default.createDirectory(atPath: dir + "/work", withIntermediateDirectories: true)
    staging = SoakStaging(root: dir + "/staging", families: families, rng: &rng)
    canary = SoakCanary(dir: dir, allowed: ["store", "staging", "dsl", "canary", "work", "hostile", "hostile-dsl", "probe", "fresh", ".out", ".err"])
  }

  func cleanup() { try? FileManager.default.removeItem(atPath: dir) }

  // MARK: running and checking

  func run(_ args: [String], store target: String? = nil, env: [String: String] = [:]) -> SoakRun {
    commands += 1
    do {
      return try SoakProcess.run(args, store: target ?? store, env: env, scratch: dir)
    } catch {
      return SoakRun(args: args, status: -1, signaled: false, out: "", err: "could not start: \(error)")
    }
  }

  /// Records a failure; returns false so callers can `return fail(...)` to stop.
  @discardableResult
  func fail(_ family: String, _ symptom: String, _ detail: String) -> Bool {
    failures.append(SoakFailure(seed: seed, family: family, symptom: symptom, detail: detail, steps: steps))
    return false
  }

  /// No crash, no hang: true when the run may be judged further.
  func survived(_ r: SoakRun, _ family: String) -> Bool {
    if r.hung { return fail(family, "hang: \(r.args.first ?? "")", r.summary) }
    if r.crashed { return fail(family, "crash: \(r.args.first ?? "")", r.summary) }
    return true
  }

  /// Canary damage and new pointer or command-file problems; the canary is put back once seen.
  func escapes(_ target: String, before: [String] = []) -> [String] {
    let damage = canary.problems()
    if !damage.isEmpty { canary.reset() }
    return damage + SoakObserver.problems(target).filter { !before.contains($0) }
  }

  func sh(_ command: String) { _ = try? SoakProcess.sh(command) }

  /// A copy of a store with its own DSL (so a probe or a hostile run never writes the real DSL).
  func copyStore(from source: String, to copy: String, dsl copyDSL: String) {
    sh("rm -rf '\(copy)' '\(copyDSL)'; mkdir -p \"$(dirname '\(copy)')\"; [ -e '\(source)' ] && cp -a '\(source)' '\(copy)'; cp -a '\(dsl)' '\(copyDSL)'")
    if FileManager.default.fileExists(atPath: copy + "/.loadsmith/dsl") {
      try? (copyDSL + "\n").write(toFile: copy + "/.loadsmith/dsl", atomically: false, encoding: .utf8)
    }
  }

  /// An ordinary command on `target` (the store unless a fresh restore target). With the kills
  /// family it may be killed at a random step boundary learned on a copy: then `verify` must pass
  /// and the store must show the state before or the state a clean run reached.
  /// Returns false when the main store can no longer be trusted (the sequence stops).
  @discardableResult
  func ordinary(_ family: String, _ argsFor: (String) -> [String], target: String? = nil, verifyAfter: Bool = true) -> Bool {
    let target = target ?? store
    let old = SoakObserver.signature(target)
    let hadCommandFiles = !SoakFS.list(Array((target + "/command").utf8)).isEmpty
    if families.contains(.kills) && rng.chance(35) {
      let probe = dir + "/probe/store"
      copyStore(from: target, to: probe, dsl: dir + "/probe/dsl")
      let trace = dir + "/work/trace"
      try? FileManager.default.removeItem(atPath: trace)
      let clean = run(argsFor(probe), store: probe, env: ["LOADSMITH_FAULT_TRACE": trace])
      guard survived(clean, family) else { return false }
      let new = SoakObserver.signature(probe)
      let boundaries = ((try? String(contentsOfFile: trace, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
      if !boundaries.isEmpty {
        let boundary = rng.pick(boundaries)
        kills += 1
        let r = run(argsFor(target), store: target, env: ["LOADSMITH_FAULT": boundary])
        steps.append("\(r.summary)   [LOADSMITH_FAULT=\(boundary)]")
        guard survived(r, "kills") else { return false }
        // The next command finishes or discards the killed one: a writer (`command write`, once
        // it has succeeded before), or verify alone.
        if target == store && hadCommandFiles && rng.chance(50) {
          let w = run(["command", "write", Self.product], store: target)
          steps.append("  next: \(w.summary)")
          guard survived(w, "kills") else { return false }
          if w.status != 0 { return fail("kills", "the next writer fails after a kill", "\(r.commandLine) killed at \(boundary): \(w.summary)") }
        }
        let v = run(["verify"], store: target)
        guard survived(v, "kills") else { return false }
        if v.status != 0 { return fail("kills", "verify fails after a kill", "\(r.commandLine) killed at \(boundary): \(v.summary)") }
        if SoakObserver.intentPending(target) { return fail("kills", "intent pending after verify", "\(r.commandLine) killed at \(boundary)") }
        let after = SoakObserver.signature(target)
        if after != old && after != new {
          return fail("kills", "neither old nor new state after a kill", "\(r.commandLine) killed at \(boundary):\nafter:\n\(after)\nold:\n\(old)\nnew:\n\(new)")
        }
        let escaped = escapes(target)
        if !escaped.isEmpty { return fail(family, "escape", escaped.joined(separator: "; ")) }
        return true
      }
    }
    let r = run(argsFor(target), store: target)
    steps.append(r.summary)
    guard survived(r, family) else { return false }
    if r.status != 0 {
      if r.err.isEmpty && r.out.isEmpty { return fail(family, "refused without a message: \(r.args[0])", r.summary) }
      if SoakObserver.intentPending(target) { return fail(family, "wedge: a failed \(r.args[0]) left an intent", r.summary) }
      if SoakObserver.signature(target) != old { return fail(family, "a failed \(r.args[0]) changed the store", r.summary) }
    }
    if verifyAfter {
      let v = run(["verify"], store: target)
      guard survived(v, family) else { return false }
      if v.status != 0 { return fail(family, "verify fails after \(r.args[0]) (exit \(r.status))", "\(r.summary)\n\(v.summary)") }
    }
    let escaped = escapes(target)
    if !escaped.isEmpty { return fail(family, "escape: \(r.args[0])", escaped.joined(separator: "; ")) }
    return true
  }

  /// What is at `path`, to tell whether a command replaced an edited path: kind and contents
  /// (symlink target, file bytes), not times.
  static func pathState(_ path: String) -> String {
    let bytes = Array(path.utf8)
    guard let st = SoakFS.lstat(bytes) else { return "missing" }
    switch st.st_mode & S_IFMT {
    case S_IFLNK: return "link " + SoakText.show(SoakFS.readlink(bytes) ?? [])
    case S_IFREG: return "file \(st.st_ino) " + SoakText.show(SoakFS.readRegular(bytes) ?? [])
    default: return "kind \(st.st_mode & S_IFMT) \(st.st_ino)"
    }
  }

  /// What a hostile command may do: anything that keeps the invariants, or it must fail (`refuse`),
  /// or it may succeed only as a no-op (`refuseOrNoop`: a release to where `current` already is).
  enum Expectation { case any, refuse, refuseOrNoop }

  /// Hostile commands on a fresh copy of the store after `edit` damaged it: no crash, no hang,
  /// no escape; a refusal says why, leaves no intent and changes nothing; see ``Expectation``. Then the edited paths are put back and the store must not be wedged:
  /// `verify` and the next writer succeed.
  func hostileRun(_ family: String, edited: [String], _ commands: [(args: [String], expect: Expectation)], edit: (String) -> Void) {
    hostileInputs += 1
    // An escape is reported once: the canary is put back however the run ends.
    defer { if !canary.problems().isEmpty { canary.reset() } }
    let writerWorked = !SoakFS.list(Array((store + "/command").utf8)).isEmpty
    copyStore(from: store, to: hostile, dsl: dir + "/hostile-dsl")
    edit(hostile)
    let afterEdit = edited.map { Self.pathState(hostile + "/" + $0) }
    steps.append("  [\(family) on a copy] edited \(edited.joined(separator: ", "))")
    for (args, expect) in commands {
      let before = SoakObserver.signature(hostile)
      let beforeProblems = SoakObserver.problems(hostile)
      let r = run(args, store: hostile)
      steps.append("  [\(family) on a copy] \(r.summary)")
      guard survived(r, family) else { return }
      if r.status == 0 && (expect == .refuse || (expect == .refuseOrNoop && SoakObserver.signature(hostile) != before)) { fail(family, "accepted: \(args[0]) \(args.count > 1 ? args[1] : "")", r.summary); return }
      if r.status != 0 {
        if r.err.isEmpty && r.out.isEmpty { fail(family, "refused without a message: \(args[0])", r.summary); return }
        if SoakObserver.intentPending(hostile) { fail(family, "wedge: a refused \(args[0]) left an intent", r.summary); return }
        if SoakObserver.signature(hostile) != before { fail(family, "a refused \(args[0]) changed the store", r.summary); return }
      }
      let escaped = escapes(hostile, before: beforeProblems)
      if !escaped.isEmpty { fail(family, "escape: \(args[0])", escaped.joined(separator: "; ") + "\n" + r.summary); return }
    }
    // A path a successful command rewrote (a release replacing an edited pointer) is the store's
    // now: putting the old one back would undo half of that command.
    for (path, state) in zip(edited, afterEdit) where Self.pathState(hostile + "/" + path) == state {
      sh("rm -rf '\(hostile)/\(path)'; [ -e '\(store)/\(path)' ] || [ -L '\(store)/\(path)' ] && cp -a '\(store)/\(path)' '\(hostile)/\(path)'")
    }
    let v = run(["verify"], store: hostile)
    guard survived(v, family) else { return }
    if v.status != 0 { fail(family, "not clean after the edit was undone", v.summary); return }
    guard writerWorked else { return }
    let w = run(["command", "write", Self.product], store: hostile)
    guard survived(w, family) else { return }
    if w.status != 0 { fail(family, "wedge: the next writer fails", w.summary) }
  }
}
