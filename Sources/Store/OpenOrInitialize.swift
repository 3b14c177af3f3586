import SystemCalls

extension LoadsetStore {
  /// Opens the store at `path`, or initializes one there when `path` does not exist or is an
  /// empty directory (what `restore` into a new store needs). Anything else that is not a store
  /// is refused with the opening error: a restore never turns a populated directory into a store.
  package static func openOrInitialize(at path: String) throws(StoreError) -> LoadsetStore {
    do { return try LoadsetStore(at: path) } catch {
      let root = absolute(path)
      let empty: Bool
      switch Syscall.kind(root) {
      case .missing: empty = true
      case .directory: empty = ((try? Syscall.listDirectory(root)) ?? [[0]]).isEmpty
      default: empty = false
      }
      guard empty else { throw error }
      return try initialize(at: path)
    }
  }
}
