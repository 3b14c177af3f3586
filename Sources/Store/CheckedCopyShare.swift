import SystemCalls
import Hashing

/// `capture --base` and `import` share content as the plain capture does: a checked file whose
/// content the store already holds (its transcript's checksum and size, the source read and found
/// to match first) is hard-linked to the stored copy; any other is copied, checked, and entered
/// in the staged index segment (equal files of one run then share too). Neg loadsets share nothing.
extension LoadsetStore {
  func checkedCopyShare(staged: String, algorithm: DigestAlgorithm, type: LoadsetType) throws(StoreError) -> ContentShare? {
    guard type != .neg else { return nil }
    let index = try contentIndexForCapture()
    let device = (try? Syscall.stat(root)).map { UInt64($0.st_dev) } ?? 0
    return try ContentShare(algorithm: algorithm.name, index: index, storeDevice: device,
                            fileTree: Array((staged + "/file").utf8), segmentPath: staged + "/content")
  }
}

extension CheckedCopier {
  /// ``copy(_:from:to:)`` through the content index; nil when stored (linked or copied) and matching.
  func copySharing(_ job: CheckedCopies.Job, from sourceRoot: [UInt8], to destinationRoot: [UInt8], share: ContentShare) -> String? {
    guard let expected = job.checksum, job.size > 0 else { return copy(job, from: sourceRoot, to: destinationRoot) }
    let destination = BytePath.join(destinationRoot, job.path)
    let key = ContentKey(algorithm: share.algorithm, size: job.size, checksum: expected)
    if share.mayHave(size: job.size) {
      // Read and check the source first: a hit is then linked without writing anything.
      if let problem = check(job, from: sourceRoot, expected: expected) { return problem }
      if share.link(key, to: destination) { return nil }
    }
    if let problem = copy(job, from: sourceRoot, to: destinationRoot) { return problem }
    let fd: Int32
    do { fd = try Syscall.open(destination, [.readOnly, .noFollow]) } catch {
      return "\(job.path.shownPath): cannot store: \(error.reason)"
    }
    defer { Syscall.closeQuietly(fd) }
    return share.enter(key, at: destination, fd: fd).map { "\(job.path.shownPath): \($0)" }
  }

  /// Reads the source of `job` and checks its size and checksum against the transcript line.
  private func check(_ job: CheckedCopies.Job, from sourceRoot: [UInt8], expected: [UInt8]) -> String? {
    let input: Int32
    switch CheckedCopier.openBeneath(sourceRoot, job.path) {
    case .success(let fd): input = fd
    case .failure(let why): return "\(job.path.shownPath): \(why)"
    }
    defer { Syscall.closeQuietly(input) }
    return readChecking(input, job, expected: expected, copyingTo: nil)
  }
}
