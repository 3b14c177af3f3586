import Foundation

/// The hostile-input families the soak generator may use, each switchable so a family that finds
/// a known, unfixed bug can be left out of CI until its fix lands
/// (`LOADSMITH_SOAK_FAMILIES=default,nonUTF8` or `all` or `kills,oddNames`).
struct SoakFamilies: OptionSet, Sendable {
  let rawValue: UInt32
  init(rawValue: UInt32) { self.rawValue = rawValue }

  /// `LOADSMITH_FAULT` kills of ordinary commands at a random step boundary.
  static let kills = SoakFamilies(rawValue: 1 << 0)
  /// Staging names with spaces, tabs, `#`, `%`, backslashes, leading dashes, UTF-8 accents.
  static let oddNames = SoakFamilies(rawValue: 1 << 1)
  /// Hard links, symlinks (dangling, outward), empty files in staging.
  static let links = SoakFamilies(rawValue: 1 << 2)
  /// Newlines in staging names.
  static let newlines = SoakFamilies(rawValue: 1 << 3)
  /// Staging names that are not UTF-8 (issue item 2).
  static let nonUTF8 = SoakFamilies(rawValue: 1 << 4)
  /// Staging names of 200-255 bytes.
  static let longFiles = SoakFamilies(rawValue: 1 << 5)
  /// Over-long `--loadset` names (item 1).
  static let longNames = SoakFamilies(rawValue: 1 << 6)
  /// Malformed versions and names on the command line.
  static let badVersions = SoakFamilies(rawValue: 1 << 7)
  /// A hand-edited `.loadsmith/tiers` with a typo (item 3).
  static let tierMap = SoakFamilies(rawValue: 1 << 8)
  /// A hand-edited `.loadsmith/lkg/SERIES` (item 5).
  static let lkg = SoakFamilies(rawValue: 1 << 9)
  /// Hand-edited pointer symlinks (outward, dangling, into another series).
  static let pointers = SoakFamilies(rawValue: 1 << 10)
  /// Crafted transcripts with `..` paths (item 4).
  static let transcripts = SoakFamilies(rawValue: 1 << 11)
  /// Truncated, flipped and garbage archives given to `restore` and `dsl verify`.
  static let archives = SoakFamilies(rawValue: 1 << 12)
  /// Crafted tar headers: negative base-256 sizes (item 7), `..` and absolute member names.
  static let tarHeaders = SoakFamilies(rawValue: 1 << 13)
  /// FIFOs in place of store files (item 8).
  static let fifos = SoakFamilies(rawValue: 1 << 14)
  /// A check, not an input: archive temporaries a kill left in the DSL must be reported by
  /// `dsl verify` (item 13).
  static let dslLeftovers = SoakFamilies(rawValue: 1 << 15)

  static let named: [(String, SoakFamilies)] = [
    ("kills", .kills), ("oddNames", .oddNames), ("links", .links), ("newlines", .newlines),
    ("nonUTF8", .nonUTF8), ("longFiles", .longFiles), ("longNames", .longNames),
    ("badVersions", .badVersions), ("tierMap", .tierMap), ("lkg", .lkg), ("pointers", .pointers),
    ("transcripts", .transcripts), ("archives", .archives), ("tarHeaders", .tarHeaders), ("fifos", .fifos), ("dslLeftovers", .dslLeftovers),
  ]

  static let all = SoakFamilies(named.map(\.1))

  /// What CI runs: every family (each passes on today's code; see the README's soak section).
  static let ciDefault: SoakFamilies = all

  /// Parses `default`, `all`, `none` and family names, comma separated; `-NAME` removes one.
  init(parsing text: String) throws {
    var result: SoakFamilies = []
    for word in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !word.isEmpty {
      let remove = word.hasPrefix("-")
      let name = remove ? String(word.dropFirst()) : word
      let value: SoakFamilies
      switch name {
      case "default": value = .ciDefault
      case "all": value = .all
      case "none": value = []
      default:
        guard let found = Self.named.first(where: { $0.0.lowercased() == name.lowercased() }) else {
          throw SoakSetupError("LOADSMITH_SOAK_FAMILIES: unknown family '\(name)' (known: \(Self.named.map(\.0).joined(separator: ", ")))")
        }
        value = found.1
      }
      if remove { result.subtract(value) } else { result.formUnion(value) }
    }
    self = result
  }

  var description: String { Self.named.filter { contains($0.1) }.map(\.0).joined(separator: ",") }
}

struct SoakSetupError: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}
