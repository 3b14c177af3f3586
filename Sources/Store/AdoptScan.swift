import SystemCalls
import Hashing
import RadmindFormat
import TranscriptIO

/// What `adopt` learns about one loadset made outside Loadsmith, read from its transcript (one
/// streaming pass; syntax, store-path rule and radmind order checked as `verify` does) and from
/// an `lstat` of each stored file.
struct AdoptScan {
  var entries = 0
  var files = 0
  var bytes: Int64 = 0
  /// The digest recognised from the checksums' length; `none` when no line has one.
  var digest = "none"
  /// Paths of the first line (the node, for a node loadset or snapshot); relative or absolute.
  var firstPath: [UInt8]?
  var relative = false
  /// Stored files found zero-length while the transcript lists a size (how `lcreate -N` stores
  /// negative loadsets).
  var emptyStoredFiles = 0
  var sizedEntries = 0
  /// Stored files that do not match (reported; the loadset is adopted anyway, never repaired).
  var problems: [String] = []
  /// Checksums that name no digest, or several.
  var digestProblems: [String] = []
  /// The base64 digest of the whole transcript file with the `checksum` algorithm given, taken
  /// from the lines as they are read (no second read of the file); nil without one.
  var transcriptChecksum: String?
  /// The transcript's modification time (ISO-8601 UTC), from the open file.
  var modified: String?

  /// base64 checksum length → radmind digest name. sha1 and ripemd160 share 28 characters (and
  /// md5 and md2 24): the common one is assumed, and `verify --digest` is not needed because a
  /// wrong guess shows as checksum mismatches.
  static let digestByLength: [Int: String] = [24: "md5", 28: "sha1", 44: "sha256", 64: "sha384", 88: "sha512"]

  /// Reads `transcriptPath` (a regular file, opened without following a symlink). A transcript
  /// that cannot be read as radmind's (syntax, order, unsafe path) is refused: throws naming the
  /// line. With `statFiles`, each stored file under `fileRoot` is `lstat`ed.
  /// With `checksum`, the transcript's own digest is taken on the way (``transcriptChecksum``).
  init(name: String, transcriptPath: String, fileRoot: String, statFiles: Bool, checksum: DigestAlgorithm? = nil,
       eachFile: ((Entry) -> Void)? = nil) throws(StoreError) {
    let reader: LineReader
    do { reader = try LineReader(regularFile: transcriptPath, bufferSize: 1 << 16) } catch { throw .system(error) }
    if let st = try? Syscall.fstat(reader.fd, path: transcriptPath) {
      modified = CivilTime.utc(st.st_mtim.tv_sec).iso8601(milliseconds: st.st_mtim.tv_nsec / 1_000_000)
    }
    var check = PublishedLineCheck(name: name)
    var stored = statFiles ? StoredFileStatter(root: fileRoot) : nil
    defer { stored?.release() }
    let hasFileRoot = stored?.isOpen ?? (Syscall.lstatIfPresent(fileRoot).map { FileType(mode: $0.st_mode) } == .directory)
    var checksumLengths: Set<Int> = []
    var lineDigest = checksum.map { LineDigest($0) }
    var digestIncomplete = false
    defer { lineDigest?.release() }
    try StoreError.mappingScan(of: name) {
      while let line = try reader.next() {
        // A cut line's skipped tail is not seen: the caller reads the file again for its digest.
        if reader.lastLineWasCut { digestIncomplete = true } else { lineDigest?.add(line, newline: reader.lastLineHadNewline) }
        if isCommentOrBlank(line) { continue }
        if !reader.lastLineHadNewline || reader.lastLineWasCut {
          throw StoreError(.store, "\(name): line \(reader.lineNumber): \(reader.lastLineWasCut ? "line too long" : "no newline at the end of the last line")")
        }
        let entry = try check.entry(line, number: reader.lineNumber)
        entries += 1
        if firstPath == nil {
          firstPath = entry.path
          relative = entry.path.first == UInt8(ascii: ".")
        }
        guard entry.kind.hasContent, entry.prefix != .minus else { continue }
        files += 1
        bytes += entry.size
        if entry.hasChecksum { checksumLengths.insert(entry.checksum.count) }
        if entry.size > 0 { sizedEntries += 1 }
        eachFile?(entry)
        if stored?.isOpen == true { statStoredFile(&stored!, entry, name: name) }
      }
    }
    transcriptChecksum = digestIncomplete ? nil : lineDigest?.finish()
    if files > 0 && !hasFileRoot {
      problems.append("\(name): file directory file/\(name) is missing (\(files) files listed)")
    }
    if checksumLengths.count > 1 {
      digestProblems.append("\(name): checksums of several lengths (\(checksumLengths.sorted().map(String.init).joined(separator: ", ")) characters): more than one digest")
    }
    if let length = checksumLengths.max() {
      if let known = AdoptScan.digestByLength[length] { digest = known } else {
        digest = "unknown"
        digestProblems.append("\(name): checksums of \(length) characters: digest not recognised")
      }
    }
  }

  mutating func statStoredFile(_ stored: inout StoredFileStatter, _ entry: Entry, name: String) {
    let found = stored.lstat(entry.path)
    let st = found ?? FileStatus()
    let shown = String(decoding: entry.path, as: UTF8.self)
    if found == nil {
      problems.append("\(name): \(shown): stored file missing")
    } else if FileType(mode: st.st_mode) != .regular {
      problems.append("\(name): \(shown): stored file \(RegularFile.notRegular(st.st_mode))")
    } else if st.st_size != entry.size {
      if st.st_size == 0 { emptyStoredFiles += 1 } else {
        problems.append("\(name): \(shown): size wrong (transcript \(entry.size), stored \(st.st_size))")
      }
    }
  }

  /// True when every stored file with a listed size is zero-length: a negative loadset as
  /// `lcreate -N` leaves it.
  var looksNegative: Bool { sizedEntries > 0 && emptyStoredFiles == sizedEntries }

  /// The size problems that are not problems for a negative loadset.
  var emptyFileProblems: [String] {
    emptyStoredFiles > 0 && !looksNegative ? ["\(emptyStoredFiles) stored files are empty although the transcript lists a size"] : []
  }
}

extension AdoptScan {
  /// The base64 digest of the whole transcript file, read again in 64 KiB blocks.
  static func transcriptChecksum(_ path: String, algorithm: DigestAlgorithm) throws(StoreError) -> String {
    let fd: Int32
    do { fd = try RegularFile.openForReading(path) } catch { throw .system(error) }
    defer { Syscall.closeQuietly(fd) }
    let digester = algorithm.makeDigester()
    digester.reset()
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
    defer { buffer.deallocate() }
    while true {
      let n: Int
      do { n = try Syscall.read(fd, into: buffer, path: path) } catch { throw .system(error) }
      if n == 0 { break }
      digester.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
    }
    return String(decoding: digester.finalizeBase64(), as: UTF8.self)
  }

}

/// A digest of a file's bytes fed line by line (each line and its LF, as read), in 64 KiB blocks
/// so that short lines cost a copy, not a digest update each.
struct LineDigest {
  private let digester: Digester
  private let block = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
  private var used = 0

  init(_ algorithm: DigestAlgorithm) {
    digester = algorithm.makeDigester()
    digester.reset()
  }

  mutating func add(_ line: UnsafeRawBufferPointer, newline: Bool) {
    let count = line.count + (newline ? 1 : 0)
    if used + count > block.count { flush() }
    if count > block.count {
      digester.update(line)
      if newline { digester.update([0x0A]) }
      return
    }
    if let base = line.baseAddress, line.count > 0 { (block.baseAddress! + used).copyMemory(from: base, byteCount: line.count) }
    used += line.count
    if newline { block[used] = 0x0A; used += 1 }
  }

  private mutating func flush() {
    if used > 0 { digester.update(UnsafeRawBufferPointer(rebasing: block[0..<used])) }
    used = 0
  }

  mutating func finish() -> String {
    flush()
    return String(decoding: digester.finalizeBase64(), as: UTF8.self)
  }

  func release() { block.deallocate() }
}
