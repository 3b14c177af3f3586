import SystemCalls

/// Pointer targets and last-known-good values are read from files anyone with write access to the
/// store can edit. Before one is used (to move a pointer, to write a command file, to record
/// last-known-good) it is parsed as a loadset name of the right series and kind and checked to be
/// published: a regular transcript in the same folder. Nothing outside the store, in another
/// series, or missing is ever pointed at.
extension LoadsetStore {
  /// Why `value` is not a published immutable loadset of `series` that a pointer of that series
  /// may name (a build for bin and neg, a snapshot for cfg), or nil when it is one.
  func targetProblem(_ value: String, of series: LoadsetSeries) -> String? {
    if let problem = targetNameProblem(value, of: series) { return problem }
    guard Syscall.kind(transcriptPath(value)) == .file else {
      return "'\(value)' does not exist (no transcript/\(value))"
    }
    return nil
  }

  /// Why `value` is not the name of an immutable loadset a pointer of `series` may name, or nil
  /// (whether it is published is not looked at).
  func targetNameProblem(_ value: String, of series: LoadsetSeries) -> String? {
    guard let name = try? LoadsetName(parsing: value), name.fileName == value else {
      return "'\(value)' is not a loadset name"
    }
    guard !name.isPointer, name.series == series else {
      return "'\(value)' is not a loadset of \(series)"
    }
    switch (series.type, name) {
    case (.cfg, .snapshot), (.bin, .build), (.neg, .build): break
    default: return "'\(value)' is not a \(series.type == .cfg ? "cfg snapshot" : "build") of \(series)"
    }
    return nil
  }

  /// The pointer's target when it is a published loadset of the pointer's series; nil when the
  /// pointer is unset or names anything else (a dangling or hand-edited pointer).
  func validPointerTarget(_ pointer: LoadsetName) -> String? {
    guard let target = pointerTarget(pointer), targetProblem(target, of: pointer.series) == nil else { return nil }
    return target
  }

  /// The pointer's target, which must be valid if set; a clear error otherwise.
  func checkedPointerTarget(_ pointer: LoadsetName) throws(StoreError) -> String? {
    guard let target = pointerTarget(pointer) else { return nil }
    if let problem = targetProblem(target, of: pointer.series) {
      throw StoreError(.store, "transcript/\(pointer.fileName) points at \(problem); nothing changed (point it at a published loadset with release, promote or rollback --to)")
    }
    return target
  }

  /// Last-known-good of `series`, which must be a published build of that series; a clear error
  /// naming `.loadsmith/lkg/SERIES` otherwise.
  func checkedLastKnownGood(of series: LoadsetSeries) throws(StoreError) -> String? {
    guard let value = try lastKnownGood(of: series) else { return nil }
    if let problem = targetProblem(value, of: series) {
      throw StoreError(.store, ".loadsmith/lkg/\(series): last-known-good \(problem); nothing changed (use rollback --to VERSION)")
    }
    return value
  }
}
