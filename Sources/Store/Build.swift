import Hashing
import Loadsets
import SystemCalls
import TranscriptIO

/// What `build` produced.
package struct BuildResult: Sendable {
  package var loadset: String
  package var nodes: [String]
  package var entries = 0
  package var files = 0
  package var bytes: Int64 = 0
  /// Paths listed identically by several nodes (kept once).
  package var shared = 0
  /// Paths that differed between nodes and were settled by `precedence`.
  package var resolved: [String] = []
}

extension LoadsetStore {
  /// `loadsmith build SERIES VERSION`: concatenates the version's node loadsets into the build
  /// loadset with ``NodeConcatenator`` (radmind order, stored files hard-linked from the nodes'
  /// file directories on the store's filesystem, so a build costs no file copies). A path listed
  /// by two nodes with different attributes is a conflict, refused unless `precedence` (node
  /// numbers, highest first) names every node involved. The build is staged under
  /// `.loadsmith/tmp/` and published by the store's intent, as a capture is.
  package func build(_ seriesName: String, version: String, precedence: [Int] = []) throws(StoreError) -> BuildResult {
    let series = try LoadsetStore.binSeries(seriesName)
    let v: LoadsetVersion
    do { v = try LoadsetVersion(parsing: version) } catch { throw .name(error) }
    return try write { () throws(StoreError) -> BuildResult in
      let buildName = LoadsetName.build(series, v)
      if isPublished(buildName) {
        throw StoreError(.usage, "\(buildName.fileName) exists: published loadsets are immutable")
      }
      let nodes = try buildNodes(series, v, precedence: precedence)
      let staged = try makeStagingDirectory("build")
      FaultInjection.checkpoint("build.staging")
      WorkProgress.begin("build \(buildName.fileName)", files: nodes.listedFiles, bytes: nodes.listedBytes)
      defer { WorkProgress.end() }
      let concatenated = try concatenate(nodes, into: staged, buildName: buildName, precedence: precedence)
      var result = BuildResult(loadset: buildName.fileName, nodes: nodes.names)
      result.entries = concatenated.lines
      result.files = concatenated.filesLinked
      result.bytes = concatenated.bytes
      result.shared = concatenated.shared
      result.resolved = concatenated.resolved.map { "\(String(decoding: $0.path, as: UTF8.self)): \($0.first.node) wins" }
      FaultInjection.checkpoint("build.linked")
      let checksum = try writeBuildMetadata(result, nodes: nodes, series: series, precedence: precedence, staged: staged)
      FaultInjection.checkpoint("build.staged")
      var intent = Intent(operation: "build \(series) \(v)")
      intent.actions.append(.publish(staged: String(staged.split(separator: "/").last!), name: buildName.fileName))
      intent.actions.append(.commands(product: series.product))
      intent.actions.append(.log(event: "publish", name: buildName.fileName, from: nodes.names.joined(separator: ","),
                                 to: "-", checksum: HistoryRecord.checksumField(digest: nodes.algorithm.name, checksum)))
      try commit(intent)
      return result
    }
  }

  /// The node loadsets a build concatenates, and what they must agree on.
  struct BuildNodes {
    var numbers: [Int]
    var names: [String]
    var algorithm: DigestAlgorithm
    var pathForm: String
    /// The progress line's totals (nil when a node's metadata does not say).
    var listedFiles: Int?
    var listedBytes: Int64?
  }

  /// The version's node loadsets, checked: there are some, `precedence` names only them, they
  /// share one digest and path form, and each transcript is a regular file.
  private func buildNodes(_ series: LoadsetSeries, _ v: LoadsetVersion, precedence: [Int]) throws(StoreError) -> BuildNodes {
    guard let numbers = try nodeVersions(of: series)[v], !numbers.isEmpty else {
      throw StoreError(.usage, "\(series) \(v) has no node loadsets: capture it first (loadsmith capture STAGING --loadset \(series) --node ... --version \(v))")
    }
    for p in precedence where !numbers.contains(p) {
      throw StoreError(.usage, "--precedence names node \(p), but \(series) \(v) has nodes \(numbers.map(String.init).joined(separator: ","))")
    }
    let nodeNames = numbers.map { LoadsetName.node(series, v, $0).fileName }
    var digests = Set<String>(), forms = Set<String>()
    var listedFiles: Int? = 0, listedBytes: Int64? = 0
    for n in nodeNames {
      let meta = metadata(of: n)
      listedFiles = listedFiles.flatMap { sum in meta?["files"].flatMap { Int($0) }.map { $0 + sum } }
      listedBytes = listedBytes.flatMap { sum in meta?["bytes"].flatMap { Int64($0) }.map { $0 + sum } }
      digests.insert(meta?.digest ?? "sha1")
      forms.insert(meta?["paths"] ?? "absolute")
    }
    guard digests.count == 1, forms.count == 1 else {
      throw StoreError(.usage, "the nodes of \(series) \(v) were captured with different digests or path forms (\(digests.sorted().joined(separator: ", ")); \(forms.sorted().joined(separator: ", ")))")
    }
    let algorithm: DigestAlgorithm
    do { algorithm = try DigestAlgorithm(named: digests.first!) } catch { throw StoreError(.store, "\(error)") }

    for n in nodeNames where Syscall.kind(transcriptPath(n)) != .file {  // never read a FIFO (it would block)
      throw StoreError(.store, "transcript/\(n) is \(RegularFile.typeIfNotRegular(transcriptPath(n)) ?? "missing"), not a regular file; run 'loadsmith verify'")
    }
    return BuildNodes(numbers: numbers, names: nodeNames, algorithm: algorithm, pathForm: forms.first!,
                      listedFiles: listedFiles, listedBytes: listedBytes)
  }

  /// Concatenates the nodes into `staged/transcript` and `staged/file`; unsettled conflicts are a usage error naming each.
  private func concatenate(_ nodes: BuildNodes, into staged: String, buildName: LoadsetName,
                           precedence: [Int]) throws(StoreError) -> ConcatenationResult {
    do {
      return try NodeConcatenator.concatenate(
        nodes: zip(nodes.numbers, nodes.names).map { NodeLoadset(node: "node\($0)", transcript: transcriptPath($1)) },
        output: .staged(transcript: staged + "/transcript", fileDirectory: staged + "/file"),
        radmindDirectory: root,
        policy: precedence.isEmpty ? .fail : .strictPrecedence(precedence.map { "node\($0)" }),
        linkLimit: LinkLimit.current)
    } catch let conflicts as NodeConflicts {
      let shown = conflicts.description.split(separator: "\n", omittingEmptySubsequences: false).dropFirst()
      throw StoreError(.usage, "\(buildName.fileName): \(conflicts.count) node conflict(s):\n  \(shown.joined(separator: "\n  "))\nsettle them with --precedence N,M,... (node numbers, highest precedence first)")
    } catch {
      throw StoreError(.store, "\(buildName.fileName): \(error)")
    }
  }

  /// Checksums the staged transcript and writes the build's `staged/meta`; returns the checksum.
  private func writeBuildMetadata(_ result: BuildResult, nodes: BuildNodes, series: LoadsetSeries,
                                  precedence: [Int], staged: String) throws(StoreError) -> String {
    let checksum: String
    switch FileHasher(algorithm: nodes.algorithm).hash(path: Array((staged + "/transcript").utf8)) {
    case .success(let d): checksum = String(decoding: d.checksum, as: UTF8.self)
    case .failure(let e): throw StoreError(.system, "\(staged)/transcript: \(e)")
    }
    var meta = Metadata(name: result.loadset, type: series.type.rawValue, digest: nodes.algorithm.name, transcriptChecksum: checksum,
                        entries: result.entries, files: result.files, bytes: result.bytes)
    meta["paths"] = nodes.pathForm
    meta["nodes"] = result.nodes.joined(separator: ",")
    if !precedence.isEmpty { meta["precedence"] = precedence.map(String.init).joined(separator: ",") }
    meta.stampCreation()
    try meta.write(to: staged + "/meta")
    return checksum
  }
}
