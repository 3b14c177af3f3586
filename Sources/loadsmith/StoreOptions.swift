import SystemCalls
import ArgumentParser
import Store
import TranscriptIO

/// `--store DIR`, shared by every store command: else `$LOADSMITH_STORE`, else the current directory.
struct StoreOptions: ParsableArguments {
  @Option(name: .long, help: "The store (default: $LOADSMITH_STORE, else the current directory).")
  var store: String?

  var path: String {
    if let store { return store }
    if let env = Syscall.environment("LOADSMITH_STORE"), !env.isEmpty { return env }
    return "."
  }

  @Option(name: .long, help: "Give up after waiting this many seconds for the store lock (default: $LOADSMITH_LOCK_TIMEOUT, else wait for ever, saying so).")
  var lockTimeout: Double?

  func open() throws -> LoadsetStore {
    let store = try reportingStoreErrors { () throws(StoreError) in try LoadsetStore(at: path) }
    var timeout = lockTimeout
    if timeout == nil, let env = Syscall.environment("LOADSMITH_LOCK_TIMEOUT"), !env.isEmpty {
      guard let t = Double(env), t >= 0 else {
        StandardStreams.writeError("loadsmith: $LOADSMITH_LOCK_TIMEOUT='\(env)': expected a number of seconds\n")
        throw ExitCode(2)
      }
      timeout = t
    }
    if let timeout, !(timeout >= 0) {
      StandardStreams.writeError("loadsmith: --lock-timeout \(timeout): expected a number of seconds, 0 or more\n")
      throw ExitCode(2)
    }
    store.lockTimeout = timeout
    store.lockWaitNotice = { StandardStreams.writeError("loadsmith: \($0)\n") }
    store.warningHandler = { StandardStreams.writeError("loadsmith: warning: \($0)\n") }
    return store
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
