/// The three kinds of loadset, always read from the name (never from an option).
package enum LoadsetType: String, Sendable, CaseIterable {
  /// Positive transcript of installed software (`p` in a command file).
  case bin
  /// Negative transcript: objects whose contents change legitimately, such as logs (`n`).
  case neg
  /// Configuration: immutable numbered snapshots addressed through dev/stable/stale (`p`).
  case cfg
}

/// `MAJOR.MINOR`, three digits each. MAJOR moves when the loadsets are recaptured from a rebuilt
/// prototype; MINOR moves for changes made on the existing staging install.
///
///     let v = try LoadsetVersion(parsing: "001.009")
///     v.nextMinor   // 001.010
///     v.nextMajor   // 002.001
package struct LoadsetVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
  package var major: Int
  package var minor: Int

  package static let first = LoadsetVersion(major: 1, minor: 1)

  package init(major: Int, minor: Int) {
    precondition((0...999).contains(major) && (0...999).contains(minor), "version out of range")
    self.major = major
    self.minor = minor
  }

  /// Parses `NNN.NNN`; anything else is a ``LoadsetNameError``.
  package init(parsing text: String) throws(LoadsetNameError) {
    let parts = text.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count == 2, parts.allSatisfy({ $0.count == 3 && $0.allSatisfy(\.isASCIIDigit) }),
          let major = Int(parts[0]), let minor = Int(parts[1]) else {
      throw LoadsetNameError(text, "a version is MAJOR.MINOR with three digits each, e.g. 001.001")
    }
    self.init(major: major, minor: minor)
  }

  package var description: String { LoadsetVersion.pad3(major) + "." + LoadsetVersion.pad3(minor) }

  /// The next minor version (same prototype, changed install).
  package func nextMinor() throws(LoadsetNameError) -> LoadsetVersion {
    guard minor < 999 else { throw LoadsetNameError(description, "minor version 999 has no successor; use --next-major") }
    return LoadsetVersion(major: major, minor: minor + 1)
  }

  /// The next major version (rebuilt prototype); its minor restarts at 001.
  package func nextMajor() throws(LoadsetNameError) -> LoadsetVersion {
    guard major < 999 else { throw LoadsetNameError(description, "major version 999 has no successor") }
    return LoadsetVersion(major: major + 1, minor: 1)
  }

  package static func < (a: LoadsetVersion, b: LoadsetVersion) -> Bool {
    (a.major, a.minor) < (b.major, b.minor)
  }

  static func pad3(_ n: Int) -> String {
    let s = String(n)
    return String(repeating: "0", count: max(0, 3 - s.count)) + s
  }
}

/// A family of loadsets sharing everything but version and node: `was-apache-bin-rhel5`
/// (bin and neg, with an OS) or `was-apache-cfg` (cfg, no OS).
package struct LoadsetSeries: Sendable, Hashable, Comparable, CustomStringConvertible {
  package var family: String
  package var component: String
  package var type: LoadsetType
  /// nil for cfg, which has no OS.
  package var os: String?

  package init(family: String, component: String, type: LoadsetType, os: String?) {
    self.family = family
    self.component = component
    self.type = type
    self.os = type == .cfg ? nil : os
  }

  /// `FAMILY-COMPONENT`, the stem that command files are named after.
  package var product: String { family + "-" + component }
  package var description: String {
    if let os { return "\(product)-\(type.rawValue)-\(os)" }
    return "\(product)-\(type.rawValue)"
  }

  /// Parses a series stem (`was-apache-bin-rhel5`, `was-apache-cfg`); a trailing `.T` is refused.
  package init(parsing text: String) throws(LoadsetNameError) {
    if text.utf8.count > StoreNameLimits.maximumSeriesLength {
      throw LoadsetNameError(text, "a series is at most \(StoreNameLimits.maximumSeriesLength) bytes (this one is \(text.utf8.count)): with the version, node and temporary names the store adds, a longer one exceeds NAME_MAX (\(StoreNameLimits.nameMax))")
    }
    let parts = text.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
    guard parts.count >= 3 else {
      throw LoadsetNameError(text, "a series is FAMILY-COMPONENT-TYPE-OS (bin, neg) or FAMILY-COMPONENT-cfg")
    }
    try LoadsetName.checkWord(parts[0], "FAMILY", in: text)
    try LoadsetName.checkWord(parts[1], "COMPONENT", in: text)
    guard let type = LoadsetType(rawValue: parts[2]) else {
      throw LoadsetNameError(text, "TYPE '\(parts[2])' must be bin, neg or cfg")
    }
    switch type {
    case .cfg:
      guard parts.count == 3 else {
        throw LoadsetNameError(text, "a cfg series is FAMILY-COMPONENT-cfg (cfg loadsets have no OS)")
      }
      self.init(family: parts[0], component: parts[1], type: .cfg, os: nil)
    case .bin, .neg:
      guard parts.count == 4 else {
        throw LoadsetNameError(text, "a \(type.rawValue) series is FAMILY-COMPONENT-\(type.rawValue)-OS, e.g. was-apache-\(type.rawValue)-rhel5")
      }
      try LoadsetName.checkWord(parts[3], "OS", in: text)
      self.init(family: parts[0], component: parts[1], type: type, os: parts[3])
    }
  }

  package static func < (a: LoadsetSeries, b: LoadsetSeries) -> Bool { a.description < b.description }
}

/// The pointers of a cfg series: dev (newest capture), stable (production), stale (the one before).
package enum ConfigurationPointer: String, Sendable, CaseIterable {
  case dev, stable, stale
}

/// A loadset name, parsed. One parser and one formatter for every name the store uses:
///
///     was-apache-bin-rhel5-001.001-node1.T   .node     one node of build 001.001
///     was-apache-bin-rhel5-001.001.T         .build    the nodes concatenated
///     was-apache-bin-rhel5-current.T         .current  pointer to the build in production
///     was-apache-cfg-0007.T                  .snapshot immutable cfg snapshot number 7
///     was-apache-cfg-stable.T                .configurationPointer
///
/// FAMILY, COMPONENT and OS are lowercase ASCII letters and digits, no hyphens.
package enum LoadsetName: Sendable, Hashable, CustomStringConvertible {
  case node(LoadsetSeries, LoadsetVersion, Int)
  case build(LoadsetSeries, LoadsetVersion)
  case current(LoadsetSeries)
  case snapshot(LoadsetSeries, Int)
  case configurationPointer(LoadsetSeries, ConfigurationPointer)

  package var series: LoadsetSeries {
    switch self {
    case .node(let s, _, _), .build(let s, _), .current(let s), .snapshot(let s, _),
         .configurationPointer(let s, _):
      return s
    }
  }

  /// True for names that are symlinks in the store (current, dev, stable, stale).
  package var isPointer: Bool {
    switch self {
    case .current, .configurationPointer: return true
    default: return false
    }
  }

  /// The name without `.T`.
  package var stem: String {
    switch self {
    case .node(let s, let v, let n): return "\(s)-\(v)-node\(n)"
    case .build(let s, let v): return "\(s)-\(v)"
    case .current(let s): return "\(s)-current"
    case .snapshot(let s, let n): return "\(s)-" + LoadsetName.pad4(n)
    case .configurationPointer(let s, let p): return "\(s)-\(p.rawValue)"
    }
  }

  /// The transcript name, `STEM.T`: the file in `transcript/` and the folder in `file/`.
  package var fileName: String { stem + ".T" }
  package var description: String { fileName }

  /// Parses a loadset name, with or without its `.T`.
  package init(parsing text: String) throws(LoadsetNameError) {
    var body = text
    if body.hasSuffix(".T") { body.removeLast(2) }
    if body.isEmpty { throw LoadsetNameError(text, "empty name") }
    if body.contains("/") { throw LoadsetNameError(text, "a loadset name has no '/'") }
    var parts = body.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
    guard parts.count >= 4 else {
      throw LoadsetNameError(text, "expected FAMILY-COMPONENT-TYPE-OS-VERSION[-nodeN].T, FAMILY-COMPONENT-TYPE-OS-current.T, FAMILY-COMPONENT-cfg-NNNN.T or FAMILY-COMPONENT-cfg-{dev,stable,stale}.T")
    }
    guard let type = LoadsetType(rawValue: parts[2]) else {
      try LoadsetName.checkWord(parts[0], "FAMILY", in: text)
      try LoadsetName.checkWord(parts[1], "COMPONENT", in: text)
      throw LoadsetNameError(text, "TYPE '\(parts[2])' (third part) must be bin, neg or cfg")
    }
    if type == .cfg {
      guard parts.count == 4 else {
        throw LoadsetNameError(text, "a cfg name is FAMILY-COMPONENT-cfg-NNNN or FAMILY-COMPONENT-cfg-{dev,stable,stale} (cfg loadsets have no OS)")
      }
      let series = try LoadsetSeries(parsing: parts[0...2].joined(separator: "-"))
      let last = parts[3]
      if let p = ConfigurationPointer(rawValue: last) {
        self = .configurationPointer(series, p)
      } else if last.count == 4, last.allSatisfy(\.isASCIIDigit), let n = Int(last), n > 0 {
        self = .snapshot(series, n)
      } else {
        throw LoadsetNameError(text, "'\(last)' is neither a 4-digit cfg snapshot number (0001-9999) nor dev, stable or stale")
      }
      return
    }
    guard parts.count == 5 || parts.count == 6 else {
      throw LoadsetNameError(text, "a \(type.rawValue) name is FAMILY-COMPONENT-\(type.rawValue)-OS-VERSION[-nodeN] or FAMILY-COMPONENT-\(type.rawValue)-OS-current")
    }
    var node: Int?
    if parts.count == 6 {
      let last = parts.removeLast()
      guard last.hasPrefix("node"), last.count > 4, last.dropFirst(4).allSatisfy(\.isASCIIDigit),
            last.dropFirst(4).first != "0", let n = Int(last.dropFirst(4)), n < 1000 else {
        throw LoadsetNameError(text, "'\(last)' should be nodeN (N = 1, 2, ... in --node order)")
      }
      node = n
    }
    let series = try LoadsetSeries(parsing: parts[0...3].joined(separator: "-"))
    let last = parts[4]
    if last == "current" {
      guard node == nil else { throw LoadsetNameError(text, "a pointer (current) has no node") }
      self = .current(series)
      return
    }
    let version = try LoadsetVersion(parsing: last)
    if let node { self = .node(series, version, node) } else { self = .build(series, version) }
  }

  static func checkWord(_ word: String, _ role: String, in text: String) throws(LoadsetNameError) {
    if word.isEmpty { throw LoadsetNameError(text, "\(role) is empty") }
    guard word.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) }) else {
      throw LoadsetNameError(text, "\(role) '\(word)' must be lowercase letters and digits only (no hyphens)")
    }
  }

  static func pad4(_ n: Int) -> String {
    let s = String(n)
    return String(repeating: "0", count: max(0, 4 - s.count)) + s
  }

  /// What each part of the name means, one `label: value` per line, for `loadsmith name --explain`.
  package var explanation: [(String, String)] {
    let s = series
    var lines: [(String, String)] = [("name", fileName)]
    switch self {
    case .node(_, _, let n): lines.append(("kind", "node loadset: node \(n) of a build"))
    case .build: lines.append(("kind", "build: its node loadsets concatenated"))
    case .current: lines.append(("kind", "pointer (symlink) to the build in production"))
    case .snapshot: lines.append(("kind", "cfg snapshot (immutable)"))
    case .configurationPointer(_, let p):
      let what = [ConfigurationPointer.dev: "the newest cfg capture", .stable: "the cfg in production",
                  .stale: "the cfg that was stable before"][p]!
      lines.append(("kind", "cfg pointer (symlink): \(what)"))
    }
    lines.append(("family", s.family))
    lines.append(("component", s.component))
    let typeText = [LoadsetType.bin: "bin (positive: installed software, 'p' in command files)",
                    .neg: "neg (negative: contents may change, e.g. logs; 'n' in command files)",
                    .cfg: "cfg (configuration, 'p' in command files after the bin loadset)"][s.type]!
    lines.append(("type", typeText))
    if let os = s.os { lines.append(("os", os)) }
    switch self {
    case .node(_, let v, let n):
      lines.append(("version", "\(v) (major \(v.major): prototype build; minor \(v.minor): changes on that install)"))
      lines.append(("node", "\(n) (the \(n)\(LoadsetName.ordinalSuffix(n)) --node of the capture)"))
      lines.append(("build", LoadsetName.build(s, v).fileName))
    case .build(_, let v):
      lines.append(("version", "\(v) (major \(v.major): prototype build; minor \(v.minor): changes on that install)"))
    case .snapshot(_, let n):
      lines.append(("snapshot", "\(n)"))
    default:
      break
    }
    lines.append(("series", s.description))
    return lines
  }

  static func ordinalSuffix(_ n: Int) -> String {
    if (11...13).contains(n % 100) { return "th" }
    return [1: "st", 2: "nd", 3: "rd"][n % 10] ?? "th"
  }
}

/// A name that does not follow the naming scheme; the message says which part and why.
package struct LoadsetNameError: Error, Sendable, Equatable, CustomStringConvertible {
  package var name: String
  package var reason: String
  package init(_ name: String, _ reason: String) {
    self.name = name
    self.reason = reason
  }
  package var description: String { "'\(name)': \(reason)" }
}

extension Character {
  var isASCIIDigit: Bool { asciiValue.map { $0 >= 0x30 && $0 <= 0x39 } ?? false }
}
