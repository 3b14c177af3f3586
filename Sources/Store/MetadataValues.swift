/// `.loadsmith/meta/NAME.T` holds one `key value` per line: a value with a newline would add lines
/// (and so keys) of its own. What a person gives that ends up there is checked first.
extension LoadsetStore {
  /// Refuses a staging root or node path that cannot be recorded on one metadata line.
  static func checkRecordable(_ request: CaptureRequest) throws(StoreError) {
    if request.stagingRoot.utf8.contains(0x0A) {
      throw StoreError(.usage, "staging root \(escapedNewlines(request.stagingRoot)): a newline in the path cannot be recorded in the loadset's metadata (.loadsmith/meta); rename it")
    }
    for node in request.nodes where node.utf8.contains(0x0A) {
      throw StoreError(.usage, "node \(escapedNewlines(node)): a newline in a node path cannot be recorded in the loadset's metadata (.loadsmith/meta); capture its parent instead")
    }
  }

  static func escapedNewlines(_ text: String) -> String {
    text.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\\n")
  }
}
