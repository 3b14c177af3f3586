import SystemCalls
import Capture
import Dispatch
import Hashing
import RadmindFormat
import Synchronization
import TranscriptIO

/// Which version a bin or neg capture gets.
package enum VersionChoice: Sendable, Equatable {
  /// `001.001` for the first capture, else the next minor version.
  case automatic
  case explicit(String)
  case nextMinor
  case nextMajor
}

/// What `loadsmith capture` was asked to do.
package struct CaptureRequest: Sendable {
  package var stagingRoot: String
  /// The series stem: `was-apache-bin-rhel5`, `was-apache-neg-rhel5` or `was-apache-cfg`.
  package var loadset: String
  /// Node paths in the staging tree, as they will be on the client (`/usr/local/apache`).
  package var nodes: [String]
  package var version: VersionChoice = .automatic
  /// A command file whose `x` lines exclude paths from the capture.
  package var commandFile: String?
  package var digest: String = "sha1"
  /// Write `./usr/...` instead of `/usr/...`.
  package var relative = false
  /// Copy threads (default: online CPUs).
  package var threads = OrderedHashPool.availableCPUs
  /// Read every file again (ignore the signatures of the previous capture).
  package var rehash = false

  package init(stagingRoot: String, loadset: String, nodes: [String]) {
    self.stagingRoot = stagingRoot
    self.loadset = loadset
    self.nodes = nodes
  }
}

/// What a capture published.
package struct CaptureResult: Sendable {
  package var loadsets: [String] = []
  package var moves: [PointerMove] = []
  package var files = 0
  package var bytes: Int64 = 0
  package var entries = 0
  /// What the capture chose not to do and why (`skipped /srv/stage/store: the store itself ...`).
  package var notes: [String] = []
}

extension LoadsetStore {
  /// `loadsmith capture`: walks each node of a staging tree (lstat, never following symlinks),
  /// copies every regular file into a staged `file/` tree while hashing it (one read per file,
  /// on `threads` threads), writes each node's transcript in radmind order, and publishes all
  /// nodes in one intent. A cfg capture makes the next snapshot and moves `dev` to it in the same
  /// intent. Neg loadsets record real sizes, `-` checksums and store zero-length files (as
  /// `lcreate -N`).
  ///
  /// Every check of the request happens before anything is written: on bad input the store is
  /// unchanged.
  package func capture(_ request: CaptureRequest) throws(StoreError) -> CaptureResult {
    // A command file listing base loadsets (not only x lines): radmind's capture of a difference.
    if let k = request.commandFile, try LoadsetStore.commandFileListsBase(k) { return try captureAgainstBase(request) }
    let checked = try LoadsetStore.checkCaptureRequest(request, nodeExample: "--node /usr/local/apache")
    let (series, algorithm, root, nodes) = (checked.series, checked.algorithm, checked.stagingRoot, checked.nodes)
    var excludes = ExcludeRule(form: request.relative ? .relative : .absolute)
    if let k = request.commandFile { excludes.patterns = try LoadsetStore.readExcludes(k, relative: request.relative) }

    return try write { () throws(StoreError) -> CaptureResult in
      let names = try captureNames(series, request.version, nodes: nodes.count)
      var result = CaptureResult()
      var intent = Intent(operation: "capture \(series)")
      var checksums: [String] = []  // each staged node's transcript checksum, in `names` order
      var walker = TreeCapture(root: root.isEmpty ? "/" : String(decoding: root, as: UTF8.self))
      walker.includeAncestors = false
      walker.skipDirectories = storeDirectoryIdentities()
      walker.excludes = excludes  // fsdiff's rule: what an x line names is not walked and links no group
      let contentIndex = series.type == .neg ? [:] : try contentIndexForCapture()
      for (index, node) in nodes.enumerated() {
        let staged = try makeStagingDirectory("capture")
        FaultInjection.checkpoint("capture.staging")
        let summary = try stageNode(node, walker: walker, into: staged, name: names[index], type: series.type,
                                    algorithm: algorithm, threads: request.threads, request: request,
                                    contentIndex: contentIndex)
        FaultInjection.checkpoint("capture.staged")
        result.addStaged(names[index], staged: staged, files: summary.files, bytes: summary.bytes, entries: summary.entries,
                         notes: summary.notes, to: &intent)
        checksums.append(summary.checksum)
      }
      finishCaptureIntent(&intent, names: names, series: series, digest: request.digest,
                          checksums: checksums, result: &result)
      try commit(intent)
      return result
    }
  }

  func chooseVersion(_ series: LoadsetSeries, _ choice: VersionChoice) throws(StoreError) -> LoadsetVersion {
    let existing = Set(try nodeVersions(of: series).keys).union(try builds(of: series))
    let newest = existing.max()
    do {
      switch choice {
      case .explicit(let text):
        let v = try LoadsetVersion(parsing: text)
        if existing.contains(v) {
          throw StoreError(.usage, "\(series) \(v) exists: published loadsets are immutable; capture a new version (--next-minor)")
        }
        return v
      case .automatic, .nextMinor:
        return try newest.map { (v) throws(LoadsetNameError) in try v.nextMinor() } ?? .first
      case .nextMajor:
        return try newest.map { (v) throws(LoadsetNameError) in try v.nextMajor() } ?? .first
      }
    } catch let error as LoadsetNameError {
      throw .name(error)
    } catch let error as StoreError {
      throw error
    } catch {
      throw StoreError(.usage, "\(error)")
    }
  }

  /// The staging root, absolute and resolved; it must be an existing directory.
  static func checkStagingRoot(_ text: String) throws(StoreError) -> [UInt8] {
    let resolved: String
    do { resolved = String(decoding: try Syscall.realpath(Array(text.utf8)), as: UTF8.self) } catch {
      throw StoreError(.usage, "staging root \(text): \(error.reason)")
    }
    guard Syscall.kind(resolved) == .directory else {
      throw StoreError(.usage, "staging root \(text) is not a directory")
    }
    return resolved == "/" ? [] : Array(resolved.utf8)
  }

  /// `/usr/local/apache/` → `/usr/local/apache`; refuses relative paths, `.` and `..`.
  static func normalizeNode(_ text: String) throws(StoreError) -> [UInt8] {
    guard text.hasPrefix("/") else {
      throw StoreError(.usage, "node \(text): a node is an absolute path as on the client, e.g. /usr/local/apache")
    }
    let parts = text.split(separator: "/", omittingEmptySubsequences: true)
    if parts.contains(where: { $0 == ".." || $0 == "." }) {
      throw StoreError(.usage, "node \(text): '.' and '..' are not allowed in node paths")
    }
    return parts.isEmpty ? [0x2F] : Array(("/" + parts.joined(separator: "/")).utf8)
  }

  /// The node must exist below the root, reached only through real directories: a symlinked
  /// component could lead outside the staging tree, so it is refused.
  static func checkNode(_ node: [UInt8], text: String, in root: [UInt8]) throws(StoreError) {
    var path = root
    let components = node.split(separator: 0x2F)
    for (i, component) in components.enumerated() {
      BytePath.append(component, to: &path)
      let st: FileStatus
      do { st = try Syscall.lstat(path) } catch {
        throw StoreError(.usage, "node \(text) does not exist in the staging root (\(String(decoding: path, as: UTF8.self)): \(error.reason))")
      }
      if i < components.count - 1 && FileType(mode: st.st_mode) != .directory {
        let kind = FileType(mode: st.st_mode) == .symlink ? "a symlink" : "not a directory"
        throw StoreError(.usage, "node \(text) lies outside the staging root: \(String(decoding: path, as: UTF8.self)) is \(kind)")
      }
    }
  }

  /// The `x` lines of a command file (includes followed, `-` lines applied), in the capture's form.
  static func readExcludes(_ path: String, relative: Bool) throws(StoreError) -> [[UInt8]] {
    let loader = CommandFileLoader(form: relative ? .relative : .absolute, order: .caseSensitive,
                                   checksumming: false, openTranscripts: false)
    do { return try loader.load(path: Array(path.utf8)).excludes } catch {
      throw StoreError(.usage, "\(error)")
    }
  }

  /// What staging one node produced; `checksum` is its transcript's, for the history record.
  struct StageSummary { var files = 0; var bytes: Int64 = 0; var entries = 0; var notes: [String] = []; var checksum = "-" }

  /// Walks one node into `staged/` (transcript, file/, meta, content index segment, signature
  /// record), streaming: the walk fills bounded batches in radmind order while the previous batch
  /// is stored and its transcript lines written, so memory does not grow with the node.
  func stageNode(_ node: [UInt8], walker: TreeCapture, into staged: String, name: LoadsetName,
                 type: LoadsetType, algorithm: DigestAlgorithm, threads: Int,
                 request: CaptureRequest, contentIndex: [ContentKey: [ContentLocation]]) throws(StoreError) -> StageSummary {
    let fileTree = Array((staged + "/file").utf8)
    try sys(Syscall.makeDirectoryIfMissing(staged + "/file"))
    // The node's parents, so that its own line has a place in the file tree.
    if let parent = BytePath.parent(node) {
      try sys(Syscall.makeDirectories(fileTree + (request.relative ? [0x2F, 0x2E] : []) + parent))
    }
    let hash = type != .neg
    var sharing = NodeSharing()
    if hash {
      sharing = try openSharing(node, walker: walker, into: staged, fileTree: fileTree, algorithm: algorithm,
                                request: request, contentIndex: contentIndex)
    }
    let pipeline = try CapturePipeline(transcriptPath: staged + "/transcript", algorithm: algorithm, hash: hash,
                                       threads: threads, share: sharing.share, signatures: sharing.record)
    WorkProgress.begin("capture \(String(decoding: node, as: UTF8.self))")
    defer { WorkProgress.end() }
    let skipped = try walk(node, walker: walker, fileTree: fileTree, relative: request.relative,
                           previous: sharing.previous, into: pipeline)
    let checksumBytes = try pipeline.finish()
    FaultInjection.checkpoint("capture.copied")
    if skipped.contains(node) {
      throw StoreError(.usage, "node \(String(decoding: node, as: UTF8.self)) is the store itself (\(root)) or its state directory: capture a node that holds the files to publish")
    }
    var summary = pipeline.summary
    summary.notes = skipped.map { "skipped \(String(decoding: $0, as: UTF8.self)): it is the store itself (\(root)); a store never captures its own files" }
    let checksum = String(decoding: checksumBytes, as: UTF8.self)
    summary.checksum = checksum
    try writeNodeMetadata(summary, node: node, name: name, type: type, checksum: checksum, request: request, into: staged)
    return summary
  }

  /// What a hashed capture shares with the store: the content index (to link equal content),
  /// the node's previous signature record (to reuse checksums) and the new record.
  struct NodeSharing {
    var share: ContentShare?
    var previous: SignatureRecordReader?
    var record: SignatureRecordWriter?
  }

  private func openSharing(_ node: [UInt8], walker: TreeCapture, into staged: String, fileTree: [UInt8],
                           algorithm: DigestAlgorithm, request: CaptureRequest,
                           contentIndex: [ContentKey: [ContentLocation]]) throws(StoreError) -> NodeSharing {
    let started = LoadsetStore.nowNanoseconds
    let rootBytes = walker.root
    let recordKey = SignatureRecordKey.name(root: rootBytes, node: node, relative: request.relative)
    var sharing = NodeSharing()
    let st = (try? Syscall.stat(root)) ?? FileStatus()
    sharing.share = try ContentShare(algorithm: algorithm.name, index: contentIndex, storeDevice: UInt64(st.st_dev),
                                     fileTree: fileTree, segmentPath: staged + "/content")
    if !request.rehash {
      sharing.previous = SignatureRecordReader(path: signatureDirectory + "/" + recordKey, root: rootBytes, node: node,
                                               digest: algorithm.name, order: walker.order)
    }
    sharing.record = try SignatureRecordWriter(path: staged + "/signatures", root: rootBytes, node: node,
                                               digest: algorithm.name, started: started)
    try LoadsetStore.writeFile(staged + "/signatures-key", Array((recordKey + "\n").utf8))
    return sharing
  }

  /// Walks the node in radmind order into bounded batches for `pipeline`: directories are made
  /// in the file tree here, files become copy jobs. Returns the paths skipped as the store's own.
  private func walk(_ node: [UInt8], walker: TreeCapture, fileTree: [UInt8], relative: Bool,
                    previous: SignatureRecordReader?, into pipeline: CapturePipeline) throws(StoreError) -> [[UInt8]] {
    var batch = CaptureBatch()
    var listedFirst = false
    func submit() {
      if !listedFirst { CaptureHooks.runAfterListing(node); listedFirst = true }
      pipeline.submit(batch)
      batch = CaptureBatch()
    }
    var failure: StoreError?
    var skipped: [[UInt8]] = []
    do {
      try walker.captureObjects(nodes: [node], skipped: { skipped.append($0) }) { found, object in
        WorkProgress.advance(files: 1)
        if let failed = pipeline.failed { failure = failed; throw failed }
        var entry = found
        let source = walker.diskPath(entry.path)
        if relative {
          entry.path = [0x2E] + entry.path
          if entry.kind == .hardLink { entry.target = [0x2E] + entry.target }
        }
        let stored = BytePath.join(fileTree, entry.path)
        switch entry.kind {
        case .directory:
          do throws(SystemCallError) { try Syscall.mkdir(stored, mode: 0o755) } catch {
            if error.errno != Errno.exists {
              failure = .system(error)
              throw failure!
            }
          }
          batch.signatures.append(nil)
        case .file:
          let signature = StatSignature(object)
          batch.jobs.append(PlaceJob(source: source, destination: stored, size: entry.size,
                                     identity: TreeCapture.InodeKey(device: object.device, inode: object.inode),
                                     reuse: previous?.checksum(for: found.path, signature: signature),
                                     mtime: object.mtimeNanoseconds))
          batch.signatures.append((found.path, signature))
        default:
          batch.signatures.append(nil)
        }
        batch.entries.append(entry)
        if batch.full { submit() }
      }
      submit()
    } catch {
      pipeline.queue.sync {}  // no copy may still be writing into the staging directory
      if let failure { throw failure }
      throw StoreError(.system, "capture of \(String(decoding: node, as: UTF8.self)): \(error)")
    }
    return skipped
  }

  /// Writes the node loadset's `staged/meta`.
  private func writeNodeMetadata(_ summary: StageSummary, node: [UInt8], name: LoadsetName, type: LoadsetType,
                                 checksum: String, request: CaptureRequest, into staged: String) throws(StoreError) {
    var meta = Metadata(name: name.fileName, type: type.rawValue, digest: request.digest, transcriptChecksum: checksum,
                        entries: summary.entries, files: summary.files, bytes: summary.bytes)
    meta["paths"] = request.relative ? "relative" : "absolute"
    meta["node"] = String(decoding: node, as: UTF8.self)
    meta["staging-root"] = request.stagingRoot
    meta.stampCreation()
    try meta.write(to: staged + "/meta")
  }

  static func digest(_ bytes: [UInt8], _ algorithm: DigestAlgorithm) -> [UInt8] {
    let d = algorithm.makeDigester()
    d.reset()
    d.update(bytes)
    return d.finalizeBase64()
  }

  /// Writes a new file (no fsync: staging is made durable with one `syncfs` before publishing).
  static func writeFile(_ path: String, _ bytes: [UInt8]) throws(StoreError) {
    let fd: Int32
    do { fd = try Syscall.open(path, [.writeOnly, .create, .truncate], mode: 0o644) } catch { throw .system(error) }
    defer { Syscall.closeQuietly(fd) }
    try sys(Syscall.writeAll(fd, bytes, path: path))
  }
}
