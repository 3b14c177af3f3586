import Store

/// The Library's half of "a store with a DSL releases only archived builds": the store calls
/// this under its writer lock before a release's intent; the tags are the intent's steps.
package struct DSLReleaseArchiver: ReleaseArchiver {
  package var threads: Int
  package var level: Int
  /// Called with the archive's path when a build was archived now (for the command line's output).
  package var archived: (@Sendable (LoadsetName, String) -> Void)?

  package init(threads: Int = 2, level: Int = 5, archived: (@Sendable (LoadsetName, String) -> Void)? = nil) {
    self.threads = threads
    self.level = level
    self.archived = archived
  }

  package func ensureArchived(_ build: LoadsetName, from store: LoadsetStore, dsl: String) throws(StoreError) {
    do throws(LibraryError) {
      let library = try DSL.open(at: dsl)
      if library.isArchived(build) { return }
      let outcome = try library.archive(build, from: store, threads: threads, level: level,
                                        signingKey: try DSL.signingKey(for: store), tagRelease: false)
      archived?(build, outcome.archivePath)
    } catch {
      throw StoreError(.store, "release refused: archiving \(build.fileName) into the DSL failed: \(error.message)")
    }
  }
}

extension LoadsetStore {
  /// `release` as the command line runs it: in a store with a DSL the build is archived first
  /// (``DSLReleaseArchiver``); the store writes the tags inside the release's intent.
  package func releaseArchiving(_ series: String, version: String,
                               archived: (@Sendable (LoadsetName, String) -> Void)? = nil) throws(StoreError) -> ReleaseOutcome {
    try release(series, version: version, archiver: DSLReleaseArchiver(archived: archived))
  }
}
