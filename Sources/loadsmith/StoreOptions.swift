#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Store
import TranscriptIO

/// `--store DIR`, shared by every store command: else `$LOADSMITH_STORE`, else the current directory.
struct StoreOptions: ParsableArguments {
  @Option(name: .long, help: "The store (default: $LOADSMITH_STORE, else the current directory).")
  var store: String?

  var path: String {
    if let store { return store }
    if let env = getenv("LOADSMITH_STORE"), env.pointee != 0 { return String(cString: env) }
    return "."
  }

  func open() throws -> LoadsetStore {
    try reportingStoreErrors { () throws(StoreError) in try LoadsetStore(at: path) }
  }
}

/// Runs `body`; a ``StoreError`` is printed as `loadsmith: MESSAGE` on standard error and the
/// command exits 2 (the store is unchanged when the error came before the change was decided).
func reportingStoreErrors<R>(_ body: () throws(StoreError) -> R) throws -> R {
  do {
    return try body()
  } catch {
    StandardStreams.writeError("loadsmith: \(error.message)\n")
    throw ExitCode(2)
  }
}
