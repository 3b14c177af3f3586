import SystemCalls

/// A system call failed: which call, on which path, and the errno it set (``SystemCallError``).
/// `description` prints the way radmind's tools do: `PATH: No such file or directory`.
public typealias SystemError = SystemCallError
