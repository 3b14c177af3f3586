import SystemCalls
import TranscriptIO

/// What read-only views of the store (`loadsmith serve`) need beyond the CLI's readers: the
/// history log's path to stream it, one record parsed from a line, a record as JSON, and a
/// product's tier map. None of these take the lock or write.
extension LoadsetStore {
  /// `.loadsmith/history.log`, for readers that stream it (forwards or backwards).
  package var historyLogPath: String { historyPath }

  /// The tier map that applies to `product` (`.loadsmith/tiers.PRODUCT`, else `.loadsmith/tiers`).
  package func tiers(for product: String) throws(StoreError) -> TierMap { try tierMap(for: product) }

  /// True while a change's intent record is pending (being applied, or left by a crash until the
  /// next writer finishes it): a reader that wants a state from before or after it waits.
  package var changePending: Bool { Syscall.exists(intentPath) }

  /// The folders whose modification times change with every published loadset, pointer move,
  /// metadata, last-known-good or command-file change (each is replaced by a rename in one of them).
  package var changeIndicatorPaths: [String] {
    [transcriptDirectory, metaDirectory, lastKnownGoodDirectory, commandDirectory, historyPath]
  }
}

extension HistoryRecord {
  /// One line of the log (without its LF), or nil when it is not a record.
  package static func parse(_ line: Substring) -> HistoryRecord? { HistoryRecord(line: line) }

  /// The record as one JSON object, its fields named as the properties are.
  package var json: String {
    func q(_ s: String) -> String { JSONText.quote(s) }
    return "{\"time\":\(q(time)),\"user\":\(q(user)),\"host\":\(q(host)),\"event\":\(q(event)),\"name\":\(q(name)),"
      + "\"from\":\(q(from)),\"to\":\(q(to)),\"checksum\":\(q(checksum)),\"intent\":\(q(intent)),"
      + "\"link\":\(link.map(q) ?? "null")}"
  }
}
