#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Hashing
import RadmindFormat
import TranscriptIO

/// What `build` produced.
public struct BuildResult: Sendable {
  public var loadset: String
  public var nodes: [String]
  public var entries = 0
  public var files = 0
  public var bytes: Int64 = 0
  /// Paths listed identically by several nodes (kept once).
  public var shared = 0
  /// Paths that differed between nodes and were settled by `precedence`.
  public var resolved: [String] = []
}

/// One transcript read whole: raw lines and parsed entries, in file order.
struct LoadedTranscript {
  var name: String
  var lines: [[UInt8]] = []
  var entries: [Entry] = []

  init(path: String, name: String) throws(StoreError) {
    self.name = name
    let reader: LineReader
    do { reader = try LineReader(path: path) } catch { throw .system(error) }
    var parser = TranscriptLineParser()
    var order = OrderChecker(order: .caseSensitive)
    do {
      while let line = try reader.next() {
        if isCommentOrBlank(line) { continue }
        let entry: Entry
        do { entry = try parser.parse(line) } catch {
          throw StoreError(.store, "\(name): line \(reader.lineNumber): \(error)")
        }
        if !order.accept(encoded: parser.tokens.token(parser.tokens.count > 0 && entry.prefix != .none ? 2 : 1, in: line)) {
          throw StoreError(.store, "\(name): line \(reader.lineNumber): bad sort order")
        }
        lines.append(Array(line) + [0x0A])
        entries.append(entry)
      }
    } catch let error as SystemError {
      throw .system(error)
    } catch let error as StoreError {
      throw error
    } catch {
      throw StoreError(.system, "\(name): \(error)")
    }
  }
}

extension LoadsetStore {
  /// `loadsmith build SERIES VERSION`: concatenates the version's node loadsets into the build
  /// loadset. Node transcripts are merged in radmind order; a path listed by two nodes with
  /// different lines is a conflict, refused unless `precedence` (node numbers, highest first)
  /// settles it. Stored files are hard-linked from the nodes' file directories (one filesystem),
  /// so a build costs no file copies.
  ///
  /// INTERIM: this is a minimal node concatenator kept in Store until branch `lmerge` provides
  /// its library API; switch to it then.
  public func build(_ seriesName: String, version: String, precedence: [Int] = []) throws(StoreError) -> BuildResult {
    let series = try LoadsetStore.binSeries(seriesName)
    let v: LoadsetVersion
    do { v = try LoadsetVersion(parsing: version) } catch { throw .name(error) }
    return try write { () throws(StoreError) -> BuildResult in
      let buildName = LoadsetName.build(series, v)
      if isPublished(buildName) {
        throw StoreError(.usage, "\(buildName.fileName) exists: published loadsets are immutable")
      }
      guard let numbers = try nodeVersions(of: series)[v], !numbers.isEmpty else {
        throw StoreError(.usage, "\(series) \(v) has no node loadsets: capture it first (loadsmith capture STAGING --loadset \(series) --node ... --version \(v))")
      }
      for p in precedence where !numbers.contains(p) {
        throw StoreError(.usage, "--precedence names node \(p), but \(series) \(v) has nodes \(numbers.map(String.init).joined(separator: ","))")
      }
      let nodeNames = numbers.map { LoadsetName.node(series, v, $0).fileName }
      var digests = Set<String>(), forms = Set<String>()
      for n in nodeNames {
        let meta = metadata(of: n)
        digests.insert(meta?.digest ?? "sha1")
        forms.insert(meta?["paths"] ?? "absolute")
      }
      guard digests.count == 1, forms.count == 1 else {
        throw StoreError(.usage, "the nodes of \(series) \(v) were captured with different digests or path forms (\(digests.sorted().joined(separator: ", ")); \(forms.sorted().joined(separator: ", ")))")
      }
      let algorithm: DigestAlgorithm
      do { algorithm = try DigestAlgorithm(named: digests.first!) } catch { throw StoreError(.store, "\(error)") }
      var inputs: [LoadedTranscript] = []
      for n in nodeNames { inputs.append(try LoadedTranscript(path: transcriptPath(n), name: n)) }
      func rank(_ input: Int) -> Int {
        if let i = precedence.firstIndex(of: numbers[input]) { return i }
        return precedence.count + input
      }

      let staged = try makeStagingDirectory("build")
      FaultInjection.checkpoint("build.staging")
      let fileTree = Array((staged + "/file").utf8)
      try FileSystem.makeDirectory(staged + "/file")
      var result = BuildResult(loadset: buildName.fileName, nodes: nodeNames)
      var heads = [Int](repeating: 0, count: inputs.count)
      var transcript: [UInt8] = []
      var conflicts: [String] = []
      let order = PathOrder.caseSensitive
      var lastDirectory: [UInt8] = []
      while true {
        // The smallest path among the heads, and every input listing it.
        var best: [Int] = []
        for i in inputs.indices where heads[i] < inputs[i].entries.count {
          if best.isEmpty { best = [i]; continue }
          let c = order.compare(inputs[i].entries[heads[i]].path, inputs[best[0]].entries[heads[best[0]]].path)
          if c < 0 { best = [i] } else if c == 0 { best.append(i) }
        }
        if best.isEmpty { break }
        var chosen = best[0]
        if best.count > 1 {
          let lines = Set(best.map { inputs[$0].lines[heads[$0]] })
          let path = String(decoding: inputs[chosen].entries[heads[chosen]].path, as: UTF8.self)
          if lines.count == 1 {
            result.shared += 1
          } else if precedence.isEmpty || best.contains(where: { !precedence.contains(numbers[$0]) }) {
            conflicts.append("\(path): listed differently by \(best.map { "node\(numbers[$0])" }.joined(separator: " and "))")
          } else {
            chosen = best.min { rank($0) < rank($1) }!
            result.resolved.append("\(path): node\(numbers[chosen]) wins")
          }
        }
        let entry = inputs[chosen].entries[heads[chosen]]
        transcript += inputs[chosen].lines[heads[chosen]]
        result.entries += 1
        if entry.kind.hasContent && entry.prefix != .minus && conflicts.isEmpty {
          let source = Array(fileRoot(inputs[chosen].name).utf8) + [0x2F] + entry.path
          let destination = fileTree + [0x2F] + entry.path
          if let slash = destination.lastIndex(of: 0x2F), Array(destination[..<slash]) != lastDirectory {
            lastDirectory = Array(destination[..<slash])
            try FileSystem.makeDirectories(lastDirectory)
          }
          let r = FileSystem.withCString(source) { s in FileSystem.withCString(destination) { d in link(s, d) } }
          if r != 0 {
            throw StoreError(.store, "link \(String(decoding: source, as: UTF8.self)) -> \(String(decoding: destination, as: UTF8.self)): \(String(cString: strerror(errno)))")
          }
          result.files += 1
          result.bytes += entry.size
        }
        for i in best { heads[i] += 1 }
      }
      if !conflicts.isEmpty {
        let shown = conflicts.prefix(20).joined(separator: "\n  ")
        let more = conflicts.count > 20 ? "\n  ... and \(conflicts.count - 20) more" : ""
        throw StoreError(.usage, "\(buildName.fileName): \(conflicts.count) node conflict(s):\n  \(shown)\(more)\nsettle them with --precedence N,M,... (node numbers, highest precedence first)")
      }
      FaultInjection.checkpoint("build.linked")
      try LoadsetStore.writeFile(staged + "/transcript", transcript)
      let checksum = String(decoding: LoadsetStore.digest(transcript, algorithm), as: UTF8.self)
      var meta = Metadata()
      meta["name"] = buildName.fileName
      meta["type"] = series.type.rawValue
      meta["digest"] = algorithm.name
      meta["transcript-checksum"] = checksum
      meta["entries"] = String(result.entries)
      meta["files"] = String(result.files)
      meta["bytes"] = String(result.bytes)
      meta["paths"] = forms.first!
      meta["nodes"] = nodeNames.joined(separator: ",")
      if !precedence.isEmpty { meta["precedence"] = precedence.map(String.init).joined(separator: ",") }
      meta["created"] = FileSystem.timestamp()
      meta["user"] = FileSystem.userName
      meta["host"] = FileSystem.hostName
      try LoadsetStore.writeFile(staged + "/meta", Array(meta.text.utf8))
      FaultInjection.checkpoint("build.staged")
      var intent = Intent(operation: "build \(series) \(v)")
      intent.actions.append(.publish(staged: String(staged.split(separator: "/").last!), name: buildName.fileName))
      intent.actions.append(.commands(product: series.product))
      intent.actions.append(.log(event: "publish", name: buildName.fileName, from: nodeNames.joined(separator: ","),
                                 to: "-", checksum: "\(algorithm.name):\(checksum)"))
      try commit(intent)
      return result
    }
  }
}
