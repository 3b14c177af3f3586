#if canImport(Glibc)
import Glibc
#endif

/// What the soak invariants look at in a store and around it, read with byte paths and without
/// ever opening anything but a regular file (a planted FIFO must not hang the harness).
enum SoakObserver {
  static let series = ["soak-app-bin-linux", "soak-app-neg-linux", "soak-app-cfg"]

  /// The store as a client sees it: published transcripts, file directories, pointers, command
  /// files, last-known-good (no history, metadata or timestamps).
  static func signature(_ store: String) -> String {
    var out: [String] = []
    for dir in ["transcript", "file", "command", ".loadsmith/lkg"] {
      let base = Array((store + "/" + dir).utf8)
      for name in SoakFS.list(base) {
        let path = base + [0x2F] + name
        let shown = dir + "/" + SoakText.show(name)
        guard let st = SoakFS.lstat(path) else { continue }
        switch st.st_mode & S_IFMT {
        case S_IFLNK: out.append(shown + " -> " + SoakText.show(SoakFS.readlink(path) ?? []))
        case S_IFREG where dir != "file": out.append(shown + ": " + fingerprint(SoakFS.readRegular(path) ?? []))
        case S_IFREG, S_IFDIR: out.append(shown)
        default: out.append(shown + " (special)")
        }
      }
    }
    return out.joined(separator: "\n")
  }

  static func fingerprint(_ bytes: [UInt8]) -> String {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
    return String(bytes.count) + "/" + String(h, radix: 16)
  }

  static func intentPending(_ store: String) -> Bool { SoakFS.lstat(Array((store + "/.loadsmith/intent").utf8)) != nil }

  /// Names in `dir/transcript` (ASCII loadset names; anything else is skipped).
  static func transcripts(_ store: String) -> [String] {
    SoakFS.list(Array((store + "/transcript").utf8)).compactMap { String(validating: $0, as: UTF8.self) }
  }

  /// Versions of `prefix-VVV.VVV(-nodeN)?.T` (bin, neg), or snapshot numbers of the cfg series.
  static func versions(_ store: String, series: String, builds: Bool) -> [String] {
    var found = Set<String>()
    for name in transcripts(store) where name.hasPrefix(series + "-") && name.hasSuffix(".T") {
      let rest = name.dropFirst(series.count + 1).dropLast(2)
      if series.hasSuffix("-cfg") {
        if rest.count == 4 && rest.allSatisfy({ $0.isASCII && $0.isNumber }) { found.insert(String(rest)) }
        continue
      }
      let version = rest.prefix(7)
      guard version.count == 7, version.filter({ $0 == "." }).count == 1 else { continue }
      let tail = rest.dropFirst(7)
      if builds ? tail.isEmpty : tail.hasPrefix("-node") { found.insert(String(version)) }
    }
    return found.sorted()
  }

  /// Escapes and broken promises visible without `verify`: pointers that leave their folder or
  /// their series, command files naming paths, a pending intent.
  static func problems(_ store: String) -> [String] {
    var problems: [String] = []
    for dir in ["transcript", "file"] {
      let base = Array((store + "/" + dir).utf8)
      for name in SoakFS.list(base) {
        guard let target = SoakFS.readlink(base + [0x2F] + name) else { continue }
        let shownName = SoakText.show(name), shownTarget = SoakText.show(target)
        if target.contains(0x2F) { problems.append("pointer \(dir)/\(shownName) leaves its folder: -> \(shownTarget)") }
        for pointer in ["-current.T", "-dev.T", "-stable.T", "-stale.T"] where shownName.hasSuffix(pointer) {
          let series = String(shownName.dropLast(pointer.count))
          if !shownTarget.hasPrefix(series + "-") {
            problems.append("pointer \(dir)/\(shownName) names another series: -> \(shownTarget)")
          }
        }
      }
    }
    let commands = Array((store + "/command").utf8)
    for name in SoakFS.list(commands) {
      let text = String(decoding: SoakFS.readRegular(commands + [0x2F] + name) ?? [], as: UTF8.self)
      for line in text.split(separator: "\n") where !line.hasPrefix("#") {
        let fields = line.split(separator: " ")
        if fields.count >= 2, fields[1].contains("/") {
          problems.append("command/\(SoakText.show(name)) names a path: \(line)")
        }
      }
    }
    return problems
  }
}

/// A canary beside the store: nothing the store does may touch it or add anything beside it.
struct SoakCanary {
  let dir: String
  let allowed: Set<String>
  let secret: [UInt8]

  init(dir: String, allowed: Set<String>) {
    self.dir = dir
    self.allowed = allowed
    secret = Array("canary: never to be linked, archived or replaced\n".utf8)
    SoakFS.mkdir(Array((dir + "/canary").utf8))
    SoakFS.writeFile(Array((dir + "/canary/secret").utf8), secret, mode: 0o644)
  }

  var secretPath: String { dir + "/canary/secret" }

  /// Puts the canary back after an escape was recorded, so one escape is reported once.
  func reset() {
    _ = try? SoakProcess.sh("cd '\(dir)' && for f in * .[!.]*; do case \"$f\" in \(allowed.map { "'\($0)'" }.joined(separator: "|"))) ;; *) rm -rf \"./$f\";; esac; done; rm -rf canary")
    SoakFS.mkdir(Array((dir + "/canary").utf8))
    SoakFS.writeFile(Array((dir + "/canary/secret").utf8), secret, mode: 0o644)
  }

  func problems() -> [String] {
    var problems: [String] = []
    let path = Array(secretPath.utf8)
    if let st = SoakFS.lstat(path) {
      if st.st_nlink != 1 { problems.append("canary/secret has \(st.st_nlink) links: something hard-linked it") }
      if (st.st_mode & S_IFMT) != S_IFREG || SoakFS.readRegular(path) != secret { problems.append("canary/secret was replaced or changed") }
    } else {
      problems.append("canary/secret is gone")
    }
    let inCanary = SoakFS.list(Array((dir + "/canary").utf8)).map(SoakText.show)
    if inCanary != ["secret"] { problems.append("written into canary/: \(inCanary)") }
    for name in SoakFS.list(Array(dir.utf8)).map(SoakText.show) where !allowed.contains(name) {
      problems.append("written beside the store: \(dir)/\(name)")
    }
    return problems
  }
}
