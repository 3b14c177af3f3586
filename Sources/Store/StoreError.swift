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

  static func system(_ error: SystemError) -> StoreError {
    StoreError(.system, error.detailed)
  }

  static func name(_ error: LoadsetNameError) -> StoreError {
    StoreError(.usage, "bad loadset name \(error)")
  }
}
