import Archive
import Store

/// Why a DSL operation refused or failed: one sentence naming the archive, loadset or path.
/// The CLI prints it as `loadsmith: MESSAGE` and exits 2. An operation that throws leaves no
/// partial archive in the DSL and restores nothing.
package struct LibraryError: Error, Sendable, CustomStringConvertible {
  package enum Code: Sendable {
    /// Bad input: a malformed name, a missing archive, an existing archive or loadset.
    case usage
    /// An archive, manifest or loadset is damaged or does not match.
    case corrupt
    /// A system call failed (ENOSPC included).
    case system
  }
  package var code: Code
  package var message: String

  package init(_ code: Code, _ message: String) {
    self.code = code
    self.message = message
  }

  package var description: String { message }

  init(_ error: StoreError) {
    self.init(error.code == .usage ? .usage : error.code == .store ? .corrupt : .system, error.message)
  }

  /// An archive error, prefixed with the archive (or loadset) it concerns.
  init(_ error: ArchiveError, in subject: String) {
    let code: Code
    switch error {
    case .systemCall: code = .system
    case .invalidEntry, .writerClosed: code = .usage
    default: code = .corrupt
    }
    self.init(code, "\(subject): \(error)")
  }
}

extension StoreError {
  /// A DSL failure as the store reports it (the release hook).
  init(_ error: LibraryError) {
    self.init(error.code == .usage ? .usage : error.code == .corrupt ? .store : .system, error.message)
  }
}
