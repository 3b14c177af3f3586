import TranscriptIO

extension LoadsetStore {
  /// Removes a tree below the store's staging (for the Library's restore scratch): names as bytes,
  /// symlinks never followed (``DirectoryTree``).
  package static func removeTree(_ path: String) throws(StoreError) {
    try sys(DirectoryTree.remove(Array(path.utf8)))
  }
}
