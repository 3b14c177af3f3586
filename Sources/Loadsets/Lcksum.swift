#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Hashing
import RadmindFormat
import TranscriptIO

/// What `lcksum` was asked to do (spec §9), already parsed from its command line.
public struct LcksumOptions {
  /// `-c`: the digest to verify with (mandatory).
  public var digest: DigestAlgorithm
  /// `-n`: verify only, write nothing.
  public var verifyOnly = false
  /// `-a` (with `-n`): report every problem and keep checking (radmind's `-a` crashes).
  public var continueAfterErrors = false
  /// `-I`: case-insensitive order check.
  public var caseInsensitive = false
  /// `-q`: no messages on standard output.
  public var quiet = false
  /// `-A`: check `a` files' AppleSingle headers.
  public var checkAppleSingle = false
  /// `-%`: progress lines on standard output.
  public var progress = false
  /// `-D`: the radmind directory (must exist).
  public var radmindDirectory = "/var/radmind"
  /// `-P`: only lines whose decoded path starts with these bytes.
  public var prefix: [UInt8]?
  /// The transcripts, in order.
  public var transcripts: [String] = []
  /// Hashing threads (0: hash on the calling thread).
  public var threads = OrderedHashPool.availableCPUs

  public init(digest: DigestAlgorithm) { self.digest = digest }
}

/// radmind's `lcksum`: verifies (`-n`) or updates the size and checksum of every `f`/`a` line of
/// each transcript against the stored files of its loadset, with radmind's messages, rewritten-line
/// layout and exit codes (0 verified/unchanged, 1 incorrect/updated, 2 error).
///
/// Stored files are hashed in parallel (``OrderedHashPool``) while lines are checked and written
/// in transcript order. An update is written to a temporary file beside the transcript, fsynced
/// and renamed over it only when complete and changed; on any error the transcript is untouched
/// and the temporary file removed.
///
/// Differences from radmind: `-n -a` works (every problem is printed and checking continues,
/// also with the next transcripts; the exit status is the one radmind would give for the first
/// problem); a stored file that changes while it is read is an error, not a checksum.
public func lcksum(_ options: LcksumOptions, output: ToolOutput) -> Int32 {
  var updated = false
  var firstProblem: Int32 = 0
  for transcript in options.transcripts {
    let run = LcksumRun(options: options, transcriptPath: transcript, output: output)
    let outcome = run.run()
    switch outcome {
    case .fatal:
      output.flush()
      return 2
    case .clean:
      break
    case .changed:
      // Update mode: "updated". Verify mode: "incorrect", which stops radmind at once.
      if options.verifyOnly {
        if !options.continueAfterErrors { output.flush(); return 1 }
        if firstProblem == 0 { firstProblem = 1 }
      } else {
        updated = true
      }
    case .problems(let first):
      // Only reachable with -n -a.
      if firstProblem == 0 { firstProblem = first }
    }
  }
  output.flush()
  if options.verifyOnly { return firstProblem }
  return updated ? 1 : 0
}

/// One transcript's check.
struct LcksumRun {
  enum Outcome: Equatable {
    case clean
    /// Lines were wrong (verify) or rewritten (update).
    case changed
    /// `-n -a`: problems were reported and checking went on; the first one's exit status.
    case problems(first: Int32)
    /// Stop everything, exit 2 (the message is already printed).
    case fatal
  }

  /// A line of the transcript on its way through the hashing pool, in order.
  enum Work {
    /// Copied unchanged (the bytes are kept only in update mode); `progressPath` with `-%`.
    case copy(line: [UInt8]?, progressPath: [UInt8]?)
    /// An `f`/`a` line whose stored file is being hashed.
    case check(FileLine)
    /// A malformed line (`message` for standard error). Fatal unless `-n -a`.
    case problem(message: [UInt8])
    /// Stops the run whatever the options (bad sort order).
    case fatal(message: [UInt8])
  }

  struct FileLine {
    var lineNumber: Int
    var line: [UInt8]
    var decodedPath: [UInt8]
    var storedFile: [UInt8]
    var isAppleSingle: Bool
  }

  let options: LcksumOptions
  let transcriptPath: String
  let output: ToolOutput
  let verbose: Bool

  init(options: LcksumOptions, transcriptPath: String, output: ToolOutput) {
    self.options = options
    self.transcriptPath = transcriptPath
    self.output = output
    verbose = !options.quiet
  }

  static let progressUnit: Int64 = 1024

  func run() -> Outcome {
    let location: LoadsetLocation
    do {
      let radmind = try LoadsetLocation.resolveRadmindDirectory(Array(options.radmindDirectory.utf8))
      location = try LoadsetLocation.locate(transcript: Array(transcriptPath.utf8), radmindDirectory: radmind)
    } catch {
      output.err(error.message + [0x0A])
      return .fatal
    }
    let fileDirectory = location.fileDirectory + [0x2F]
    var st = stat()
    if stat(transcriptPath, &st) != 0 {
      output.err("\(transcriptPath): \(String(cString: strerror(errno)))\n")
      return .fatal
    }
    if (st.st_mode & S_IFMT) != S_IFREG {
      output.err("\(transcriptPath): not a regular file\n")
      return .fatal
    }
    if access(transcriptPath, options.verifyOnly ? R_OK : R_OK | W_OK) != 0 {
      output.err("\(transcriptPath): \(String(cString: strerror(errno)))\n")
      return .fatal
    }
    let reader: LineReader
    do { reader = try LineReader(path: transcriptPath) } catch {
      output.err("\(transcriptPath): \(error.reason)\n")
      return .fatal
    }
    var temporary: AtomicFile?
    if !options.verifyOnly {
      do { temporary = try AtomicFile(path: transcriptPath, mode: st.st_mode & 0o7777) } catch {
        output.err("\(error.description)\n")
        return .fatal
      }
    }
    // Any return without commit removes the temporary file (AtomicFile's deinit aborts too).
    defer { temporary?.abort() }

    var progress: Progress?
    if options.progress {
      switch Progress.loadsetSize(path: transcriptPath, prefix: options.prefix) {
      case .success(let size): progress = Progress(total: size)
      case .failure(let failure):
        output.err(failure.message)
        return .fatal
      }
    }

    let update = !options.verifyOnly
    let keepGoing = options.verifyOnly && options.continueAfterErrors
    var order = OrderChecker(order: PathOrder(caseInsensitive: options.caseInsensitive))
    var tokens = LineTokens()
    var prefixFound = false
    var producerDone = false
    var fatal = false
    var changes = 0
    var firstProblem: Int32 = 0
    var writeFailure: SystemError?

    func problem(_ line: Int, _ text: String) -> Work {
      .problem(message: Array("line \(line): \(text)\n".utf8))
    }

    // Produces the next line's work: every check that needs no file contents happens here.
    func next() -> (path: [UInt8]?, context: Work)? {
      if producerDone { return nil }
      let raw: UnsafeRawBufferPointer
      do {
        guard let r = try reader.next() else { producerDone = true; return nil }
        raw = r
      } catch {
        producerDone = true
        return (nil, .fatal(message: Array("\(transcriptPath): \(error.reason)\n".utf8)))
      }
      let n = reader.lineNumber
      // fgets with a MAXPATHLEN buffer: the line and its LF must fit in 4095 bytes.
      if raw.count > RadmindLimits.maxLineLength || !reader.lastLineHadNewline {
        return (nil, .problem(message: Array("\(transcriptPath): \(n): line too long\n".utf8)))
      }
      let keep: [UInt8]? = update ? Array(raw) : nil
      tokens.split(raw)
      if tokens.count == 0 || raw[tokens.starts[0]] == UInt8(ascii: "#") {
        return (nil, .copy(line: keep, progressPath: nil))
      }
      if tokens.count == 1 { return (nil, problem(n, "invalid transcript line")) }
      var t = 0
      var isRemoval = false
      if raw[tokens.starts[0]] == UInt8(ascii: "-") {
        isRemoval = true
        t = 1
        if tokens.count == 2 { return (nil, problem(n, "invalid transcript line")) }
      }
      let encodedPath = tokens.token(t + 1, in: raw)
      guard let decoded = PathCodec.decode(encodedPath) else {
        return (nil, problem(n, LineError.invalidEscape.description))
      }
      if decoded.count >= RadmindLimits.maxPathLength { return (nil, problem(n, "path too long")) }
      // The kernel would read the path cut at the NUL: never check (or update) that other file.
      if decoded.contains(0) { return (nil, problem(n, "path contains a NUL byte")) }
      if let prefix = options.prefix {
        if !decoded.starts(with: prefix) { return (nil, .copy(line: keep, progressPath: nil)) }
        prefixFound = true
      }
      if !order.accept(encoded: encodedPath) {
        return (nil, .fatal(message: Array("line \(n): bad sort order\n".utf8)))
      }
      let type = raw[tokens.starts[t]]
      let isFile = type == UInt8(ascii: "f") || type == UInt8(ascii: "a")
      if !isFile || isRemoval {
        return (nil, .copy(line: keep, progressPath: progress == nil ? nil : decoded))
      }
      if tokens.count != 8 { return (nil, problem(n, "\(tokens.count) arguments should be 8")) }
      let stored = fileDirectory + decoded
      if stored.count >= RadmindLimits.maxPathLength {
        return (nil, .problem(message: Array("\(n): ".utf8) + stored + Array(": path too long\n".utf8)))
      }
      let fileLine = FileLine(lineNumber: n, line: Array(raw), decodedPath: decoded, storedFile: stored,
                              isAppleSingle: type == UInt8(ascii: "a"))
      return (stored, .check(fileLine))
    }

    // Reports a problem: fatal, or under -n -a printed and remembered.
    func report(_ message: [UInt8]) -> Bool {
      output.err(message)
      if keepGoing {
        if firstProblem == 0 { firstProblem = 2 }
        return true
      }
      fatal = true
      return false
    }

    func write(_ bytes: [UInt8]) -> Bool {
      guard let temporary else { return true }
      do { try temporary.buffer.append(bytes) } catch {
        writeFailure = error
        fatal = true
        return false
      }
      return true
    }

    var rewrite: [UInt8] = []
    rewrite.reserveCapacity(256)
    var checkTokens = LineTokens()

    // Consumes the lines in order with their digests.
    func deliver(_ work: Work, _ result: Result<FileDigest, FileHashError>?) -> Bool {
      switch work {
      case .copy(let line, let progressPath):
        if let progressPath, progress != nil {
          progress!.update(path: progressPath, output: output)
          progress!.pending += LcksumRun.progressUnit
        }
        if let line { return write(line + [0x0A]) }
        return true
      case .problem(let message):
        return report(message)
      case .fatal(let message):
        output.err(message)
        fatal = true
        return false
      case .check(let file):
        if progress != nil { progress!.update(path: file.decodedPath, output: output) }
        let digest: FileDigest
        switch result! {
        case .success(let d): digest = d
        case .failure(.system(let call, let code)) where call == "open":
          return report(Array("line \(file.lineNumber): open ".utf8) + file.decodedPath
            + Array(": \(String(cString: strerror(code)))\n".utf8))
        case .failure(let error):
          return report(Array("line \(file.lineNumber): ".utf8) + file.storedFile + Array(": \(error.reason)\n".utf8))
        }
        if progress != nil { progress!.pending += digest.bytesHashed + LcksumRun.progressUnit }
        return file.line.withUnsafeBytes { line -> Bool in
          checkTokens.split(line)
          var lineChanged = false
          let listedSize = LenientNumber.strtoll(checkTokens.token(6, in: line))
          let listedChecksum = checkTokens.token(7, in: line)
          if digest.bytesHashed != listedSize {
            if update {
              changes += 1
              if verbose { output.out(file.decodedPath + Array(": size updated\n".utf8)) }
            } else {
              if verbose { output.out(Array("line \(file.lineNumber): ".utf8) + file.decodedPath + Array(": size wrong\n".utf8)) }
              if firstProblem == 0 { firstProblem = 1 }
            }
            lineChanged = true
          }
          if !digest.checksum.elementsEqual(listedChecksum) {
            if update {
              changes += 1
              if verbose { output.out(file.decodedPath + Array(": checksum updated\n".utf8)) }
            } else {
              if verbose { output.out(Array("line \(file.lineNumber): ".utf8) + file.decodedPath + Array(": checksum wrong\n".utf8)) }
              if firstProblem == 0 { firstProblem = 1 }
            }
            lineChanged = true
          }
          if file.isAppleSingle && options.checkAppleSingle {
            if let message = appleSingleProblem(file, size: digest.size) {
              if !report(message) { return false }
            }
          }
          guard update else { return true }
          if !lineChanged { return write(file.line + [0x0A]) }
          // radmind's "%s %-37s %4s %5s %5s %9ld %7lld %s\n" over the original tokens.
          rewrite.removeAll(keepingCapacity: true)
          rewrite.append(contentsOf: checkTokens.token(0, in: line))
          rewrite.append(0x20)
          LineWriter.appendLeft(checkTokens.token(1, in: line), width: 37, to: &rewrite)
          rewrite.append(0x20)
          LineWriter.appendRight(checkTokens.token(2, in: line), width: 4, to: &rewrite)
          rewrite.append(0x20)
          LineWriter.appendRight(checkTokens.token(3, in: line), width: 5, to: &rewrite)
          rewrite.append(0x20)
          LineWriter.appendRight(checkTokens.token(4, in: line), width: 5, to: &rewrite)
          rewrite.append(0x20)
          if listedChecksum.count == 1 && listedChecksum[0] == UInt8(ascii: "-") {
            LineWriter.appendRight(checkTokens.token(5, in: line), width: 9, to: &rewrite)
          } else {
            LineWriter.appendDecimal(digest.mtime, width: 9, to: &rewrite)
          }
          rewrite.append(0x20)
          LineWriter.appendDecimal(digest.size, width: 7, to: &rewrite)
          rewrite.append(0x20)
          rewrite.append(contentsOf: digest.checksum)
          rewrite.append(0x0A)
          return write(rewrite)
        }
      }
    }

    let pool = OrderedHashPool(algorithm: options.digest, threads: options.threads)
    pool.run(next: next, deliver: deliver)

    if let writeFailure {
      output.err("\(writeFailure.description)\n")
      return .fatal
    }
    if fatal { return .fatal }
    if progress != nil { progress!.update(path: [], output: output) }
    if let prefix = options.prefix, !prefixFound, verbose {
      output.out(Array("warning: prefix \"".utf8) + prefix + Array("\" not found\n".utf8))
    }
    if update {
      if changes > 0 {
        do { try temporary!.commit() } catch {
          output.err("\(error.description)\n")
          return .fatal
        }
        if verbose { output.out(location.name + Array(": updated\n".utf8)) }
        return .changed
      }
      temporary!.abort()
      if verbose { output.out(location.name + Array(": verified\n".utf8)) }
      return .clean
    }
    if firstProblem == 0 {
      if verbose { output.out(location.name + Array(": verified\n".utf8)) }
      return .clean
    }
    if verbose { output.out(location.name + Array(": incorrect\n".utf8)) }
    return firstProblem == 1 ? .changed : .problems(first: firstProblem)
  }

  /// `-A`: the stored `a` file must be an AppleSingle stream whose entries add up to its size.
  func appleSingleProblem(_ file: FileLine, size: Int64) -> [UInt8]? {
    var cPath = file.storedFile.map { CChar(bitPattern: $0) }
    cPath.append(0)
    let fd = open(cPath, O_RDONLY | O_CLOEXEC)
    if fd < 0 {
      return Array("line \(file.lineNumber): open ".utf8) + file.decodedPath + Array(": \(String(cString: strerror(errno)))\n".utf8)
    }
    defer { close(fd) }
    var message: [UInt8] = []
    let declared: Int64
    switch AppleSingle.declaredSize(fd: fd) {
    case .success(let n): declared = n
    case .failure(.format(let e)):
      message = file.storedFile + Array(": \(e)\n".utf8)
      declared = -1
    case .failure(.read(let code)):
      message = file.storedFile + Array(": read failed: \(String(cString: strerror(code)))\n".utf8)
      declared = -1
    }
    if declared == size { return nil }
    return message + file.storedFile + Array(": corrupted applefile\n".utf8)
  }
}

/// radmind's `-%` progress for lcksum: the percentage of the loadset's size checked so far.
struct Progress {
  let total: Int64
  var done: Int64 = 0
  /// Bytes of the previous line, added when the next line starts (as radmind does).
  var pending: Int64 = 0
  var lines = PercentLines()

  init(total: Int64) { self.total = total }

  mutating func update(path: [UInt8], output: ToolOutput) {
    done += pending
    pending = 0
    // Never falls (done only grows), so "changed" is radmind's "grew".
    let percent = total > 0 ? Int(Float(done) / Float(total) * 100) : 100
    if let line = lines.line(percent, path: path) { output.out(line) }
  }

  /// radmind's `lcksum_loadsetsize`: the listed sizes of f/a lines plus 1024 per line.
  static func loadsetSize(path: String, prefix: [UInt8]?) -> Result<Int64, ProgressFailure> {
    let reader: LineReader
    do { reader = try LineReader(path: path) } catch { return .failure(ProgressFailure("\(path): \(error.reason)\n")) }
    var tokens = LineTokens()
    var size: Int64 = 0
    do {
      while let line = try reader.next() {
        tokens.split(line)
        if tokens.count <= 1 { continue }
        if let prefix {
          guard let decoded = PathCodec.decode(tokens.token(1, in: line)), decoded.starts(with: prefix) else { continue }
        }
        let type = line[tokens.starts[0]]
        if type == UInt8(ascii: "f") || type == UInt8(ascii: "a") {
          if tokens.count < 8 {
            return .failure(ProgressFailure(Array(line) + Array(": line \(reader.lineNumber): invalid transcript line\n".utf8)))
          }
          size += LenientNumber.strtoll(tokens.token(6, in: line))
        }
        size += LcksumRun.progressUnit
      }
    } catch {
      return .failure(ProgressFailure("\(path): \(error.reason)\n"))
    }
    return .success(size)
  }
}

struct ProgressFailure: Error {
  var message: [UInt8]
  init(_ text: String) { message = Array(text.utf8) }
  init(_ bytes: [UInt8]) { message = bytes }
}
