import SystemCalls
import RadmindFormat
import TranscriptIO

/// One transcript listed by a command file, read lazily: ``current`` is the line the comparison
/// is looking at, ``advance()`` parses the next one (spec §1.4: an error late in a transcript is
/// reported after earlier output was written).
///
/// Paths and `h` targets are converted to the run's ``PathForm`` as they are read, and order is
/// checked on the converted, decoded paths. Errors are radmind's: `<name>: line N: <message>`.
public final class TranscriptSource {
  public enum Kind: Sendable { case positive, negative, special }

  public let kind: Kind
  /// The name as written in the command file (`base.T`), printed in `name:` headers.
  public let shortName: [UInt8]
  /// kdir + name, as opened; names the transcript in error messages.
  public let fullName: [UInt8]
  public private(set) var isAtEnd = false
  /// The current line (valid while not at end). Its checksum may be filled in by fsdiff.
  public var current = Entry(kind: .file, path: [])
  /// The current line began with `-` (a mask, spec §1.6).
  public private(set) var isMask = false
  /// The command file whose line listed this transcript, as twhich prints it (`# command.K:`):
  /// the top-level path as given, kdir + name for included files, `special` for special.T.
  public var listedBy: [UInt8] = []

  let reader: LineReader
  let form: PathForm?
  let order: PathOrder
  let requireChecksums: Bool
  var parser = TranscriptLineParser()
  var tokens = LineTokens()
  var previous: [UInt8] = []

  /// Opens `fullName` (fatal `<fullName>: <strerror>` if it cannot be opened) and reads its first line.
  public init(kind: Kind, shortName: [UInt8], fullName: [UInt8], form: PathForm?, order: PathOrder,
              checksumming: Bool) throws(CaptureError) {
    self.kind = kind
    self.shortName = shortName
    self.fullName = fullName
    self.form = form
    self.order = order
    self.requireChecksums = checksumming && kind != .negative
    let fd = try sys(fullName) { () throws(SystemCallError) in try Syscall.open(fullName, [.readOnly]) }
    reader = LineReader(fd: fd, name: String(decoding: fullName, as: UTF8.self), bufferSize: 1 << 16,
                        ownsDescriptor: true)
    try advance()
  }

  func fail(_ error: LineError) -> CaptureError {
    CaptureError(fullName + Array(": line \(reader.lineNumber): ".utf8) + error.messageBytes)
  }

  /// Reads the next non-blank, non-comment line into ``current`` (or sets ``isAtEnd``).
  public func advance() throws(CaptureError) {
    while true {
      let next: UnsafeRawBufferPointer?
      do { next = try reader.next() } catch {
        throw CaptureError.system(fullName, errno: error.errno)
      }
      guard let line = next else {
        isAtEnd = true
        return
      }
      if line.count > RadmindLimits.maxLineLength || !reader.lastLineHadNewline { throw fail(.lineTooLong) }
      if isCommentOrBlank(line) { continue }
      try parse(line)
      return
    }
  }

  private func parse(_ line: UnsafeRawBufferPointer) throws(CaptureError) {
    // radmind's order of checks: argument count, type length, then the path and its order,
    // and only then the type letter and the per-type argument count.
    tokens.split(line)
    if tokens.count < 3 { throw fail(.minimumArguments(got: tokens.count)) }
    if tokens.length(0) != 1 { throw fail(.tooLongToBeAType(token: Array(tokens.token(0, in: line)))) }
    var t = 0
    let first = line[tokens.starts[0]]
    if first == UInt8(ascii: "-") || first == UInt8(ascii: "+") { t = 1 }
    if tokens.count - t >= 2 {
      guard let decoded = PathCodec.decode(tokens.token(t + 1, in: line)) else { throw fail(.invalidEscape) }
      if decoded.count >= RadmindLimits.maxPathLength { throw fail(.pathTooLong) }
      let path = form?.convert(decoded) ?? decoded
      if order.compare(path, previous) <= 0 { throw fail(.badSortOrder) }
    }
    var entry: Entry
    do { entry = try parser.parse(line) } catch { throw fail(error) }
    if let form {
      entry.path = form.convert(entry.path)
      if entry.kind == .hardLink { entry.target = form.convert(entry.target) }
    }
    if requireChecksums && entry.kind.hasContent && !entry.hasChecksum { throw fail(.noChecksums) }
    isMask = entry.prefix == .minus
    previous = entry.path
    current = entry
  }
}
