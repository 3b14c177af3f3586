import SystemCalls
import TranscriptIO

/// Why a store operation refused or failed. The message is a full sentence naming the loadset,
/// path or pointer concerned; the CLI prints it as `loadsmith: MESSAGE` and exits non-zero.
/// An operation that throws one of these before it has written its intent record leaves the
/// store unchanged.
package struct StoreError: Error, Sendable, CustomStringConvertible {
  package enum Code: Sendable {
    /// Bad input: a malformed name, a missing version, an existing version, ...
    case usage
    /// The store itself is missing or damaged.
    case store
    /// A system call failed.
    case system
  }
  package var code: Code
  package var message: String

  package init(_ code: Code = .usage, _ message: String) {
    self.code = code
    self.message = message
  }

  package var description: String { message }

  /// A failed system call: `PATH: CALL: reason`.
  init(_ error: SystemCallError) {
    self.init(.system, error.detailed)
  }

  static func system(_ error: SystemCallError) -> StoreError { StoreError(error) }

  static func name(_ error: LoadsetNameError) -> StoreError {
    StoreError(.usage, "bad loadset name \(error)")
  }
}

/// Runs one ``Syscall`` (or SystemCalls-level) call, its ``SystemCallError`` becoming a
/// ``StoreError``: `try sys(Syscall.renameShowingBoth(from, to))`.
@inline(__always)
func sys<R>(_ call: @autoclosure () throws(SystemCallError) -> R) throws(StoreError) -> R {
  do { return try call() } catch { throw StoreError(error) }
}
