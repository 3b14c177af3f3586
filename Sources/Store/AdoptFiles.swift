import SystemCalls
import TranscriptIO

/// The directory reads and writes of `adopt`, on open directories: one `fstatat` of a base name
/// per entry instead of an `lstat` of its whole path, one `openat` per staged metadata file.
extension LoadsetStore {
  /// The type of what is at `path` (not following a symlink), nil when nothing is.
  static func fileType(_ path: String) -> FileType? {
    Syscall.lstatIfPresent(path).map { FileType(mode: $0.st_mode) }
  }

  /// The target of the symlink at `path`, or nil when it is not a symlink.
  static func linkTarget(_ path: String) -> String? {
    (try? Syscall.readlink(Array(path.utf8))).map { String(decoding: $0, as: UTF8.self) }
  }

  /// A directory's names, read once, and the type of each by name.
  final class TranscriptListing {
    private let stream: DirectoryStream
    let names: [[UInt8]]

    init(_ path: String) throws(StoreError) {
      let bytes = Array(path.utf8)
      do {
        stream = try DirectoryStream(bytes)
        names = try stream.all()
      } catch {
        throw .system(SystemCallError(error.call == "open" ? "opendir" : error.call, pathBytes: bytes, errno: error.errno))
      }
    }

    /// The mode of entry `name` (not following a symlink); nil when it is gone.
    func mode(of name: [UInt8]) -> FileMode? {
      (try? Syscall.fstatat(stream.descriptor, name))?.st_mode
    }

    func type(of name: [UInt8]) -> FileType? { mode(of: name).map { FileType(mode: $0) } }
  }

  /// The staging directory of `adopt`'s metadata, open: each file is created in it by name,
  /// exclusively, without an fsync (the intent's `syncfs` covers them all).
  struct AdoptMetaStaging {
    let path: String
    private var fd: Int32

    init(_ path: String) throws(StoreError) {
      self.path = path
      do { fd = try Syscall.open(path, [.readOnly, .directory, .noFollow]) } catch { throw .system(error) }
    }

    func write(_ name: String, _ bytes: [UInt8]) throws(StoreError) {
      let shown = path + "/" + name
      do {
        let file = try Syscall.openat(fd, Array(name.utf8), [.writeOnly, .create, .exclusive], mode: 0o644, shown: Array(shown.utf8))
        defer { Syscall.closeQuietly(file) }
        try Syscall.writeAll(file, bytes, path: shown)
      } catch { throw .system(error) }
    }

    mutating func close() {
      if fd >= 0 { Syscall.closeQuietly(fd) }
      fd = -1
    }
  }
}
