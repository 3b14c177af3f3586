/// A random staging tree, changed between captures. Names are bytes: the families decide how odd.
struct SoakStaging {
  static let nodes: [[UInt8]] = ["opt/app", "etc/app", "etc/app/conf", "var/log/app"].map { Array($0.utf8) }
  let root: [UInt8]
  var families: SoakFamilies
  /// Regular files and directories the generator made (relative to root).
  var files: [[UInt8]] = []
  var dirs: [[UInt8]] = []
  var counter = 0

  init(root: String, families: SoakFamilies, rng: inout SoakRandom) {
    self.root = Array(root.utf8)
    self.families = families
    SoakFS.mkdir(self.root)
    for parent in ["opt", "etc", "var", "var/log"] { SoakFS.mkdir(self.root + [0x2F] + Array(parent.utf8)) }
    for node in Self.nodes {
      SoakFS.mkdir(self.root + [0x2F] + node)
      dirs.append(node)
    }
    for _ in 0..<6 { addFile(&rng) }
  }

  /// A new name from the enabled families (a counter keeps names unique).
  mutating func name(_ rng: inout SoakRandom) -> [UInt8] {
    counter += 1
    let n = Array(String(counter).utf8)
    var kinds = ["plain", "plain"]
    if families.contains(.oddNames) { kinds += ["odd", "odd"] }
    if families.contains(.newlines) { kinds.append("newline") }
    if families.contains(.nonUTF8) { kinds.append("nonUTF8") }
    if families.contains(.longFiles) { kinds.append("long") }
    switch rng.pick(kinds) {
    case "odd":
      let odd = [" spaced name ", "tab\there", "#hash", "%pct", "back\\slash", "-dash", "café", "日本語", "quote'\"", "*star?", "[br]", "trailing ", "=eq"]
      return Array(rng.pick(odd).utf8) + n
    case "newline": return Array("new\nline".utf8) + n
    case "nonUTF8": return rng.pick([[0xFF, 0xFE], [0x62, 0x61, 0x64, 0xC3, 0x28], [0x80], [0xED, 0xA0, 0x80]]) + n
    case "long": return [UInt8](repeating: UInt8(ascii: "L"), count: 200 + rng.below(50)) + n
    default: return rng.pick([Array("lib".utf8), Array("f".utf8), Array("mod_".utf8)]) + n + (rng.chance(50) ? Array(".so".utf8) : [])
    }
  }

  func full(_ rel: [UInt8]) -> [UInt8] { root + [0x2F] + rel }

  mutating func addFile(_ rng: inout SoakRandom) {
    let dir = rng.pick(dirs)
    let rel = dir + [0x2F] + name(&rng)
    let empty = families.contains(.links) && rng.chance(20)
    let size = empty ? 0 : 1 + rng.below(rng.chance(10) ? 70_000 : 2_000)
    if SoakFS.writeFile(full(rel), rng.bytes(size), mode: rng.pick([0o644, 0o755, 0o600, 0o444])) { files.append(rel) }
  }

  /// One random change; returns a line for the sequence log.
  mutating func mutate(_ rng: inout SoakRandom) -> String {
    var actions = ["add", "add", "modify", "remove", "dir"]
    if families.contains(.links) { actions += ["hardlink", "symlink"] }
    switch rng.pick(actions) {
    case "modify" where !files.isEmpty:
      let rel = rng.pick(files)
      SoakFS.writeFile(full(rel), rng.bytes(rng.below(3_000)))
      return "modify \(SoakText.show(rel))"
    case "remove" where files.count > 3:
      let i = rng.below(files.count)
      SoakFS.unlink(full(files[i]))
      return "remove \(SoakText.show(files.remove(at: i)))"
    case "dir":
      let rel = rng.pick(dirs) + [0x2F] + name(&rng)
      if SoakFS.mkdir(full(rel)) { dirs.append(rel) }
      return "mkdir \(SoakText.show(rel))"
    case "hardlink" where !files.isEmpty:
      let existing = rng.pick(files)
      let node = Self.nodes.filter { existing.starts(with: $0 + [0x2F]) }.max { $0.count < $1.count }!
      let dir = rng.pick(dirs.filter { $0 == node || $0.starts(with: node + [0x2F]) })
      let rel = dir + [0x2F] + name(&rng)
      if SoakFS.link(full(existing), full(rel)) { files.append(rel) }
      return "hardlink \(SoakText.show(rel)) = \(SoakText.show(existing))"
    case "symlink":
      let rel = rng.pick(dirs) + [0x2F] + name(&rng)
      let target = rng.pick([Array("missing".utf8), Array("../../../../../canary/secret".utf8), Array("/etc/passwd".utf8), Array(".".utf8), files.isEmpty ? Array("x".utf8) : rng.pick(files)])
      SoakFS.symlink(target, full(rel))
      return "symlink \(SoakText.show(rel)) -> \(SoakText.show(target))"
    default:
      addFile(&rng)
      return "add \(SoakText.show(files.last ?? []))"
    }
  }
}
