/// One member of a tar archive as the reader yields it (data not included).
///
/// `path` and `linkTarget` are bytes exactly as archived (pax `path` / `linkpath` win over
/// the ustar fields); nothing assumes UTF-8. Read the data with ``ArchiveReader/readData(into:)``.
package struct TarEntry: Equatable, Sendable {
  package enum Kind: Equatable, Sendable {
    case regular, directory, symbolicLink, hardLink
    /// Any other type flag (devices, FIFOs, vendor types), kept as the raw byte.
    case other(UInt8)

    init(typeFlag: UInt8) {
      switch typeFlag {
      case 0x30, 0, 0x37: self = .regular  // "0", NUL (old tar), "7" (contiguous)
      case 0x35: self = .directory  // "5"
      case 0x32: self = .symbolicLink  // "2"
      case 0x31: self = .hardLink  // "1"
      default: self = .other(typeFlag)
      }
    }
    var typeFlag: UInt8 {
      switch self {
      case .regular: 0x30
      case .directory: 0x35
      case .symbolicLink: 0x32
      case .hardLink: 0x31
      case .other(let flag): flag
      }
    }
  }

  package var path: [UInt8]
  package var kind: Kind
  /// Bytes of data that follow the header (0 for directories, links).
  package var size: Int64
  /// Permission bits, including setuid/setgid/sticky (`& 0o7777`).
  package var mode: UInt32
  package var uid: UInt32
  package var gid: UInt32
  /// Modification time in whole seconds since the epoch; may be negative.
  package var mtime: Int64
  /// Symlink target, or for a hard link the archived path it links to.
  package var linkTarget: [UInt8]
  package var userName: [UInt8]
  package var groupName: [UInt8]

  package init(path: [UInt8], kind: Kind, size: Int64 = 0, mode: UInt32, uid: UInt32, gid: UInt32,
              mtime: Int64, linkTarget: [UInt8] = [], userName: [UInt8] = [], groupName: [UInt8] = []) {
    self.path = path
    self.kind = kind
    self.size = size
    self.mode = mode
    self.uid = uid
    self.gid = gid
    self.mtime = mtime
    self.linkTarget = linkTarget
    self.userName = userName
    self.groupName = groupName
  }
}

/// The ownership, mode and time an archived object gets; `size` is used for regular files.
package struct EntryMetadata: Equatable, Sendable {
  package var mode: UInt32
  package var uid: UInt32
  package var gid: UInt32
  package var mtime: Int64
  package var size: Int64
  package var userName: [UInt8]
  package var groupName: [UInt8]

  package init(mode: UInt32, uid: UInt32, gid: UInt32, mtime: Int64, size: Int64 = 0,
              userName: [UInt8] = [], groupName: [UInt8] = []) {
    self.mode = mode & 0o7777
    self.uid = uid
    self.gid = gid
    self.mtime = mtime
    self.size = size
    self.userName = userName
    self.groupName = groupName
  }
}
