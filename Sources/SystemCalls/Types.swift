#if canImport(Glibc)
import Glibc
#endif

/// What `stat` fills in (st_mode, st_size, st_mtim, ...), for modules that do not import libc.
public typealias FileStatus = Glibc.stat
/// Permission and type bits (`mode_t`).
public typealias FileMode = Glibc.mode_t
/// Seconds and nanoseconds (`timespec`), as `st_mtim` holds them and `futimens` takes them.
public typealias TimeSpec = Glibc.timespec

/// The type bits of a mode, by name.
public enum FileType: Sendable, Equatable {
  case regular, directory, symlink, fifo, characterDevice, blockDevice, socket, unknown

  public init(mode: FileMode) {
    switch mode & S_IFMT {
    case S_IFREG: self = .regular
    case S_IFDIR: self = .directory
    case S_IFLNK: self = .symlink
    case S_IFIFO: self = .fifo
    case S_IFCHR: self = .characterDevice
    case S_IFBLK: self = .blockDevice
    case S_IFSOCK: self = .socket
    default: self = .unknown
    }
  }

  /// The `S_IF*` bits for this type.
  public var modeBits: FileMode {
    switch self {
    case .regular: S_IFREG
    case .directory: S_IFDIR
    case .symlink: S_IFLNK
    case .fifo: S_IFIFO
    case .characterDevice: S_IFCHR
    case .blockDevice: S_IFBLK
    case .socket: S_IFSOCK
    case .unknown: 0
    }
  }
}

extension FileStatus {
  public var fileType: FileType { FileType(mode: st_mode) }
  /// The permission bits (`st_mode & 07777`).
  public var permissions: FileMode { st_mode & 0o7777 }
  /// The `S_IFMT` part of `st_mode`.
  public var typeBits: FileMode { st_mode & S_IFMT }
}

/// `open(2)` flags.
public struct OpenFlags: OptionSet, Sendable {
  public var rawValue: Int32
  public init(rawValue: Int32) { self.rawValue = rawValue }
  public static let readOnly = OpenFlags([])
  public static let writeOnly = OpenFlags(rawValue: O_WRONLY)
  public static let readWrite = OpenFlags(rawValue: O_RDWR)
  public static let create = OpenFlags(rawValue: O_CREAT)
  public static let exclusive = OpenFlags(rawValue: O_EXCL)
  public static let truncate = OpenFlags(rawValue: O_TRUNC)
  public static let append = OpenFlags(rawValue: O_APPEND)
  public static let directory = OpenFlags(rawValue: O_DIRECTORY)
  public static let noFollow = OpenFlags(rawValue: O_NOFOLLOW)
  public static let nonBlocking = OpenFlags(rawValue: O_NONBLOCK)
  public static let closeOnExec = OpenFlags(rawValue: O_CLOEXEC)
  /// Linux `O_NOATIME` (Glibc hides it behind _GNU_SOURCE): no access-time update; EPERM unless
  /// the caller owns the file or is root.
  public static let noAtime = OpenFlags(rawValue: 0o1000000)
}

/// The errno values the modules test for, by name.
public enum Errno {
  public static let noEntry = ENOENT
  public static let exists = EEXIST
  public static let interrupted = EINTR
  public static let tooManyLinks = ELOOP
  public static let invalid = EINVAL
  public static let io = EIO
  public static let noSpace = ENOSPC
  public static let crossDevice = EXDEV
  public static let notDirectory = ENOTDIR
  public static let notEmpty = ENOTEMPTY
  public static let isDirectory = EISDIR
  public static let access = EACCES
  public static let permission = EPERM
  public static let wouldBlock = EWOULDBLOCK
  public static let nameTooLong = ENAMETOOLONG
  public static let badDescriptor = EBADF
  public static let busy = EBUSY
  public static let quota = EDQUOT
  public static let readOnlyFS = EROFS
  public static let tryAgain = EAGAIN
  public static let noSystemCall = ENOSYS
  public static let noDeviceOrAddress = ENXIO
  public static let linkLimit = EMLINK
  public static let notSupported = EOPNOTSUPP
}

/// `AT_FDCWD`: a path relative to the current directory in an `*at` call.
public let currentDirectory: Int32 = AT_FDCWD
