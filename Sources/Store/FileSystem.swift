import SystemCalls
import TranscriptIO

/// What `Store/Adopt*.swift`, `ForeignLoadsets.swift` and `ForeignArchiveSupport.swift` still call
/// (until they are converted): each forwards to its one home in SystemCalls or TranscriptIO, with
/// ``sys(_:)`` turning a ``SystemCallError`` into a ``StoreError``. Everything else in the store
/// calls those homes directly. Delete this file once nothing calls it.
enum FileSystem {
  static func kind(_ path: String) -> PathKind { Syscall.kind(path) }

  static func exists(_ path: String) -> Bool { Syscall.exists(path) }

  static func readLink(_ path: String) -> String? { Syscall.symlinkTarget(path) }

  static func listRaw(_ path: String) throws(StoreError) -> [[UInt8]] { try sys(Syscall.listDirectory(path)) }

  static func list(_ path: String) throws(StoreError) -> [String] { try sys(Syscall.listDirectoryNames(path)) }

  static func removeTree(_ path: String) throws(StoreError) { try sys(DirectoryTree.remove(path)) }

  static func rename(_ from: String, _ to: String) throws(StoreError) { try sys(Syscall.renameShowingBoth(from, to)) }

  /// Best effort, as its callers have always had it.
  static func syncDirectory(_ path: String) { try? Syscall.syncDirectory(path) }

  static func syncFilesystem(_ path: String) throws(StoreError) { try sys(Syscall.syncFilesystem(containing: path)) }

  static func readSmallFile(_ path: String) throws(StoreError) -> String? { try sys(RegularFile.readText(path)) }

  static func typeIfNotRegular(_ path: String) -> String? { RegularFile.typeIfNotRegular(path) }

  static func timestamp() -> String { Clock.timestamp(milliseconds: true) }
}
