import SystemCalls
import RadmindFormat
import TranscriptIO

/// What fsdiff prints (spec §7.1).
public enum FsdiffMode: Sendable {
  /// `-C`: edits to apply to the transcript.
  case creatable
  /// `-A`: edits to apply to the filesystem.
  case applicable
}

public struct FsdiffOptions {
  public var mode: FsdiffMode = .creatable
  /// `-1`: one line per path, no recursion.
  public var single = false
  public var caseInsensitive = false
  /// `-t`: ignore mtime-only differences of files.
  public var ignoreTime = false
  /// `-W`: `#! Warning: excluding ...` lines on standard output.
  public var warnExcludes = false
  /// `-%` / `-v`: progress lines on standard output.
  public var progress = false
  /// `-c`: the digester, or nil for no checksums.
  public var digester: ContentDigester?

  public init() {}
}

/// The fsdiff comparison (spec §6, §7): a depth-first walk in transcript order merged with the
/// precedence-ordered transcripts of a command file, printing creatable or applicable lines.
///
/// The merge follows radmind's own control flow step for step (`transcript_check`,
/// `transcript_select`, `t_compare`, `t_print`) because the observable details depend on it:
/// when `-W` warnings appear, which object is "current" for the hard-link group rule (§7.5), when
/// `name:` headers repeat (§7.6), and how excludes interact with directories being removed (§5.5).
///
/// Memory: one directory listing per level of the walk, one line per transcript, and a hash table
/// of multiply-linked inodes (linear in their number).
public final class FsdiffRun {
  public let options: FsdiffOptions
  let transcripts: [TranscriptSource]   // highest precedence first
  let specials: [[UInt8]]
  let excludes: ExcludeRule
  let order: PathOrder
  /// The canonicalised path argument: transcript lines outside it are ignored.
  public var prefix: [UInt8] = []
  let out: OutputBuffer
  let messages: OutputBuffer

  var hardLinks = HardLinkGroups()
  var previousHeader: TranscriptSource?
  var fsMinus = false
  var percentLines = PercentLines()
  /// Where ``writeLine`` formats one line (grown when a line could not fit).
  var lineScratch = UnsafeMutablePointer<UInt8>.allocate(capacity: 1 << 15)
  var lineCapacity = 1 << 15
  var prefetcher: ChecksumPrefetcher?
  var directoryPrefetcher: DirectoryPrefetcher?
  /// Off: the sequential walk even where ``SubtreeLister`` applies (tests compare the two).
  var subtreeListing = true

  enum Enter { case file, directory, negativeDirectory }
  enum Move { case filesystem, transcript, both }
  enum PrintKind { case transcriptOnly, filesystemOnly, download, status, statusNegative }

  /// - Parameters:
  ///   - out: where transcript lines go (standard output or the `-o` file).
  ///   - messages: standard output, for `-W` warnings and progress (may be `out` itself).
  public init(options: FsdiffOptions, commandFile: LoadedCommandFile, out: OutputBuffer, messages: OutputBuffer) {
    self.options = options
    transcripts = commandFile.transcripts
    specials = commandFile.specials
    excludes = ExcludeRule(patterns: commandFile.excludes, caseInsensitive: options.caseInsensitive)
    order = PathOrder(caseInsensitive: options.caseInsensitive)
    self.out = out
    self.messages = messages
  }

  deinit {
    prefetcher?.stop()
    directoryPrefetcher?.stop()
    lineScratch.deallocate()
  }

  // MARK: Entry points

  /// Compares the tree at `path` (already canonicalised, spec §2.4) and flushes nothing.
  public func run(path: [UInt8]) throws(CaptureError) {
    prefix = path
    let root: FilesystemObject
    switch FilesystemObject.stat(path) {
    case .found(let o): root = o
    case .absent: throw CaptureError.system(path, errno: Errno.noEntry)
    case .failed(let e): throw CaptureError.system(path, errno: e)
    case .unknownType: throw CaptureError(path + Array(" is of an unknown type".utf8))
    }
    if listsOnTwoCores(root) {
      try SubtreeLister(order: order, excludes: excludes).run(root, links: &hardLinks, out: out)
      return
    }
    if root.kind == .directory && !options.single {
      // With checksums both cores are busy hashing: a third thread polling with sched_yield
      // only takes turns from them (measured: ~1.5 s more CPU on /usr, 0.44x -> 0.31x wall).
      directoryPrefetcher = DirectoryPrefetcher(order: order, excludes: excludes, specials: specials,
                                                spins: options.digester == nil ? 100 : 0,
                                                readsDeeper: options.digester != nil)
    }
    if let digester = options.digester, !options.single {
      prefetcher = ChecksumPrefetcher(digester: digester, directories: directoryPrefetcher)
    }
    defer {
      prefetcher?.stop()
      prefetcher = nil
      directoryPrefetcher?.stop()
      directoryPrefetcher = nil
      WaitStats.report()
    }
    try walk(path, root, start: 0, finish: options.progress ? 100 : 0, parentMinus: false)
    if options.progress {
      try messages.emit(Array("%100\n".utf8))
    }
    // The filesystem is exhausted: what remains in the transcripts is missing on disk.
    _ = try check(nil, nil, parentMinus: false)
  }

  /// Whether every object is a plain filesystem line (no transcripts, specials, checksums,
  /// warnings or progress), so ``SubtreeLister`` can list the tree on two cores.
  func listsOnTwoCores(_ root: FilesystemObject) -> Bool {
    subtreeListing && root.kind == .directory && transcripts.isEmpty && specials.isEmpty
      && options.mode == .creatable && options.digester == nil && !options.single
      && !options.progress && !options.warnExcludes && !isExcluded(root.path)
  }

  /// `fsdiff -1 -`: one line per path in input order. A missing path is a warning on stderr.
  /// Returns the warnings' text for the caller to print (in order with nothing else on stderr).
  public func runSingle(path: [UInt8], warn: ([UInt8]) -> Void) throws(CaptureError) {
    switch FilesystemObject.stat(path) {
    case .found(let o):
      try walk(path, o, start: 0, finish: 0, parentMinus: false)
    case .absent:
      warn(Array("Warning: ".utf8) + path + Array(": No such file or directory".utf8))
    case .failed(let e): throw CaptureError.system(path, errno: e)
    case .unknownType: throw CaptureError(path + Array(" is of an unknown type".utf8))
    }
  }

  // MARK: The walk (fs_walk)

  func walk(_ path: [UInt8], _ object: FilesystemObject?, start: Int, finish: Int, parentMinus: Bool) throws(CaptureError) {
    if finish > 0, let line = percentLines.line(start, path: path) {
      try messages.emit(line)
    }
    switch try check(path, object, parentMinus: parentMinus) {
    case .file:
      return
    case .negativeDirectory:
      // Not read: visit only what the transcripts list beneath it (spec §7.2).
      while let t = try select() {
        guard order.isInside(t.current.path, path) else { return }
        let child = t.current.path
        var found: FilesystemObject?
        switch FilesystemObject.stat(child) {
        case .found(let o): found = o
        case .absent: found = nil
        case .failed(let e): throw CaptureError.system(path, errno: e)
        case .unknownType: throw CaptureError(child + Array(" is of an unknown type".utf8))
        }
        try walk(child, found, start: start, finish: finish, parentMinus: parentMinus)
      }
      return
    case .directory:
      if options.single { return }
    }
    let deleteParent = fsMinus
    let children = try readDirectory(path)
    directoryPrefetcher?.push(children)
    defer { directoryPrefetcher?.pop() }
    if let prefetcher {
      prefetcher.push(children.compactMap { $0.kind == .file ? $0.path : nil })
    }
    defer { prefetcher?.pop() }
    let chunk = Float(finish - start) / Float(children.count)
    var f = Float(start)
    for child in children {
      try walk(child.path, child, start: Int(f), finish: Int(f + chunk), parentMinus: deleteParent)
      f += chunk
    }
  }

  func readDirectory(_ path: [UInt8]) throws(CaptureError) -> [FilesystemObject] {
    if let listed = directoryPrefetcher?.take(path) { return listed }
    return try FilesystemObject.readDirectory(path, order: order)
  }

  // MARK: Transcript side (transcript_select)

  func isExcluded(_ path: [UInt8]) -> Bool { excludes.excludes(path) }

  func warnExcluding(_ path: [UInt8]) throws(CaptureError) {
    guard options.warnExcludes else { return }
    try messages.emit(Array("#! Warning: excluding ".utf8) + path + [0x0A])
  }

  /// The transcript whose current line comes next: the smallest path, the highest precedence on
  /// ties (lower ones skip their equal lines), masks, excluded lines and lines outside the path
  /// argument skipped. nil when every transcript is exhausted.
  func select() throws(CaptureError) -> TranscriptSource? {
    while true {
      var best: Int = -1
      for i in transcripts.indices where !transcripts[i].isAtEnd {
        if best < 0 || order.compare(transcripts[i].current.path, transcripts[best].current.path) < 0 {
          best = i
        }
      }
      guard best >= 0 else { return nil }
      let chosen = transcripts[best]
      for i in (best + 1)..<transcripts.count where !transcripts[i].isAtEnd {
        if order.compare(chosen.current.path, transcripts[i].current.path) == 0 {
          try transcripts[i].advance()
        }
      }
      if chosen.isMask {
        try chosen.advance()
        continue
      }
      if chosen.kind != .special && isExcluded(chosen.current.path) {
        try warnExcluding(chosen.current.path)
        try chosen.advance()
        continue
      }
      if !order.isInside(chosen.current.path, prefix) {
        try chosen.advance()
        continue
      }
      return chosen
    }
  }

  // MARK: One object (transcript_check)

  func check(_ path: [UInt8]?, _ object: FilesystemObject?, parentMinus: Bool) throws(CaptureError) -> Enter {
    fsMinus = false
    var fs: FilesystemObject?
    var enter = Enter.file
    if let path {
      if isExcluded(path) && !parentMinus && !specials.contains(path) {
        try warnExcluding(path)
        _ = try select()
        return .file
      }
      guard var o = object else {
        // Listed beneath a negative directory but absent: report what the transcripts list up to it.
        while let t = try select() {
          let cmp = order.compare(path, t.current.path)
          if cmp < 0 { break }
          try print(nil, t, .transcriptOnly)
          try t.advance()
          if cmp == 0 { break }
        }
        return .file
      }
      // Only now, the object known not to be excluded, does it join its hard-link group.
      hardLinks.join(&o)
      if o.kind == .directory { enter = .directory }
      fs = o
    }
    while true {
      let t = try select()
      switch try compare(&fs, t) {
      case .filesystem:
        return enter
      case .both:
        let t = t!
        if t.kind == .negative && t.current.kind == .directory { enter = .negativeDirectory }
        try t.advance()
        return enter
      case .transcript:
        try t!.advance()
      }
    }
  }

  // MARK: Comparison (t_compare, spec §6)

  func checksum(of path: [UInt8]) throws(CaptureError) -> [UInt8] {
    guard let digester = options.digester else { return Entry.noChecksum }
    if let prefetcher {
      switch prefetcher.take(path) {
      case .checksum(let sum): return sum
      case .failed(let e): throw CaptureError.system(path, errno: e)
      case .notReady: break
      }
    }
    return try Syscall.withCString(path) { p throws(CaptureError) in
      do throws(DigestError) { return try digester.checksum(path: p) } catch { throw CaptureError.system(path, errno: error.errno) }
    }
  }

  func compare(_ fsSlot: inout FilesystemObject?, _ tran: TranscriptSource?) throws(CaptureError) -> Move {
    guard let t = tran else {
      if fsSlot == nil { return .filesystem }
      try print(fsSlot, nil, .filesystemOnly)
      return .filesystem
    }
    guard var fs = fsSlot else {
      try print(nil, t, .transcriptOnly)
      return .transcript
    }
    let cmp = order.compare(fs.path, t.current.path)
    if cmp > 0 {
      try print(fs, t, .transcriptOnly)
      return .transcript
    }
    if cmp < 0 {
      try print(fs, t, .filesystemOnly)
      return .filesystem
    }
    let tr = t.current
    if fs.kind != tr.kind {
      try print(fs, t, .download)
      return .both
    }
    let negative = t.kind == .negative
    let ownerOrModeDiffer = fs.uid != tr.uid || fs.gid != tr.gid || fs.permissions != tr.permissions
    let deviceDiffers = fs.rdevMajor != tr.major || fs.rdevMinor != tr.minor
    switch fs.kind {
    case .file, .appleFile:
      if !negative {
        if fs.size != tr.size {
          try print(fs, t, .download)
          return .both
        }
        if options.digester != nil {
          if fs.checksum == nil {
            fs.checksum = try checksum(of: fs.path)
            fsSlot = fs
          }
          if fs.checksum! != tr.checksum {
            try print(fs, t, .download)
            return .both
          }
        } else if !options.ignoreTime && fs.mtime != tr.mtime {
          try print(fs, t, .download)
          return .both
        }
        if !options.ignoreTime && fs.mtime != tr.mtime {
          try print(fs, t, .status)
          return .both
        }
      }
      if ownerOrModeDiffer {
        try print(fs, t, negative && options.mode == .applicable ? .statusNegative : .status)
      }
    case .directory, .door, .pipe, .socket:
      if ownerOrModeDiffer { try print(fs, t, .status) }
    case .symbolicLink:
      // Owner and mode of symlinks are not compared in normal builds (spec §6).
      if !negative && fs.target != tr.target { try print(fs, t, .status) }
    case .hardLink:
      if fs.target != tr.target || groupChanged(fs, mark: false) { try print(fs, t, .status) }
    case .characterDevice:
      if !negative {
        if ownerOrModeDiffer || deviceDiffers { try print(fs, t, .status) }
      } else if deviceDiffers {
        try print(fs, t, .status)
      }
    case .blockDevice:
      if ownerOrModeDiffer || deviceDiffers { try print(fs, t, .status) }
    }
    return .both
  }

  /// radmind's `hardlink_changed`: with `mark`, flags the object's inode; returns the flag.
  func groupChanged(_ fs: FilesystemObject, mark: Bool) -> Bool { hardLinks.changed(fs, mark: mark) }

  // MARK: Output (t_print, spec §7.3, §7.5, §7.6)

  func print(_ fs: FilesystemObject?, _ t: TranscriptSource?, _ kind: PrintKind) throws(CaptureError) {
    let applicable = options.mode == .applicable
    var useFilesystem = !applicable
    if applicable, let fs, fs.kind != .directory, fs.kind != .hardLink, fs.nlink > 1 {
      _ = groupChanged(fs, mark: true)
    }
    if applicable, let t, kind == .transcriptOnly || kind == .download || kind == .statusNegative,
       previousHeader !== t {
      try out.emit(t.shortName + Array(":\n".utf8))
      previousHeader = t
    }
    var minus = false
    if applicable {
      if kind == .filesystemOnly {
        minus = true
        useFilesystem = true
      }
    } else if kind == .transcriptOnly {
      minus = true
      useFilesystem = false
    }
    if minus { fsMinus = true }

    // The line is written straight from the object's fields (or the transcript line's) into a
    // reused buffer: no Entry, no per-line array.
    var prefix = Entry.Prefix.none
    if minus { prefix = .minus }
    let lineKind = useFilesystem ? fs!.kind : t!.current.kind
    var lineChecksum = useFilesystem ? (fs!.checksum ?? Entry.noChecksum) : t!.current.checksum
    var mtime = useFilesystem ? fs!.mtime : t!.current.mtime
    if lineKind.hasContent {
      if applicable && (kind == .transcriptOnly || kind == .download) { prefix = .plus }
      if lineChecksum == Entry.noChecksum && options.digester != nil && !minus {
        let sum = try checksum(of: useFilesystem ? fs!.path : t!.current.path)
        lineChecksum = sum
        if !useFilesystem { t!.current.checksum = sum }
      }
      if kind == .statusNegative, let fs { mtime = fs.mtime }
    }
    if useFilesystem {
      let o = fs!
      try writeLine(prefix: prefix, kind: o.kind, path: o.path, permissions: o.permissions, uid: o.uid, gid: o.gid,
                    mtime: mtime, size: o.size, checksum: lineChecksum, target: o.target,
                    major: o.rdevMajor, minor: o.rdevMinor)
    } else {
      let e = t!.current
      try writeLine(prefix: prefix, kind: e.kind, path: e.path, permissions: e.permissions, uid: e.uid, gid: e.gid,
                    mtime: mtime, size: e.size, checksum: lineChecksum, target: e.target,
                    major: e.major, minor: e.minor)
    }
  }

  func writeLine(prefix: Entry.Prefix, kind: Entry.Kind, path: [UInt8], permissions: UInt32, uid: Int32, gid: Int32,
                 mtime: Int64, size: Int64, checksum: [UInt8], target: [UInt8],
                 major: Int32, minor: Int32) throws(CaptureError) {
    let bound = LineWriter.maxLength(pathCount: path.count, targetCount: target.count, checksumCount: checksum.count)
    if bound > lineCapacity {
      lineScratch.deallocate()
      lineCapacity = bound * 2
      lineScratch = .allocate(capacity: lineCapacity)
    }
    let n = path.withUnsafeBytes { p in
      target.withUnsafeBytes { tg in
        checksum.withUnsafeBytes { c in
          LineWriter.write(prefix: prefix, kind: kind, path: p, permissions: permissions, uid: uid, gid: gid,
                           mtime: mtime, size: size, checksum: c, target: tg, major: major, minor: minor,
                           finderInfo: UnsafeRawBufferPointer(start: nil, count: 0), to: lineScratch)
        }
      }
    }
    do { try out.append(UnsafeRawBufferPointer(start: lineScratch, count: n)) } catch {
      throw CaptureError.system(Array(error.path.utf8), errno: error.errno)
    }
  }
}

extension OutputBuffer {
  /// Appends bytes, turning a failed write into a ``CaptureError``.
  func emit(_ bytes: [UInt8]) throws(CaptureError) {
    do { try self.append(bytes) } catch {
      throw CaptureError.system(Array(error.path.utf8), errno: error.errno)
    }
  }
}
