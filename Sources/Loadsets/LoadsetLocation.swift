import SystemCalls
import TranscriptIO

/// Where a transcript's files live, found the way radmind's lmerge finds them (spec §8.1,
/// radmind's `get_root`): after `realpath` of the radmind directory and of the transcript,
///
/// * a transcript under `<radmind>/tmp/transcript` has its files under `<radmind>/tmp/file`,
/// * one under `<radmind>/transcript` under `<radmind>/file` (sub-directories carried over),
/// * any other under `<directory of the transcript>/../file`.
///
/// The file for line path P is `<fileRoot>/<name>/<decoded P>`.
public struct LoadsetLocation: Sendable, Equatable {
  /// The transcript's resolved directory (where the transcript file itself lives).
  public var transcriptRoot: [UInt8]
  /// The directory holding `<name>/` file directories.
  public var fileRoot: [UInt8]
  /// The transcript's file name (last component of its resolved path).
  public var name: [UInt8]

  public var transcriptPath: [UInt8] { BytePath.join(transcriptRoot, name) }
  public var fileDirectory: [UInt8] { BytePath.join(fileRoot, name) }

  /// A failure worded as radmind prints it (`perror` of the partial path, or its own text).
  public struct Failure: Error, Sendable {
    public var message: [UInt8]
  }

  /// Resolves the radmind directory (`-D`); it must exist.
  public static func resolveRadmindDirectory(_ path: [UInt8]) throws(Failure) -> [UInt8] {
    switch RadmindFileOps.realpath(path) {
    case .success(let p): return p
    case .failure(let f): throw Failure(message: f.partial + Array(": ".utf8) + SystemCallError.reasonBytes(f.errno))
    }
  }

  /// radmind's `get_root` for an existing transcript path.
  public static func locate(transcript path: [UInt8], radmindDirectory radmind: [UInt8]) throws(Failure) -> LoadsetLocation {
    let real: [UInt8]
    switch RadmindFileOps.realpath(path) {
    case .success(let p): real = p
    case .failure(let f): throw Failure(message: f.partial + Array(": ".utf8) + SystemCallError.reasonBytes(f.errno))
    }
    return try fromResolved(real, radmind: radmind)
  }

  /// `get_root` for a destination that may not exist yet: the directory is resolved and the
  /// name kept (an existing destination is resolved as a whole, so a symlink is followed as
  /// radmind follows it). A missing directory fails as radmind's `open(O_CREAT)` does.
  public static func locate(destination path: [UInt8], radmindDirectory radmind: [UInt8]) throws(Failure) -> LoadsetLocation {
    if Syscall.exists(path) {
      return try locate(transcript: path, radmindDirectory: radmind)
    }
    let dir = BytePath.directory(of: path)
    let name = BytePath.lastComponent(path)
    let realDir: [UInt8]
    switch RadmindFileOps.realpath(dir) {
    case .success(let p): realDir = p
    case .failure(let f): throw Failure(message: path + Array(": ".utf8) + SystemCallError.reasonBytes(f.errno))
    }
    if name.isEmpty || !Syscall.isDirectory(realDir) {
      throw Failure(message: path + Array(": ".utf8) + SystemCallError.reasonBytes(name.isEmpty ? Errno.isDirectory : Errno.notDirectory))
    }
    return try fromResolved(BytePath.child(name, of: realDir), radmind: radmind)
  }

  static func fromResolved(_ real: [UInt8], radmind: [UInt8]) throws(Failure) -> LoadsetLocation {
    guard let dir = BytePath.parent(real) else {
      throw Failure(message: real + Array(": invalid transcript location".utf8))
    }
    let name = BytePath.lastComponent(real)
    let tmpTranscript = radmind + Array("/tmp/transcript".utf8)
    if contains(dir, tmpTranscript) {
      let rest = remainder(dir, after: tmpTranscript.count)
      return LoadsetLocation(transcriptRoot: tmpTranscript + rest, fileRoot: radmind + Array("/tmp/file".utf8) + rest, name: name)
    }
    let transcript = radmind + Array("/transcript".utf8)
    if contains(dir, transcript) {
      let rest = remainder(dir, after: transcript.count)
      return LoadsetLocation(transcriptRoot: transcript + rest, fileRoot: radmind + Array("/file".utf8) + rest, name: name)
    }
    return LoadsetLocation(transcriptRoot: dir, fileRoot: dir + Array("/../file".utf8), name: name)
  }

  /// `strstr(haystack, needle) != NULL`.
  static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
    guard needle.count <= haystack.count else { return false }
    if needle.isEmpty { return true }
    for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
      if haystack[start ..< start + needle.count].elementsEqual(needle) { return true }
    }
    return false
  }

  /// `&real_path[strlen(test_path)]`: radmind indexes from the start of the path, not from
  /// where the match was found.
  static func remainder(_ path: [UInt8], after count: Int) -> [UInt8] {
    count < path.count ? Array(path[count...]) : []
  }
}
