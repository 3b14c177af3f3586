import SystemCalls
import Synchronization
import TranscriptIO

/// One capture's view of shared content: the store's index (read-only) plus what this capture
/// has stored so far (so two equal files of one node share too), and the staged index segment
/// the capture writes for the content it copies. Used from every copy thread.
final class ContentShare: @unchecked Sendable {
  let algorithm: String
  let index: [ContentKey: [ContentLocation]]
  /// Sizes present in the index: a file of another size cannot be shared, so it is copied while
  /// it is hashed (one read); a file of a known size is hashed first and copied only on a miss.
  let indexedSizes: Set<Int64>
  let storeDevice: UInt64
  let fileTree: [UInt8]
  private let staged = Mutex<[ContentKey: ContentLocation]>([:])
  private let stagedSizes = Mutex<Set<Int64>>([])
  private let asides = Atomic<Int>(0)

  /// A fresh name next to the staged file tree (not inside it: no loadset path can clash).
  func asidePath() -> [UInt8] {
    Array(fileTree.dropLast(5)) + Array("/aside-\(asides.add(1, ordering: .relaxed).oldValue)".utf8)
  }
  private let segment: Mutex<SegmentWriter?>

  struct SegmentWriter {
    var fd: Int32
    var buffer: [UInt8] = []
    var path: String
    mutating func append(_ bytes: [UInt8]) -> Bool {
      buffer += bytes
      return buffer.count < 1 << 16 || flush()
    }
    mutating func flush() -> Bool {
      defer { buffer.removeAll(keepingCapacity: true) }
      return (try? Syscall.writeAll(fd, buffer, path: path)) != nil
    }
  }

  /// `segmentPath` nil: nothing is indexed (neg loadsets).
  init(algorithm: String, index: [ContentKey: [ContentLocation]], storeDevice: UInt64, fileTree: [UInt8],
       segmentPath: String?) throws(StoreError) {
    self.algorithm = algorithm
    self.index = index
    self.storeDevice = storeDevice
    self.fileTree = fileTree
    var sizes = Set<Int64>()
    for key in index.keys where key.algorithm == algorithm { sizes.insert(key.size) }
    indexedSizes = sizes
    if let segmentPath {
      let fd: Int32
      do { fd = try Syscall.open(segmentPath, [.writeOnly, .create, .exclusive], mode: 0o644) } catch { throw .system(error) }
      var w = SegmentWriter(fd: fd, path: segmentPath)
      _ = w.append(Array(ContentIndexFormat.header.utf8))
      segment = Mutex(w)
    } else {
      segment = Mutex(nil)
    }
  }

  deinit { segment.withLock { if let w = $0 { Syscall.closeQuietly(w.fd) } } }

  /// Flushes the staged segment (called once every copy is done).
  func finish() throws(StoreError) {
    let failed = segment.withLock { w -> String? in
      guard w != nil else { return nil }
      return w!.flush() ? nil : w!.path
    }
    if let failed { throw .system(SystemCallError("write", path: failed)) }
  }

  func mayHave(size: Int64) -> Bool {
    size > 0 && (indexedSizes.contains(size) || stagedSizes.withLock { $0.contains(size) })
  }

  /// Content of this size is in the published index (not only stored by this capture).
  func mayHaveIndexed(size: Int64) -> Bool {
    size > 0 && indexedSizes.contains(size)
  }

  /// Hard-links stored content equal to `key` at `destination`. False when there is none usable:
  /// none indexed, every copy gone, edited (other size or modification time; not the inode, so a
  /// store copied with `cp -a` keeps sharing), full (`EMLINK` or
  /// the injected limit) or on another filesystem; the caller then copies.
  func link(_ key: ContentKey, to destination: [UInt8]) -> Bool {
    guard key.size > 0 else { return false }  // empty files are never shared
    var candidates = index[key] ?? []
    if let mine = staged.withLock({ $0[key] }) { candidates.insert(mine, at: 0) }
    let limit = LinkLimit.current
    for c in candidates {
      guard let st = Syscall.lstatIfPresent(c.path), FileType(mode: st.st_mode) == .regular,
            UInt64(st.st_dev) == storeDevice, Int64(st.st_size) == key.size,
            Int64(st.st_mtim.tv_sec) &* 1_000_000_000 &+ Int64(st.st_mtim.tv_nsec) == c.mtimeNanoseconds else { continue }
      if let limit, UInt64(st.st_nlink) >= limit { continue }
      if (try? Syscall.link(c.path, destination)) != nil {
        // The injected limit is checked before linking, so two threads could both pass it; the
        // kernel's EMLINK cannot be raced. Over the limit after the link: undo it and go on.
        if let limit, let after = Syscall.lstatIfPresent(destination), UInt64(after.st_nlink) > limit {
          try? Syscall.unlink(destination)
          continue
        }
        return true
      }
    }
    return false
  }

  enum Recorded { case recorded, duplicate, failed }

  /// Records content this capture stored (a copy at `destination`, described by `fd`): later
  /// equal files link to it, and the published index names it. `duplicate`: another thread
  /// stored equal content first (the caller links to it instead of keeping its copy).
  func stored(_ key: ContentKey, at destination: [UInt8], fd: Int32) -> Recorded {
    guard key.size > 0 else { return .recorded }
    stagedSizes.withLock { _ = $0.insert(key.size) }
    guard let st = try? Syscall.fstat(fd, path: destination) else { return .recorded }
    let location = ContentLocation(path: destination, inode: UInt64(st.st_ino),
                                   mtimeNanoseconds: Int64(st.st_mtim.tv_sec) &* 1_000_000_000 &+ Int64(st.st_mtim.tv_nsec))
    let fresh = staged.withLock { map -> Bool in
      if map[key] != nil { return false }
      map[key] = location
      return true
    }
    guard fresh else { return .duplicate }
    guard destination.count > fileTree.count, destination.starts(with: fileTree) else { return .recorded }
    let relative = Array(destination[(fileTree.count + 1)...])
    let line = ContentIndexFormat.line(key, inode: location.inode, mtime: location.mtimeNanoseconds, path: relative)
    return segment.withLock { w in w == nil || w!.append(line) } ? .recorded : .failed
  }

  /// ``stored(_:at:fd:)`` for a copy just written at `destination`, with its outcome carried out:
  /// equal content another thread stored first is linked to instead (this copy kept if the link
  /// cannot be made). Nil when done; else why the content index could not be written.
  func enter(_ key: ContentKey, at destination: [UInt8], fd: Int32) -> String? {
    switch stored(key, at: destination, fd: fd) {
    case .recorded:
      return nil
    case .duplicate:
      let aside = asidePath()
      let moved = (try? Syscall.rename(destination, aside)) != nil
      if moved && link(key, to: destination) {
        try? Syscall.unlink(aside)
      } else if moved {
        try? Syscall.rename(aside, destination)
      }
      return nil
    case .failed:
      return "write of the content index failed: \(SystemCallError.reason(Syscall.errno))"
    }
  }
}
