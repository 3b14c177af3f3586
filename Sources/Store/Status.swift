import SystemCalls
import TranscriptIO

/// A snapshot of the store for `loadsmith status`: read without the lock (each pointer read is a
/// single `readlink`, each metadata file is replaced atomically), so it never waits for a writer.
package struct StoreStatus: Sendable {
  package struct Loadset: Sendable {
    package var name: String
    package var version: String?
    package var node: String?
    package var nodes: [String] = []
    package var files: Int?
    package var bytes: Int64?
    package var digest: String?
    package var created: String?
  }
  package struct Pointer: Sendable {
    package var name: String
    package var target: String?
  }
  package struct Series: Sendable {
    package var name: String
    package var type: String
    package var os: String?
    package var builds: [Loadset] = []
    package var nodeLoadsets: [Loadset] = []
    package var snapshots: [Loadset] = []
    package var pointers: [Pointer] = []
    package var lastKnownGood: String?
  }
  package var root: String
  package var series: [Series] = []
  package var commandFiles: [(String, [String])] = []
  /// Every product on every tier: what its command file names, pinned or following the map.
  package var tiers: TierStatus?
  /// Apparent and stored bytes per series name, and for the whole store (unfiltered status).
  package var bytes: [String: ByteAccount] = [:]
  package var storeBytes: ByteAccount?
  /// Foreign loadsets (names outside Loadsmith's scheme); `node` holds their type.
  package var foreign: [Loadset] = []

  package var text: String {
    var out = "store \(root)\n"
    for s in series {
      out += "\n\(s.name)  (\(s.type)\(s.os.map { ", os \($0)" } ?? ""))\n"
      for p in s.pointers { out += "  \(p.name) -> \(p.target ?? "(unset)")\n" }
      if s.type != "cfg" { out += "  last-known-good: \(s.lastKnownGood ?? "(none)")\n" }
      for b in s.builds {
        out += "  build \(b.name)  \(b.files ?? 0) files, \(StoreStatus.size(b.bytes ?? 0))  nodes: \(b.nodes.joined(separator: ", "))\n"
      }
      for n in s.nodeLoadsets {
        out += "  node  \(n.name)  \(n.node ?? "?")  \(n.files ?? 0) files, \(StoreStatus.size(n.bytes ?? 0))\n"
      }
      for c in s.snapshots {
        out += "  cfg   \(c.name)  \(c.node ?? "?")  \(c.files ?? 0) files, \(StoreStatus.size(c.bytes ?? 0))  \(c.created ?? "")\n"
      }
    }
    if !foreign.isEmpty { out += foreignText }
    if !commandFiles.isEmpty {
      out += "\ncommand files\n"
      for (name, lines) in commandFiles { out += "  \(name): \(lines.isEmpty ? "(empty)" : lines.joined(separator: ", "))\n" }
    }
    return out + bytesText + (tiers?.text ?? "")
  }

  static func size(_ bytes: Int64) -> String { ByteSize.text(bytes) }

  package var json: String {
    func q(_ s: String?) -> String { s.map(JSONText.quote) ?? "null" }
    func n<T: BinaryInteger>(_ v: T?) -> String { v.map { String($0) } ?? "null" }
    func loadset(_ l: Loadset) -> String {
      "{\"name\":\(q(l.name)),\"version\":\(q(l.version)),\"node\":\(q(l.node)),\"nodes\":[\(l.nodes.map(q).joined(separator: ","))],\"files\":\(n(l.files)),\"bytes\":\(n(l.bytes)),\"digest\":\(q(l.digest)),\"created\":\(q(l.created))}"
    }
    var parts: [String] = []
    for s in series {
      parts.append("{\"series\":\(q(s.name)),\"type\":\(q(s.type)),\"os\":\(q(s.os)),"
        + "\"pointers\":{\(s.pointers.map { "\(q($0.name)):\(q($0.target))" }.joined(separator: ","))},"
        + "\"lastKnownGood\":\(q(s.lastKnownGood)),"
        + "\"builds\":[\(s.builds.map(loadset).joined(separator: ","))],"
        + "\"nodes\":[\(s.nodeLoadsets.map(loadset).joined(separator: ","))],"
        + "\"snapshots\":[\(s.snapshots.map(loadset).joined(separator: ","))]}")
    }
    let commands = commandFiles.map { "\(q($0.0)):[\($0.1.map(q).joined(separator: ","))]" }.joined(separator: ",")
    let base = "{\"store\":\(q(root)),\"series\":[\(parts.joined(separator: ","))],\"foreign\":[\(foreign.map(loadset).joined(separator: ","))],\"commandFiles\":{\(commands)},\(bytesJSON)}\n"
    return tiers.map { $0.adding(toStatusJSON: base) } ?? base
  }
}

extension LoadsetStore {
  /// Every series (or those concerning `filter`: a series, product or loadset name), its
  /// loadsets, pointers, last-known-good, and what each command file names.
  package func status(_ filter: String? = nil) throws(StoreError) -> StoreStatus {
    var out = StoreStatus(root: root)
    let names = try publishedNames().names
    func wanted(_ s: String) -> Bool {
      guard let filter else { return true }
      return NameFilter(filter).relates(s)
    }
    var bySeries: [LoadsetSeries: [LoadsetName]] = [:]
    for name in names { bySeries[name.series, default: []].append(name) }
    func info(_ name: String) -> StoreStatus.Loadset {
      let meta = metadata(of: name)
      return StoreStatus.Loadset(name: name, version: nil, node: meta?["node"],
                                 nodes: meta?["nodes"].map { $0.split(separator: ",").map(String.init) } ?? [],
                                 files: meta?["files"].flatMap { Int($0) }, bytes: meta?["bytes"].flatMap { Int64($0) },
                                 digest: meta?.digest, created: meta?["created"])
    }
    for series in bySeries.keys.sorted() where wanted(series.description) {
      var s = StoreStatus.Series(name: series.description, type: series.type.rawValue, os: series.os)
      for name in bySeries[series]!.sorted(by: { $0.fileName < $1.fileName }) {
        switch name {
        case .build(_, let v):
          var l = info(name.fileName); l.version = v.description; s.builds.append(l)
        case .node(_, let v, _):
          var l = info(name.fileName); l.version = v.description; s.nodeLoadsets.append(l)
        case .snapshot:
          s.snapshots.append(info(name.fileName))
        case .current, .configurationPointer:
          break
        }
      }
      if series.type == .cfg {
        for p in ConfigurationPointer.allCases {
          let n = LoadsetName.configurationPointer(series, p)
          s.pointers.append(.init(name: n.fileName, target: pointerTarget(n)))
        }
      } else {
        let n = LoadsetName.current(series)
        s.pointers.append(.init(name: n.fileName, target: pointerTarget(n)))
        s.lastKnownGood = try lastKnownGood(of: series)
      }
      out.series.append(s)
    }
    out.foreign = try foreignStatus(filter)
    for k in ((try? Syscall.listDirectoryNames(commandDirectory)) ?? []).sorted() where k.hasSuffix(".K") && !k.hasPrefix(".") && wanted(k.replacingSuffix(".K")) {
      let lines = (try sys(RegularFile.readText(commandDirectory + "/" + k)) ?? "").split(separator: "\n")
        .filter { !$0.hasPrefix("#") }.map(String.init)
      out.commandFiles.append((k, lines))
    }
    out.tiers = try tierStatus(filter)
    (out.bytes, out.storeBytes) = byteAccounts(of: out, wholeStore: filter == nil)
    return out
  }
}

extension LoadsetStore {
  /// The transcript file a store reference names: `SERIES@VERSION` (a build; for a cfg series
  /// `@NNNN`, a snapshot), `SERIES@VERSION-nodeN`, or any loadset or pointer name (with or without
  /// `.T`). A pointer is resolved once, to the immutable transcript it names now, so a move while
  /// the caller reads it changes nothing.
  package func transcriptPath(forReference reference: String) throws(StoreError) -> String {
    var name: LoadsetName
    if let at = reference.firstIndex(of: "@") {
      let seriesText = String(reference[..<at])
      var rest = String(reference[reference.index(after: at)...])
      if rest.hasSuffix(".T") { rest.removeLast(2) }
      do {
        let series = try LoadsetSeries(parsing: seriesText)
        name = try LoadsetName(parsing: "\(series)-\(rest)")
      } catch {
        throw .name(error)
      }
    } else {
      do { name = try LoadsetName(parsing: reference) } catch {
        if let foreign = foreignTranscriptPath(reference) { return foreign }
        throw StoreError(.usage, "\(reference): neither an existing file nor a store reference (\(error.reason))")
      }
    }
    if name.isPointer {
      guard let target = pointerTarget(name) else {
        throw StoreError(.usage, "\(reference): pointer \(name.fileName) is not set")
      }
      return transcriptPath(target)
    }
    guard isPublished(name) else {
      if let kind = RegularFile.typeIfNotRegular(transcriptPath(name.fileName)) {
        throw StoreError(.store, "\(reference): transcript/\(name.fileName) is \(kind), not a regular file; run 'loadsmith verify'")
      }
      throw StoreError(.usage, "\(reference): no such loadset \(name.fileName) in \(root)")
    }
    return transcriptPath(name.fileName)
  }
}
