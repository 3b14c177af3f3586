import SystemCalls
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

  /// What the change indicators say now, and whether the newest change is too recent to cache.
  func stamps() -> (key: Key, recent: Bool) {
    var stamps: [Int64] = []
    var recent = false
    let now = Clock.now()
    for path in store.changeIndicatorPaths {
      guard let st = try? Syscall.stat(path) else { stamps += [-1, -1, -1]; continue }
      if Int64(now.tv_sec) - Int64(st.st_mtim.tv_sec) < 2 { recent = true }
      stamps += [Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec), Int64(st.st_size), Int64(st.st_ino)]
    }
    stamps.append(store.changePending ? 1 : 0)
    return (Key(stamps: stamps), recent)
  }

  /// The current key, or nil when something changed too recently to cache.
  func currentKey() -> Key? {
    let (key, recent) = stamps()
    return recent ? nil : key
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

  /// The status as it was before or after any change, never in the middle of one: read while no
  /// intent is pending, and again if a change indicator moved during the read. A change left
  /// pending by a crash (finished by the next writer) is waited for half a second, then shown.
  func consistentStatus() throws(ServeError) -> StoreStatus {
    var attempt = 0
    while true {
      let before = stamps().key
      let pending = store.changePending
      let status: StoreStatus
      do { status = try store.status() } catch { throw ServeError(500, error.message) }
      if !pending && !store.changePending && stamps().key == before { return status }
      attempt += 1
      if attempt >= 50 { return status }
      Clock.sleep(microseconds: 10_000)
    }
  }

  private func freshOrCached(_ key: Key?) throws(ServeError) -> StoreStatus {
    if let key, let hit = cache.withLock({ $0?.key == key ? $0?.status : nil }) { return hit }
    let status = try consistentStatus()
    if let key {
      cache.withLock { $0 = Entry(key: key, status: status) }
    }
    return status
  }
}
