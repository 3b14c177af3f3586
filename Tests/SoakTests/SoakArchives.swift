import Foundation

/// Damaged and crafted DSL archives for `restore` and `dsl verify`, made from a real archive so
/// every check before the damaged part passes.
enum SoakArchives {
  /// A ustar header block for `name`, with `sizeField` written raw when given (base-256 tricks).
  static func header(name: [UInt8], type: UInt8, size: Int, sizeField: [UInt8]? = nil, linkname: [UInt8] = []) -> [UInt8] {
    var h = [UInt8](repeating: 0, count: 512)
    func put(_ bytes: [UInt8], _ at: Int, _ width: Int) { for (i, b) in bytes.prefix(width).enumerated() { h[at + i] = b } }
    func octal(_ value: Int, _ width: Int) -> [UInt8] {
      let digits = String(value, radix: 8)
      return Array((String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits).utf8) + [0]
    }
    if name.count > 100 {
      put(Array(name.suffix(100)), 0, 100)
    } else {
      put(name, 0, 100)
    }
    put(octal(0o644, 8), 100, 8)
    put(octal(0, 8), 108, 8)
    put(octal(0, 8), 116, 8)
    put(sizeField ?? octal(size, 12), 124, 12)
    put(octal(1_700_000_000, 12), 136, 12)
    h[156] = type
    put(linkname, 157, 100)
    put(Array("ustar\u{0}00".utf8), 257, 8)
    put(Array("root".utf8), 265, 32)
    put(Array("root".utf8), 297, 32)
    for i in 148..<156 { h[i] = 0x20 }
    let sum = h.reduce(0) { $0 + Int($1) }
    put(octal(sum, 7) + [0x20], 148, 8)
    h[154] = 0
    h[155] = 0x20
    return h
  }

  static func member(name: [UInt8], type: UInt8 = UInt8(ascii: "0"), contents: [UInt8], linkname: [UInt8] = []) -> [UInt8] {
    header(name: name, type: type, size: contents.count, linkname: linkname) + contents + [UInt8](repeating: 0, count: (512 - contents.count % 512) % 512)
  }

  /// The offset of the end-of-archive blocks (headers walked by their octal sizes).
  static func endOffset(_ tar: [UInt8]) -> Int {
    var at = 0
    while at + 512 <= tar.count {
      if tar[at..<at + 512].allSatisfy({ $0 == 0 }) { return at }
      let field = tar[(at + 124)..<(at + 136)].prefix { $0 != 0 && $0 != 0x20 }
      let size = Int(String(decoding: field, as: UTF8.self), radix: 8) ?? 0
      at += 512 + (size + 511) / 512 * 512
    }
    return at
  }

  /// The crafted members, by variant; `stem` is the archive's loadset name (without .T).
  static func crafted(_ variant: Int, stem: String, scratch: String) -> (String, [UInt8]) {
    let base = Array("file/\(stem).T/".utf8)
    let negative = [UInt8](repeating: 0xFF, count: 12)
    var huge = [UInt8](repeating: 0, count: 12)
    huge[0] = 0x80
    huge[4] = 0x40
    switch variant % 7 {
    case 0: return ("member ../../canary/evil", member(name: base + Array("../../../canary/evil".utf8), contents: Array("evil\n".utf8)))
    case 1: return ("absolute member", member(name: Array((scratch + "/canary/evil").utf8), contents: Array("evil\n".utf8)))
    case 2:
      return ("outward symlink then a file through it",
        member(name: base + Array("opt/link".utf8), type: UInt8(ascii: "2"), contents: [], linkname: Array("../../../../canary".utf8))
          + member(name: base + Array("opt/link/evil".utf8), contents: Array("evil\n".utf8)))
    case 3: return ("GNU L header, negative base-256 size", header(name: Array("././@LongLink".utf8), type: UInt8(ascii: "L"), size: 0, sizeField: negative))
    case 4: return ("pax x header, negative base-256 size", header(name: Array("PaxHeaders/x".utf8), type: UInt8(ascii: "x"), size: 0, sizeField: negative))
    case 5: return ("member with a 2^62-byte base-256 size", header(name: base + Array("opt/huge".utf8), type: UInt8(ascii: "0"), size: 0, sizeField: huge))
    default: return ("hard link member to /etc/passwd", member(name: base + Array("opt/hard".utf8), type: UInt8(ascii: "1"), contents: [], linkname: Array("/etc/passwd".utf8)))
    }
  }

  /// Rewrites the manifest's archive digest and length to match `archive`, so deeper checks run.
  static func refreshManifest(archive: String, manifest: String) throws {
    let data = try Data(contentsOf: URL(fileURLWithPath: manifest))
    guard var m = try JSONSerialization.jsonObject(with: data) as? [String: Any] else { return }
    let sum = try SoakProcess.sh("sha256sum '\(archive)'").out.split(separator: " ").first.map(String.init) ?? ""
    m["archive_sha256"] = sum
    m["archive_bytes"] = (try FileManager.default.attributesOfItem(atPath: archive)[.size] as? Int) ?? 0
    try JSONSerialization.data(withJSONObject: m).write(to: URL(fileURLWithPath: manifest))
  }
}
