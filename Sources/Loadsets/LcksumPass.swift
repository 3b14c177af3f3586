import SystemCalls
import Hashing
import RadmindFormat
import TranscriptIO

/// One transcript's check in steps (``LcksumRun/run()``): ``open(_:)`` checks the transcript and
/// opens what the pass reads and writes, ``next()`` turns each line into work for the hashing
/// pool, ``deliver(_:_:)`` consumes the results in order, ``finish()`` reports and commits.
final class LcksumPass {
  typealias Work = LcksumRun.Work
  typealias FileLine = LcksumRun.FileLine

  let run: LcksumRun
  let location: LoadsetLocation
  /// The loadset's file directory, with its trailing `/`.
  let fileDirectory: [UInt8]
  let reader: LineReader
  /// The rewritten transcript (update mode only).
  let temporary: AtomicFile?
  var progress: Progress?
  let update: Bool
  let keepGoing: Bool

  var order: OrderChecker
  var tokens = LineTokens()
  var checkTokens = LineTokens()
  var rewrite: [UInt8] = []
  var prefixFound = false
  var producerDone = false
  var fatal = false
  var changes = 0
  var firstProblem: Int32 = 0
  var writeFailure: SystemCallError?

  var options: LcksumOptions { run.options }
  var output: ToolOutput { run.output }
  var transcriptPath: String { run.transcriptPath }
  var verbose: Bool { run.verbose }

  private init(run: LcksumRun, location: LoadsetLocation, reader: LineReader, temporary: AtomicFile?,
               progress: Progress?) {
    self.run = run
    self.location = location
    fileDirectory = location.fileDirectory + [0x2F]
    self.reader = reader
    self.temporary = temporary
    self.progress = progress
    update = !run.options.verifyOnly
    keepGoing = run.options.verifyOnly && run.options.continueAfterErrors
    order = OrderChecker(order: PathOrder(caseInsensitive: run.options.caseInsensitive))
    rewrite.reserveCapacity(256)
  }

  /// Locates the loadset and opens the transcript (and, to update it, its temporary file).
  /// nil: a fatal problem, already printed.
  static func open(_ run: LcksumRun) -> LcksumPass? {
    let options = run.options
    let output = run.output
    let transcriptPath = run.transcriptPath
    let location: LoadsetLocation
    do {
      let radmind = try LoadsetLocation.resolveRadmindDirectory(Array(options.radmindDirectory.utf8))
      location = try LoadsetLocation.locate(transcript: Array(transcriptPath.utf8), radmindDirectory: radmind)
    } catch {
      output.err(error.message + [0x0A])
      return nil
    }
    let st: FileStatus
    do { st = try Syscall.stat(transcriptPath) } catch {
      output.err("\(transcriptPath): \(error.reason)\n")
      return nil
    }
    if st.fileType != .regular {
      output.err("\(transcriptPath): not a regular file\n")
      return nil
    }
    do { try Syscall.checkAccess(Array(transcriptPath.utf8), read: true, write: !options.verifyOnly) } catch {
      output.err("\(transcriptPath): \(error.reason)\n")
      return nil
    }
    let reader: LineReader
    do { reader = try LineReader(path: transcriptPath) } catch {
      output.err("\(transcriptPath): \(error.reason)\n")
      return nil
    }
    var temporary: AtomicFile?
    if !options.verifyOnly {
      do { temporary = try AtomicFile(path: transcriptPath, mode: st.permissions) } catch {
        output.err("\(error.description)\n")
        return nil
      }
    }
    var progress: Progress?
    if options.progress {
      switch Progress.loadsetSize(path: transcriptPath, prefix: options.prefix) {
      case .success(let size): progress = Progress(total: size)
      case .failure(let failure):
        temporary?.abort()
        output.err(failure.message)
        return nil
      }
    }
    return LcksumPass(run: run, location: location, reader: reader, temporary: temporary, progress: progress)
  }

  func problem(_ line: Int, _ text: String) -> Work {
    .problem(message: Array("line \(line): \(text)\n".utf8))
  }

  /// Produces the next line's work: every check that needs no file contents happens here.
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

  /// Reports a problem: fatal, or under -n -a printed and remembered.
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

  /// Consumes the lines in order with their digests; false stops the pool.
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
          + Array(": \(SystemCallError.reason(code))\n".utf8))
      case .failure(let error):
        return report(Array("line \(file.lineNumber): ".utf8) + file.storedFile + Array(": \(error.reason)\n".utf8))
      }
      if progress != nil { progress!.pending += digest.bytesHashed + LcksumRun.progressUnit }
      return check(file, digest)
    }
  }

  /// Compares a file line with its stored file's digest; in update mode writes the line, rewritten
  /// if it changed.
  func check(_ file: FileLine, _ digest: FileDigest) -> Bool {
    file.line.withUnsafeBytes { line -> Bool in
      checkTokens.split(line)
      var lineChanged = false
      let listedSize = LenientNumber.strtoll(checkTokens.token(6, in: line))
      let listedChecksum = checkTokens.token(7, in: line)
      if digest.bytesHashed != listedSize {
        noteChange(file, update: ": size updated\n", verify: ": size wrong\n")
        lineChanged = true
      }
      if !digest.checksum.elementsEqual(listedChecksum) {
        noteChange(file, update: ": checksum updated\n", verify: ": checksum wrong\n")
        lineChanged = true
      }
      if file.isAppleSingle && options.checkAppleSingle {
        if let message = run.appleSingleProblem(file, size: digest.size) {
          if !report(message) { return false }
        }
      }
      guard update else { return true }
      if !lineChanged { return write(file.line + [0x0A]) }
      rewriteLine(line, listedChecksum: listedChecksum, digest: digest)
      return write(rewrite)
    }
  }

  /// A wrong size or checksum: counted as a change (update) or a problem (verify), with its message.
  func noteChange(_ file: FileLine, update updateMessage: String, verify verifyMessage: String) {
    if update {
      changes += 1
      if verbose { output.out(file.decodedPath + Array(updateMessage.utf8)) }
    } else {
      if verbose { output.out(Array("line \(file.lineNumber): ".utf8) + file.decodedPath + Array(verifyMessage.utf8)) }
      if firstProblem == 0 { firstProblem = 1 }
    }
  }

  /// radmind's "%s %-37s %4s %5s %5s %9ld %7lld %s\n" over the original tokens, into ``rewrite``.
  func rewriteLine(_ line: UnsafeRawBufferPointer, listedChecksum: UnsafeRawBufferPointer, digest: FileDigest) {
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
  }

  /// After the last line: reports, and commits an update that changed something.
  func finish() -> LcksumRun.Outcome {
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
}
