import ArgumentParser
import Store

/// `loadsmith reindex`: rebuilds the content index from the published loadsets.
struct Reindex: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Rebuild the content index (.loadsmith/content) from the store alone.",
    discussion: """
      Under the writer lock: hashes each stored inode once and enters every non-empty file whose bytes \
      match its transcript, so captures can hard-link it instead of copying. A store made before content \
      sharing is indexed this way by its first capture; run this after repairing stored files.
      """)
  @OptionGroup var options: StoreOptions

  func run() throws {
    let store = try options.open()
    let r = try reportingStoreErrors { () throws(StoreError) in try store.reindex() }
    print("indexed \(r.entries) stored contents from \(r.loadsets) loadsets")
  }
}
