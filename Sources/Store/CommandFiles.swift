import TranscriptIO

/// Which loadsets each tier's command file lists, kept editable in `.loadsmith/tiers` (for all
/// products) or `.loadsmith/tiers.PRODUCT` (for one):
///
///     # TIER  BIN      CFG     NEG
///     DEV     newest   dev     newest
///     PROD    current  stable  current
///
/// BIN and NEG take `newest` (the highest built version), `current`, a version `001.002`, or
/// `none`; CFG takes `dev`, `stable`, `stale`, a snapshot number `0003`, or `none`.
package struct TierMap: Sendable, Equatable {
  package struct Tier: Sendable, Equatable {
    package var name: String
    package var bin: String
    package var cfg: String
    package var neg: String
  }
  package var tiers: [Tier]

  package static let defaultText = """
    # Tier map for `loadsmith command write` (edit freely; one tier per line).
    # BIN and NEG: newest | current | VERSION (001.002) | none
    # CFG:         dev | stable | stale | SNAPSHOT (0003) | none
    # TIER  BIN      CFG     NEG
    DEV     newest   dev     newest
    TEST    newest   dev     newest
    STAGE   newest   stable  newest
    PROD    current  stable  current

    """

  package init(text: String, source: String) throws(StoreError) {
    tiers = []
    var number = 0
    var firstLine: [String: Int] = [:]
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
      number += 1
      let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
      if f.isEmpty || f[0].hasPrefix("#") { continue }
      guard f.count == 4 else {
        throw StoreError(.store, "\(source): line \(number): expected TIER BIN CFG NEG, got \(f.count) fields")
      }
      guard f[0].allSatisfy({ $0.isLetter || $0.isNumber }) else {
        throw StoreError(.store, "\(source): line \(number): tier '\(f[0])' must be letters and digits")
      }
      for (value, allowed) in [(f[1], ["newest", "current", "none"]), (f[3], ["newest", "current", "none"])]
      where !allowed.contains(value) && (try? LoadsetVersion(parsing: value)) == nil {
        throw StoreError(.store, "\(source): line \(number): '\(value)' is not newest, current, none or a version")
      }
      if !["dev", "stable", "stale", "none"].contains(f[2]) && !(f[2].count == 4 && f[2].allSatisfy(\.isASCIIDigit)) {
        throw StoreError(.store, "\(source): line \(number): '\(f[2])' is not dev, stable, stale, none or a snapshot number")
      }
      // Two rows for one tier would write its command file twice, from different sources.
      if let first = firstLine[f[0]] {
        throw StoreError(.store, "\(source): line \(number): tier '\(f[0])' is named twice (first on line \(first))")
      }
      firstLine[f[0]] = number
      tiers.append(Tier(name: f[0], bin: f[1], cfg: f[2], neg: f[3]))
    }
  }
}

/// What one tier's command file lists, and the file's text.
package struct TierCommandFile: Sendable, Equatable {
  package var tier: String
  /// `command/NAME`.
  package var fileName: String
  /// (`p` or `n`, immutable transcript name), lowest precedence first.
  package var lines: [(String, String)]
  package var text: String {
    "# \(fileName): tier \(tier), written by loadsmith from the pointers; do not edit (see .loadsmith/tiers)\n"
      + lines.map { "\($0.0) \($0.1)\n" }.joined()
  }
  package static func == (a: TierCommandFile, b: TierCommandFile) -> Bool {
    a.tier == b.tier && a.fileName == b.fileName && a.text == b.text
  }
}

extension LoadsetStore {
  func tierMap(for product: String) throws(StoreError) -> TierMap {
    let specific = tierMapPath + "." + product
    if let text = try sys(RegularFile.readText(specific)) { return try TierMap(text: text, source: specific) }
    let text = try sys(RegularFile.readText(tierMapPath)) ?? TierMap.defaultText
    return try TierMap(text: text, source: tierMapPath)
  }

  /// The command files of `product` as the pointers stand now: one set per OS of its bin series
  /// (`PRODUCT-TIER.K` when it has one OS, `PRODUCT-OS-TIER.K` when it has several).
  /// Every line names an immutable transcript, never a pointer: a client that fetched the
  /// command file keeps consistent transcripts and files even if a pointer moves meanwhile.
  ///
  /// `names`: the product's published names when the caller has them (a report over every
  /// product lists `transcript/` once, not once per product, tier and series).
  package func commandFiles(product: String, names known: [LoadsetName]? = nil) throws(StoreError) -> [TierCommandFile] {
    let names: [LoadsetName]
    if let known { names = known } else { names = try publishedNames().names.filter { $0.series.product == product } }
    let binOSes = Set(names.compactMap { $0.series.type == .bin ? $0.series.os : nil }).sorted()
    let negOSes = Set(names.compactMap { $0.series.type == .neg ? $0.series.os : nil }).sorted()
    let oses: [String?] = binOSes.isEmpty ? (negOSes.isEmpty ? [nil] : negOSes.map { $0 }) : binOSes.map { $0 }
    let parts = product.split(separator: "-").map(String.init)
    guard parts.count == 2, (try? LoadsetSeries(parsing: product + "-cfg"))?.product == product else {
      throw StoreError(.usage, "'\(product)': expected FAMILY-COMPONENT (lowercase letters and digits), e.g. was-apache")
    }
    let cfgSeries = LoadsetSeries(family: parts[0], component: parts[1], type: .cfg, os: nil)
    var out: [TierCommandFile] = []
    for tier in try tierMap(for: product).tiers {
      for os in oses {
        var lines: [(String, String)] = []
        // A pinned series names its pin; an unpinned one follows the tier map.
        if let os {
          let bin = LoadsetSeries(family: parts[0], component: parts[1], type: .bin, os: os)
          if let target = try pinOrMap(bin, tier, names) { lines.append(("p", target)) }
        }
        if let cfg = try pinOrMap(cfgSeries, tier, names) { lines.append(("p", cfg)) }
        if let os {
          let neg = LoadsetSeries(family: parts[0], component: parts[1], type: .neg, os: os)
          if let target = try pinOrMap(neg, tier, names) { lines.append(("n", target)) }
        }
        let fileName = oses.count > 1 ? "\(product)-\(os!)-\(tier.name).K" : "\(product)-\(tier.name).K"
        out.append(TierCommandFile(tier: tier.name, fileName: fileName, lines: lines))
      }
    }
    return out
  }

  /// What `tier`'s command files name for `series`: its pin, else what the tier map says.
  /// `names`: the published names of the series' product.
  func pinOrMap(_ series: LoadsetSeries, _ tier: TierMap.Tier, _ names: [LoadsetName]) throws(StoreError) -> String? {
    if let pinned = try pin(of: series, tier: tier.name) { return pinned }
    switch series.type {
    case .bin: return resolve(series, tier.bin, names)
    case .neg: return resolve(series, tier.neg, names)
    case .cfg: return resolveConfiguration(series, tier.cfg)
    }
  }

  func resolve(_ series: LoadsetSeries, _ source: String, _ names: [LoadsetName]) -> String? {
    switch source {
    case "none": return nil
    case "current": return validPointerTarget(.current(series))
    case "newest": return LoadsetStore.builds(of: series, in: names).last.map { LoadsetName.build(series, $0).fileName }
    default:
      guard let v = try? LoadsetVersion(parsing: source) else { return nil }
      let name = LoadsetName.build(series, v)
      return isPublished(name) ? name.fileName : nil
    }
  }

  func resolveConfiguration(_ series: LoadsetSeries, _ source: String) -> String? {
    if source == "none" { return nil }
    if let p = ConfigurationPointer(rawValue: source) { return validPointerTarget(.configurationPointer(series, p)) }
    guard let n = Int(source) else { return nil }
    let name = LoadsetName.snapshot(series, n)
    return isPublished(name) ? name.fileName : nil
  }

  /// Rewrites the command files of `product`, each atomically (temp, fsync, rename) and with an
  /// mtime that radmind's ktcheck sees change. Idempotent, so an interrupted intent can run it again.
  func writeCommandFiles(product: String) throws(StoreError) {
    for file in try commandFiles(product: product) {
      let path = commandDirectory + "/" + file.fileName
      if !mayRewriteCommandFile(file.fileName) { continue }
      if try sys(RegularFile.readText(path)) != file.text {
        try rewriteCommandFile(path, file.text)
      }
      FaultInjection.checkpoint("commands.\(file.tier)")
    }
  }

  /// `loadsmith command write PRODUCT`: rewrites the tier command files; returns them. A command
  /// file Loadsmith did not write is refused unless `force` takes it over.
  package func writeCommands(product: String, force: Bool = false) throws(StoreError) -> [TierCommandFile] {
    try write { () throws(StoreError) -> [TierCommandFile] in
      let files = try commandFiles(product: product)
      if files.allSatisfy({ $0.lines.isEmpty }) {
        throw StoreError(.usage, "'\(product)': no loadsets of that product in the store")
      }
      let takeovers = try checkCommandFileOwnership(files, force: force)
      var intent = Intent(operation: "command write \(product)")
      intent.actions += takeovers.map { .takeover(commandFile: $0) }
      intent.actions.append(.commands(product: product))
      intent.actions.append(.log(event: "commands", name: product, from: "-",
                                 to: files.map(\.fileName).joined(separator: ","), checksum: "-"))
      try commit(intent)
      return files
    }
  }
}
