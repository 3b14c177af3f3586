import SystemCalls
import RadmindFormat

/// Captures filesystem trees as a stream of transcript entries, in radmind order — what
/// `fsdiff -C` with an empty command file produces, as ``Entry`` values instead of text.
///
/// The tree on disk can be *mounted* anywhere in the transcript namespace: a staging area at
/// `/srv/staging/apache` holding `usr/local/apache/...` is captured with `root:
/// "/srv/staging/apache"` and yields `/usr/local/apache/...`, exactly as fsdiff would on a host
/// where the tree lives at `/`.
///
///     var capture = TreeCapture(root: "/srv/staging/apache")
///     capture.digester = makeDigester(named: "sha1")
///     try capture.capture(nodes: [Array("/usr/local/apache".utf8)]) { entry in
///       LineWriter.append(entry, to: &bytes)
///     }
///
/// Rules (the same as fsdiff's walk, spec §7.2, §7.4):
/// * `nodes` are absolute transcript paths; each is captured with its whole subtree. Nodes are
///   visited in path order; a node inside another node is covered by it and skipped; a node that
///   does not exist in the tree throws `<disk path>: No such file or directory`.
/// * With ``includeAncestors``, the directories leading to each node (`/usr`, `/usr/local`, and
///   `/` itself) are emitted first, once each, with their attributes from the tree, so the result
///   is a complete loadset.
/// * Symlinks are never followed; objects are classified with `lstat`; hard links are detected
///   across everything captured in one call (the first path in order is the `f`, later ones `h`).
/// * With ``excludes``, an excluded object is skipped with everything below it before it can join
///   a hard-link group, exactly as fsdiff does (``HardLinkGroups``): the result is what
///   `fsdiff -C` with a command file of only those `x` lines produces.
/// * With a ``digester``, every `f` entry carries its checksum; an unreadable file throws.
///
/// Limits: no comparison with transcripts (that is ``FsdiffRun``); memory is one
/// directory listing per level plus the table of multiply-linked inodes.
public struct TreeCapture {
  /// Where the transcript root `/` is on disk.
  public var root: [UInt8]
  public var digester: ContentDigester?
  public var order: PathOrder
  public var includeAncestors = true
  /// Objects not captured (a command file's `x` lines; see ``ExcludeRule``).
  public var excludes = ExcludeRule()

  public init(root: String, caseInsensitive: Bool = false) {
    var r = Array(root.utf8)
    while r.count > 1 && r.last == 0x2F { r.removeLast() }
    self.root = r
    self.order = PathOrder(caseInsensitive: caseInsensitive)
  }

  /// The on-disk path of transcript path `path` (absolute, `/` included).
  public func diskPath(_ path: [UInt8]) -> [UInt8] {
    if root == [0x2F] { return path }
    if path == [0x2F] { return root }
    return root + path
  }

  /// Directories never walked (by identity, so any path to them matches): a store inside the
  /// captured tree must not capture itself, its staging included.
  public var skipDirectories: Set<InodeKey> = []

  public func capture(nodes: [[UInt8]], _ body: (Entry) throws -> Void) throws {
    try captureObjects(nodes: nodes, skipped: { _ in }) { entry, _ in try body(entry) }
  }

  /// ``capture(nodes:_:)``, also handing `body` the object as `lstat` listed it (device, inode:
  /// whoever opens it later checks it is still that object), and calling `skipped` with the path
  /// of each directory of ``skipDirectories`` met (not walked, not emitted).
  ///
  /// Confinement: every node is reached from ``root`` one component at a time without following
  /// symlinks, and every directory is opened without following a symlink and checked to be the
  /// directory that was listed. A directory swapped for a symlink (or anything else) while it is
  /// captured makes the capture throw: nothing outside the tree is ever listed.
  public func captureObjects(nodes: [[UInt8]], skipped: ([UInt8]) throws -> Void,
                             _ body: (Entry, FilesystemObject) throws -> Void) throws {
    var links = HardLinkGroups()
    var emitted: [UInt8]? = nil
    let sorted = nodes.map { $0.count > 1 && $0.last == 0x2F ? Array($0.dropLast()) : $0 }
      .sorted { order.compare($0, $1) < 0 }
    var covered: [UInt8]? = nil

    func emit(_ object: FilesystemObject, as path: [UInt8]) throws {
      var o = object
      o.path = path
      links.join(&o)
      if o.kind == .file, let digester {
        let disk = diskPath(path)
        o.checksum = try Syscall.withCString(disk) { p throws(CaptureError) in
          do throws(DigestError) { return try digester.checksum(path: p) } catch {
            throw CaptureError.system(disk, errno: error.errno)
          }
        }
      }
      emitted = path
      try body(o.entry, o)
    }

    func stat(_ path: [UInt8]) throws -> FilesystemObject {
      let disk = diskPath(path)
      switch FilesystemObject.stat(disk) {
      case .found(let o): return o
      case .absent: throw CaptureError.system(disk, errno: Errno.noEntry)
      case .failed(let e): throw CaptureError.system(disk, errno: e)
      case .unknownType: throw CaptureError(disk + Array(" is of an unknown type".utf8))
      }
    }

    func walk(_ path: [UInt8], _ object: FilesystemObject) throws {
      if excludes.excludes(path) { return }  // before it joins a hard-link group or is entered
      try emit(object, as: path)
      guard object.kind == .directory else { return }
      let base = path == [0x2F] ? path : path + [0x2F]
      let listed = InodeKey(device: object.device, inode: object.inode)
      for child in try FilesystemObject.readDirectory(diskPath(path), order: order, expecting: listed) {
        let name = child.path[(child.path.lastIndex(of: 0x2F)! + 1)...]
        if child.kind == .directory, skipDirectories.contains(InodeKey(device: child.device, inode: child.inode)) {
          try skipped(base + name)
          continue
        }
        try walk(base + name, child)
      }
    }

    for node in sorted {
      if let c = covered, order.isInside(node, c) { continue }
      if includeAncestors {
        var ancestors: [[UInt8]] = [[0x2F]]
        var i = 1
        while i < node.count {
          if node[i] == 0x2F { ancestors.append(Array(node[..<i])) }
          i += 1
        }
        if node == [0x2F] { ancestors.removeAll() }
        for a in ancestors where emitted == nil || order.compare(a, emitted!) > 0 {
          try emit(try stat(a), as: a)
        }
      }
      let top = try statBeneathRoot(node)
      if top.kind == .directory, skipDirectories.contains(InodeKey(device: top.device, inode: top.inode)) {
        try skipped(node)
        covered = node
        continue
      }
      try walk(node, top)
      covered = node
    }
  }
}
