import SystemCalls
/// `.loadsmith/meta/NAME.T`, read and written in one place: the store's own copy, a staged copy
/// and the copy inside an archive (Library) all go through ``LoadsetStore/Metadata``.
extension LoadsetStore.Metadata {
  /// Reads metadata bytes (an archive member, a staged file). For a key given twice the first
  /// line counts, as it does for every store reader (``subscript(key:)``).
  package init(bytes: [UInt8]) { self.init(text: String(decoding: bytes, as: UTF8.self)) }

  /// The lines every published loadset's metadata starts with, in this order.
  package init(name: String, type: String, digest: String, transcriptChecksum: String,
               entries: some BinaryInteger, files: some BinaryInteger, bytes: some BinaryInteger) {
    self.init()
    self["name"] = name
    self["type"] = type
    self["digest"] = digest
    self["transcript-checksum"] = transcriptChecksum
    self["entries"] = String(entries)
    self["files"] = String(files)
    self["bytes"] = String(bytes)
  }

  /// When, by whom and where the loadset was made: the last lines a capture, import or build writes.
  mutating func stampCreation() {
    self["created"] = Clock.timestamp(milliseconds: true)
    self["user"] = Syscall.userName
    self["host"] = Syscall.hostName
  }

  /// `DIGEST:CHECKSUM` as the history log records a loadset, or `-` when no checksum is recorded.
  package var loggedChecksum: String {
    guard let checksum = self["transcript-checksum"] else { return "-" }
    return HistoryRecord.checksumField(digest: digest, checksum)
  }

  /// Writes the metadata to `path` (a staged loadset's `meta`).
  func write(to path: String) throws(StoreError) {
    try LoadsetStore.writeFile(path, Array(text.utf8))
  }
}
