import SystemCalls
import TranscriptIO

/// Publishing what `adopt` staged: the metadata of every loadset it indexed, written without an
/// fsync each into one staging directory (`.loadsmith/tmp/adopt-…`), made durable by the one
/// `syncfs` of ``LoadsetStore/commit(_:)``, then moved into `meta/` by the intent's
/// `adopt-meta` action, so a crash leaves either no adopted metadata (and no history) or all of
/// it (and its history, written by the same intent).
extension LoadsetStore {
  /// Moves every file of `.loadsmith/tmp/STAGED` into `meta/`. Idempotent: a file already moved
  /// (its staged copy gone) was moved before a crash. When `meta/` is empty (a first adoption) the
  /// whole directory is renamed over it: one rename instead of one per loadset.
  func publishAdoptedMeta(staged: String) throws(StoreError) {
    let staging = Array((temporaryDirectory + "/" + staged).utf8)
    let meta = Array(metaDirectory.utf8)
    guard Syscall.lstatIfPresent(staging) != nil else { return }  // moved before a crash
    let names: [[UInt8]], existing: [[UInt8]]
    do {
      names = try Syscall.names(in: staging)
      existing = try Syscall.names(in: meta)
    } catch { throw .system(error) }
    if existing.isEmpty, let mode = Syscall.lstatIfPresent(meta)?.st_mode {
      do {
        try Syscall.chmod(staging, mode & 0o7777)
        try Syscall.rename(staging, meta)
      } catch { throw .system(error) }
      for dir in [stateDirectory, temporaryDirectory] { try? Syscall.syncDirectory(Array(dir.utf8)) }
      FaultInjection.checkpoint("adopt.meta")
      return
    }
    for name in names {
      do { try Syscall.rename(staging + [0x2F] + name, meta + [0x2F] + name) } catch {
        throw .system(SystemCallError("rename", path: "\(String(decoding: staging + [0x2F] + name, as: UTF8.self)) -> \(metaDirectory)/\(String(decoding: name, as: UTF8.self))", errno: error.errno))
      }
    }
    try? Syscall.syncDirectory(meta)
    FaultInjection.checkpoint("adopt.meta")
    do { try Syscall.rmdir(staging) } catch { if error.errno != Errno.noEntry { throw .system(error) } }
  }

  /// Why an `adopt-meta` action cannot be carried out, or nil.
  static func adoptedMetaProblem(staged: String) -> String? {
    staged.isEmpty || staged.contains("/") || staged.hasPrefix(".") ? "staging name '\(staged)' is not a directory of .loadsmith/tmp" : nil
  }
}
