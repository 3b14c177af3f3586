import Capture
import RadmindFormat
import TranscriptIO

/// radmind's `twhich` (spec §10.2): which transcripts of a command file list a path, in
/// precedence order, printed as fsdiff `-A` would print the line.
///
/// Reproduced exactly: the query decides the relative/absolute form (transcript paths, excludes
/// and specials are converted to it); excludes are a queue consumed across the searches of `-r`
/// (so they are really tested only until one matches, or on the first search); the `name:`
/// header is printed only when the transcript differs from the last one printed, except for a
/// `-` line, whose header is always printed and does not count as printed.
public struct TwhichOptions: Sendable {
  public var all = false            // -a
  public var caseInsensitive = false // -I
  public var recursive = false      // -r
  /// `-s`: the radmind directory whose command/ and transcript/ hold the files.
  public var serverDirectory: [UInt8]?
  public var commandFile: [UInt8] = Array("/var/radmind/client/command.K".utf8)
  public var path: [UInt8] = []
  public init() {}
}

public enum Twhich {
  /// Runs twhich, writing to `out`; returns 0 (found) or 1 (not found or excluded), or throws a
  /// fatal error (exit 2) worded as radmind words it.
  public static func run(_ o: TwhichOptions, out: OutputBuffer) throws(CaptureError) -> Int32 {
    var pattern = o.path
    if pattern.count > 1 && pattern.last == 0x2F { pattern.removeLast() }
    let form: PathForm?
    if pattern.first == UInt8(ascii: ".") {
      form = (pattern.count == 1 || pattern[1] == 0x2F) ? .relative : nil
    } else {
      form = .absolute
    }
    let order = PathOrder(caseInsensitive: o.caseInsensitive)
    var loader = CommandFileLoader(form: form, order: order, checksumming: false)
    loader.serverDirectory = o.serverDirectory
    let loaded = try loader.load(path: o.commandFile)
    if loaded.transcripts.isEmpty {
      throw CaptureError("-A option requires a non-NULL transcript")
    }
    var state = State(transcripts: loaded.transcripts, excludes: loaded.excludes[...], order: order,
                      all: o.all, caseInsensitive: o.caseInsensitive, out: out)
    if o.recursive {
      var i = 0
      while i < pattern.count && pattern[i] == 0x2F { i += 1 }
      while let slash = pattern[i...].firstIndex(of: 0x2F) {
        let prefix = Array(pattern[..<slash])
        if try !state.search(prefix) {
          out.bytes += Array("# ".utf8) + prefix + Array(": not found\n".utf8)
        }
        i = slash + 1
      }
    }
    return try state.search(pattern) ? 0 : 1
  }

  struct State {
    let transcripts: [TranscriptSource]
    var excludes: ArraySlice<[UInt8]>
    let order: PathOrder
    let all: Bool
    let caseInsensitive: Bool
    let out: OutputBuffer
    var lastPrinted: ObjectIdentifier?

    mutating func search(_ pattern: [UInt8]) throws(CaptureError) -> Bool {
      while let p = excludes.popFirst() {
        if Wildcard.matches(p, pattern, caseInsensitive: caseInsensitive) {
          out.bytes += Array("# Exclude\n# exclude pattern: ".utf8) + p + [0x0A]
          if !all { return false }
        }
      }
      var matched = false
      for tran in transcripts {
        if tran.isAtEnd { continue }
        var cmp = order.compare(tran.current.path, pattern)
        while cmp < 0 {
          try tran.advance()
          if tran.isAtEnd { break }
          cmp = order.compare(tran.current.path, pattern)
        }
        if tran.isAtEnd || cmp > 0 { continue }
        matched = true
        switch tran.kind {
        case .positive: out.bytes += Array("# Positive\n".utf8)
        case .negative: out.bytes += Array("# Negative\n".utf8)
        case .special: out.bytes += Array("# Special\n".utf8)
        }
        out.bytes += Array("# ".utf8) + tran.listedBy + Array(":\n".utf8)
        if tran.isMask {
          out.bytes += tran.shortName + Array(":\n".utf8)
          LineWriter.append(tran.current, prefix: .minus, to: &out.bytes)
        } else {
          if lastPrinted != ObjectIdentifier(tran) {
            out.bytes += tran.shortName + Array(":\n".utf8)
            lastPrinted = ObjectIdentifier(tran)
          }
          LineWriter.append(tran.current, prefix: tran.current.kind.hasContent ? .plus : Entry.Prefix.none, to: &out.bytes)
        }
        if !all { return true }
      }
      return matched
    }
  }
}
