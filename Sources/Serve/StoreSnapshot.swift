#if canImport(Glibc)
import Glibc
#endif
import Store
import Synchronization

/// The store's status, read once per change of the store instead of once per request: the
/// folders every change renames into (transcript/, meta/, lkg/, command/) and the history log
/// are stat'ed, and the cached status is reused while none of them moved. A change less than a
/// second old is never cached (a file system may keep a coarse clock), so a page never serves a
/// state older than the last completed change.
final class StoreSnapshot: Sendable {
  struct Key: Equatable, Sendable {
    var stamps: [Int64]
  }

  struct Entry: Sendable {
    var key: Key
    var status: StoreStatus
    var rendered: [String: String] = [:]
  }

  let store: LoadsetStore
  private let cache = Mutex<Entry?>(nil)

  init(store: LoadsetStore) { self.store = store }

  /// The current key, or nil when something changed too recently to cache.
  func currentKey() -> Key? {
    var stamps: [Int64] = []
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    for path in store.changeIndicatorPaths {
      var st = stat()
      if stat(path, &st) != 0 { stamps += [-1, -1, -1]; continue }
      let ns = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
      if Int64(now.tv_sec) - Int64(st.st_mtim.tv_sec) < 2 { return nil }
      stamps += [ns, Int64(st.st_size), Int64(st.st_ino)]
    }
    return Key(stamps: stamps)
  }

  /// `render(status)` for `name` (a page or JSON document), cached with the status it came from.
  func rendered(_ name: String, _ render: (StoreStatus) throws(ServeError) -> String) throws(ServeError) -> String {
    let key = currentKey()
    if let key, let hit = cache.withLock({ $0?.key == key ? $0?.rendered[name] : nil }) { return hit }
    let status = try freshOrCached(key)
    let text = try render(status)
    if let key {
      cache.withLock { entry in
        if entry?.key == key { entry?.rendered[name] = text }
      }
    }
    return text
  }

  private func freshOrCached(_ key: Key?) throws(ServeError) -> StoreStatus {
    if let key, let hit = cache.withLock({ $0?.key == key ? $0?.status : nil }) { return hit }
    let status: StoreStatus
    do { status = try store.status() } catch { throw ServeError(500, error.message) }
    if let key {
      cache.withLock { $0 = Entry(key: key, status: status) }
    }
    return status
  }
}
