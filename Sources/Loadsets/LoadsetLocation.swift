#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Where a transcript's stored files live on a radmind server (spec §8.1), as lcksum and lmerge
/// find it: after `realpath` of the transcript and of the radmind directory,
///
/// * a transcript under `<radmind>/tmp/transcript[/sub]` has its files in `<radmind>/tmp/file[/sub]`;
/// * one under `<radmind>/transcript[/sub]` in `<radmind>/file[/sub]`;
/// * any other in `<its directory>/../file`.
///
/// The files of line path P are then in `<fileRoot>/<name>/P` (so `file/T//etc/passwd` for an
/// absolute P). `name` is the last component of the *resolved* path: a symlinked transcript
/// uses its target's file directory.
public struct LoadsetLocation: Sendable, Equatable {
  /// The directory holding `<name>/...`, as radmind builds it (may contain `/../`).
  public var fileRoot: String
  /// The transcript's file name after resolving symlinks.
  public var name: String

  public init(fileRoot: String, name: String) {
    self.fileRoot = fileRoot
    self.name = name
  }

  /// Why a location could not be found; `description` is radmind's message.
  public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
  }

  /// Locates `transcriptPath` (relative to the working directory) against `radmindDirectory`,
  /// which must exist.
  public static func locate(transcript transcriptPath: String, radmindDirectory: String) -> Result<LoadsetLocation, Failure> {
    guard let radmind = realPath(radmindDirectory) else {
      return .failure(Failure(description: "\(radmindDirectory): \(String(cString: strerror(errno)))"))
    }
    var absolute = transcriptPath
    if !transcriptPath.hasPrefix("/") {
      var cwd = [CChar](repeating: 0, count: 4097)
      guard getcwd(&cwd, cwd.count) != nil else {
        return .failure(Failure(description: "getcwd: \(String(cString: strerror(errno)))"))
      }
      let cwdBytes = cwd.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }
      absolute = String(decoding: cwdBytes, as: UTF8.self) + "/" + transcriptPath
    }
    guard let real = realPath(absolute) else {
      return .failure(Failure(description: "\(absolute): \(String(cString: strerror(errno)))"))
    }
    let bytes = Array(real.utf8)
    guard let slash = bytes.lastIndex(of: 0x2F), slash > 0 else {
      return .failure(Failure(description: "\(real): invalid transcript location"))
    }
    let directory = Array(bytes[..<slash])
    let name = String(decoding: bytes[(slash + 1)...], as: UTF8.self)
    // radmind tests with strstr (anywhere in the path) and then takes the rest after as many
    // bytes as the test path has; for any path actually inside the repository the two agree.
    for (transcripts, files) in [("/tmp/transcript", "/tmp/file"), ("/transcript", "/file")] {
      let test = Array((radmind + transcripts).utf8)
      if contains(directory, test) {
        let rest = directory.count > test.count ? String(decoding: directory[test.count...], as: UTF8.self) : ""
        return .success(LoadsetLocation(fileRoot: radmind + files + rest, name: name))
      }
    }
    return .success(LoadsetLocation(fileRoot: String(decoding: directory, as: UTF8.self) + "/../file", name: name))
  }

  /// `<fileRoot>/<name>/` followed by `decodedPath`.
  public func storedFile(_ decodedPath: [UInt8]) -> [UInt8] {
    var out = Array(fileRoot.utf8)
    out.append(0x2F)
    out.append(contentsOf: name.utf8)
    out.append(0x2F)
    out.append(contentsOf: decodedPath)
    return out
  }

  static func realPath(_ path: String) -> String? {
    guard let p = realpath(path, nil) else { return nil }
    defer { free(p) }
    return String(cString: p)
  }

  static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
    guard needle.count <= haystack.count else { return false }
    if needle.isEmpty { return true }
    for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
      if haystack[start..<(start + needle.count)].elementsEqual(needle) { return true }
    }
    return false
  }
}
