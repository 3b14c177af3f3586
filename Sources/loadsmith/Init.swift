import ArgumentParser
import Library
import Store

/// `loadsmith init [STORE]`.
struct Init: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Create a store: a radmind server tree (transcript/, file/, command/) plus .loadsmith/.",
    discussion: "Idempotent: an existing store or radmind tree keeps its contents.")
  @OptionGroup var options: StoreOptions
  @Argument(help: "The store directory (default: --store, $LOADSMITH_STORE, else the current directory).")
  var directory: String?
  @Option(help: "Record this directory as the store's DSL (created, with its protected area): release then archives first.")
  var dsl: String?
  @Option(help: "Record this Ed25519 private key file (from 'loadsmith key generate'): archive and release then sign each manifest.")
  var signingKey: String?

  func run() throws {
    let path = directory ?? options.path
    let store = try reportingStoreErrors { () throws(StoreError) in try LoadsetStore.initialize(at: path) }
    print("initialized store \(store.root)")
    if let dsl {
      let library = try reportingLibraryErrors { () throws(LibraryError) in try DSL.create(at: dsl) }
      try reportingStoreErrors { () throws(StoreError) in try store.recordDSL(library.root) }
      print("DSL \(library.root)")
    }
    if let signingKey {
      let key = try reportingLibraryErrors { () throws(LibraryError) in try KeyFiles.loadSigningKey(signingKey) }
      try reportingStoreErrors { () throws(StoreError) in try store.recordSigningKey(signingKey) }
      print("signing key \(key.name) (\(signingKey))")
    }
  }
}
