import Hashing
import RadmindFormat

/// A capture request that passed every check made before anything is written: what the plain
/// capture and the capture against a base (`--base`) both start from.
struct CheckedCaptureRequest {
  var series: LoadsetSeries
  var algorithm: DigestAlgorithm
  /// The staging root, absolute and resolved.
  var stagingRoot: [UInt8]
  /// The nodes, normalized, each below the root and none inside another.
  var nodes: [[UInt8]]
}

extension LoadsetStore {
  /// The checks every capture makes of its request: series name, digest, version choice, recordable
  /// text, staging root and nodes. `nodeExample` ends the "no --node given" message.
  static func checkCaptureRequest(_ request: CaptureRequest, nodeExample: String) throws(StoreError) -> CheckedCaptureRequest {
    let series: LoadsetSeries
    do { series = try LoadsetSeries(parsing: request.loadset) } catch { throw .name(error) }
    let algorithm: DigestAlgorithm
    do { algorithm = try DigestAlgorithm(named: request.digest) } catch {
      throw StoreError(.usage, "\(error)")
    }
    guard algorithm.isAvailable else { throw StoreError(.usage, "\(request.digest): digest not available on this system") }
    if series.type == .cfg && request.version != .automatic {
      throw StoreError(.usage, "cfg snapshots are numbered automatically (0001, 0002, ...): drop --version/--next-minor/--next-major")
    }
    if case .explicit(let text) = request.version {
      do { _ = try LoadsetVersion(parsing: text) } catch { throw .name(error) }
    }
    try checkRecordable(request)
    let root = try checkStagingRoot(request.stagingRoot)
    guard !request.nodes.isEmpty else { throw StoreError(.usage, "no --node given: name at least one node path, e.g. \(nodeExample)") }
    var nodes: [[UInt8]] = []
    for text in request.nodes {
      let node = try normalizeNode(text)
      try checkNode(node, text: text, in: root)
      for other in nodes where PathOrder.caseSensitive.isInside(node, other) || PathOrder.caseSensitive.isInside(other, node) {
        throw StoreError(.usage, "nodes \(String(decoding: other, as: UTF8.self)) and \(text) overlap: a node holds everything below it, so nodes must not contain each other")
      }
      nodes.append(node)
    }
    return CheckedCaptureRequest(series: series, algorithm: algorithm, stagingRoot: root, nodes: nodes)
  }
}
