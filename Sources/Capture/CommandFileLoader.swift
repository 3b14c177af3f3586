import SystemCalls
import RadmindFormat
import TranscriptIO

/// What a command file amounts to once its includes and `-` lines are applied (spec §5.2).
public struct LoadedCommandFile {
  /// Transcripts in precedence order, **highest first** (special.T, when present, comes first).
  public var transcripts: [TranscriptSource] = []
  /// Declared special paths, converted to the run's form, not decoded (spec §5.3).
  public var specials: [[UInt8]] = []
  /// Exclude patterns, decoded then converted (spec §5.4).
  public var excludes: [[UInt8]] = []

  public init() {}
}

/// Reads a command file the way fsdiff does on the client (spec §5.2–5.6):
///
/// * kdir is the directory part of the top-level path (`./` without a `/`); every `k`, `p`, `n`
///   argument is opened as kdir + argument, also inside included files;
/// * `k` includes are read depth-first at their line; a composed path read twice is the fatal
///   `command file loop`;
/// * `p`/`n` transcripts are opened (and their first line parsed) when their line is read;
/// * `- p`, `- n`, `- s`, `- x` remove earlier entries with an identical argument;
/// * if specials remain, kdir + `special.T` becomes the highest-precedence transcript.
///
/// Errors are radmind's messages (`command file K: line N: ...`, `<path>: No such file or directory`).
/// With `report` set, a problem is handed to it and loading goes on (``CommandFileChecker``);
/// otherwise the first problem is thrown.
public struct CommandFileLoader {
  public var form: PathForm?
  public var order: PathOrder
  public var checksumming: Bool
  /// Open `p`/`n`/special transcripts (false for `fsdiff -1 -`, which uses only excludes, and for checking).
  public var openTranscripts: Bool
  public var report: ((CaptureError) -> Void)?
  /// Server mode (`twhich -s`): `k` names are read from `<dir>/command/`, `p` and `n` names from
  /// `<dir>/transcript/`, and special.T is never opened (spec §10.2). nil: client mode (kdir).
  public var serverDirectory: [UInt8]?

  public init(form: PathForm?, order: PathOrder, checksumming: Bool, openTranscripts: Bool = true) {
    self.form = form
    self.order = order
    self.checksumming = checksumming
    self.openTranscripts = openTranscripts
  }

  struct Listed {
    var kind: TranscriptSource.Kind
    var name: [UInt8]
    var source: TranscriptSource?
  }

  /// The directory part of `kfile` including its `/`, or `./`.
  public static func kdir(of kfile: [UInt8]) -> [UInt8] {
    guard let slash = kfile.lastIndex(of: 0x2F) else { return Array("./".utf8) }
    return Array(kfile[...slash])
  }

  public func load(path kfile: [UInt8]) throws(CaptureError) -> LoadedCommandFile {
    let kdir = CommandFileLoader.kdir(of: kfile)
    var included: Set<[UInt8]> = [kfile]
    var listed: [Listed] = []
    var result = LoadedCommandFile()
    try read(kfile, kdir: kdir, included: &included, listed: &listed, result: &result)
    if !result.specials.isEmpty && serverDirectory == nil {
      let name = Array("special.T".utf8)
      let full = kdir + name
      if openTranscripts {
        do {
          let source = try open(.special, name, full)
          source.listedBy = Array("special".utf8)
          listed.append(Listed(kind: .special, name: name, source: source))
        } catch { try problem(error) }
      } else if report != nil, let denied = Syscall.accessProblem(full, read: true) {
        try problem(CaptureError.system(full, errno: denied.errno))
      }
    }
    result.transcripts = listed.reversed().compactMap { $0.source }
    return result
  }

  func problem(_ error: CaptureError) throws(CaptureError) {
    if let report { report(error) } else { throw error }
  }

  func open(_ kind: TranscriptSource.Kind, _ name: [UInt8], _ full: [UInt8]) throws(CaptureError) -> TranscriptSource {
    try TranscriptSource(kind: kind, shortName: name, fullName: full, form: form, order: order,
                         checksumming: checksumming)
  }

  func read(_ kfile: [UInt8], kdir: [UInt8], included: inout Set<[UInt8]>, listed: inout [Listed],
            result: inout LoadedCommandFile) throws(CaptureError) {
    let fd: Int32
    do { fd = try Syscall.open(kfile, [.readOnly]) } catch {
      try problem(CaptureError.system(kfile, errno: error.errno))
      return
    }
    let reader = LineReader(fd: fd, name: String(decoding: kfile, as: UTF8.self), bufferSize: 1 << 14,
                            ownsDescriptor: true)
    var parser = CommandFileLineParser()
    while true {
      let next: UnsafeRawBufferPointer?
      do { next = try reader.next() } catch {
        try problem(CaptureError.system(kfile, errno: error.errno))
        return
      }
      guard let line = next else { return }
      let n = reader.lineNumber
      if !reader.lastLineHadNewline {
        try problem(CaptureError(lineLocation(kfile, n) + CommandFileLineError.lineTooLong.messageBytes))
        if report == nil { return }
        continue
      }
      let parsed: CommandFileLine?
      do { parsed = try parser.parse(line) } catch {
        try problem(CaptureError(lineLocation(kfile, n) + error.messageBytes))
        continue
      }
      guard let entry = parsed else { continue }
      switch entry.kind {
      case .include:
        try include(entry.argument, from: kfile, line: n, kdir: kdir, included: &included, listed: &listed, result: &result)
      case .positive, .negative:
        try list(entry, from: kfile, kdir: kdir, listed: &listed)
      case .special:
        addSpecial(entry, to: &result)
      case .exclude:
        try addExclude(entry, from: kfile, line: n, to: &result)
      }
    }
  }

  /// `command file KFILE: line N: `, the start of a message about that line.
  private func lineLocation(_ kfile: [UInt8], _ n: Int) -> [UInt8] {
    Array("command file ".utf8) + kfile + Array(": line \(n): ".utf8)
  }

  /// A `k` line: reads the included command file in place, refusing a loop.
  private func include(_ arg: [UInt8], from kfile: [UInt8], line n: Int, kdir: [UInt8], included: inout Set<[UInt8]>,
                       listed: inout [Listed], result: inout LoadedCommandFile) throws(CaptureError) {
    let full = serverDirectory.map { $0 + Array("/command/".utf8) + arg } ?? kdir + arg
    if included.contains(full) {
      try problem(CaptureError(lineLocation(kfile, n) + Array("command file loop: ".utf8) + arg + Array(" already included".utf8)))
      return
    }
    included.insert(full)
    try read(full, kdir: kdir, included: &included, listed: &listed, result: &result)
  }

  /// A `p` or `n` line: lists the transcript (opened, or only checked for access), or with `-`
  /// removes it from the list.
  private func list(_ entry: CommandFileLine, from kfile: [UInt8], kdir: [UInt8], listed: inout [Listed]) throws(CaptureError) {
    let arg = entry.argument
    let kind: TranscriptSource.Kind = entry.kind == .positive ? .positive : .negative
    if entry.isRemoval {
      listed.removeAll { $0.kind == kind && $0.name == arg }
      return
    }
    let full = serverDirectory.map { $0 + Array("/transcript/".utf8) + arg } ?? kdir + arg
    if openTranscripts {
      do {
        let source = try open(kind, arg, full)
        source.listedBy = kfile
        listed.append(Listed(kind: kind, name: arg, source: source))
      } catch {
        try problem(error)
      }
    } else {
      if report != nil, let denied = Syscall.accessProblem(full, read: true) {
        try problem(CaptureError.system(full, errno: denied.errno))
      }
      listed.append(Listed(kind: kind, name: arg, source: nil))
    }
  }

  /// An `s` line: adds (or with `-` removes) a special file.
  private func addSpecial(_ entry: CommandFileLine, to result: inout LoadedCommandFile) {
    let path = form?.convert(entry.argument) ?? entry.argument
    if entry.isRemoval {
      result.specials.removeAll { $0 == path }
    } else if !result.specials.contains(path) {
      result.specials.append(path)
    }
  }

  /// An `x` line: adds (or with `-` removes) an exclude pattern.
  private func addExclude(_ entry: CommandFileLine, from kfile: [UInt8], line n: Int,
                          to result: inout LoadedCommandFile) throws(CaptureError) {
    let arg = entry.argument
    guard let decoded = arg.withUnsafeBytes({ PathCodec.decode($0) }) else {
      // radmind would exclude with a corrupted pattern; an invalid escape never matches here.
      if report != nil {
        try problem(CaptureError(lineLocation(kfile, n) + Array("invalid escape in pattern ".utf8) + arg))
      }
      return
    }
    let pattern = form?.convert(decoded) ?? decoded
    if entry.isRemoval {
      result.excludes.removeAll { $0 == pattern }
    } else if !result.excludes.contains(pattern) {
      result.excludes.append(pattern)
    }
  }
}

/// Validates a command file and everything it includes, reporting **every** problem (radmind stops
/// at the first): syntax errors, include loops, missing included files, transcripts and special.T.
/// Transcripts are only checked for existence here (`loadsmith check` checks their contents).
public enum CommandFileValidation {
  public static func check(path: String, report: (String) -> Void) -> Int {
    var problems: [CaptureError] = []
    var loader = CommandFileLoader(form: nil, order: PathOrder(), checksumming: false, openTranscripts: false)
    loader.report = { problems.append($0) }
    _ = try? loader.load(path: Array(path.utf8))
    for p in problems { report(p.description) }
    return problems.count
  }
}
