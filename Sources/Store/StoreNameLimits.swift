/// The longest names the store creates, so that a name that cannot be stored is refused when it is
/// parsed, before any intent is written (a rename that fails with Errno.nameTooLong after the intent
/// exists would leave a change no writer can finish).
///
/// For a series `S` the store makes, in one directory each:
///
///     S-999.999-node999.T                       the longest loadset name (transcript/, file/, meta/)
///     .NAME.tmp.XXXXXX   .NAME.ptr              temporaries of atomic writes and pointer moves
///     <intent id>-removed-NAME                  prune's trash directory in .loadsmith/tmp/
///
/// and `lkg/S` (with its atomic temporary). Command files (`PRODUCT[-OS]-TIER.K`) are checked with
/// the tier map, because their length depends on the tier names.
enum StoreNameLimits {
  /// `NAME_MAX` on Linux file systems.
  static let nameMax = 255
  /// `-999.999-node999.T`: what a node loadset name adds to its series.
  static let longestLoadsetSuffix = "-999.999-node999.T".utf8.count
  /// `<17-digit time>-<8 hex>-removed-`: the trash directory's prefix (``LoadsetStore/unpublish``).
  static let longestPrefix = intentIDLength + "-removed-".utf8.count
  static let intentIDLength = 17 + 1 + 8
  /// `.` + name + `.tmp.XXXXXX` (TranscriptIO's AtomicFile).
  static let atomicTemporaryExtra = ".".utf8.count + ".tmp.XXXXXX".utf8.count
  /// The longest series text whose every derived name fits `NAME_MAX`.
  static let maximumSeriesLength = nameMax - longestPrefix - longestLoadsetSuffix

  /// A problem with `fileName` as a file the store replaces atomically (command files), or nil.
  static func atomicFileProblem(_ fileName: String) -> String? {
    let n = fileName.utf8.count + atomicTemporaryExtra
    return n > nameMax ? "'\(fileName)' is too long: with its temporary name it needs \(n) bytes, more than NAME_MAX (\(nameMax))" : nil
  }
}
