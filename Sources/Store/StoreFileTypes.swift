import SystemCalls
import TranscriptIO

// What the store checks before it uses one of its own files: that it is what it claims to be.
// Reading a store file goes through RegularFile (O_NONBLOCK | O_NOFOLLOW, then fstat), so a FIFO,
// device or symlink put in its place is refused with its type named, never waited on.

extension FileSystem {
  /// `a FIFO`, `a symlink`, ... when something that is not a regular file is at `path`; nil when
  /// a regular file or nothing is there.
  static func typeIfNotRegular(_ path: String) -> String? {
    guard let st = Syscall.lstatIfPresent(path), FileType(mode: st.st_mode) != .regular else { return nil }
    return RegularFile.typeName(st.st_mode)
  }
}

extension LoadsetStore {
  /// Why a command file's `p`/`n` line cannot name `name`: nil when `transcript/NAME` is a
  /// published transcript (a regular file) or a pointer (a symlink; `verify` checks pointers).
  func commandTargetProblem(_ name: String) -> String? {
    switch FileSystem.kind(transcriptPath(name)) {
    case .file, .symlink: return nil
    case .missing: return "does not exist"
    default: return "is \(FileSystem.typeIfNotRegular(transcriptPath(name)) ?? "not a file"), not a transcript"
    }
  }
}
