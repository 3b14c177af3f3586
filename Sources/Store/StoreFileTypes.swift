import SystemCalls
import TranscriptIO

// What the store checks before it uses one of its own files: that it is what it claims to be.
// Reading a store file goes through RegularFile (O_NONBLOCK | O_NOFOLLOW, then fstat), so a FIFO,
// device or symlink put in its place is refused with its type named, never waited on.

extension LoadsetStore {
  /// Why a command file's `p`/`n` line cannot name `name`: nil when `transcript/NAME` is a
  /// published transcript (a regular file) or a pointer (a symlink; `verify` checks pointers).
  func commandTargetProblem(_ name: String) -> String? {
    switch Syscall.kind(transcriptPath(name)) {
    case .file, .symlink: return nil
    case .missing: return "does not exist"
    default: return "is \(RegularFile.typeIfNotRegular(transcriptPath(name)) ?? "not a file"), not a transcript"
    }
  }
}
