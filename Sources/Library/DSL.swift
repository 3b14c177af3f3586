import SystemCalls
import Store

/// The Definitive Software Library: a directory of loadset archives that outlives the store.
///
///     DSL/FAMILY/COMPONENT/TYPE/NAME-VERSION.tar.gz          the loadset (transcript, meta, files)
///     DSL/FAMILY/COMPONENT/TYPE/NAME-VERSION.manifest.json   archive sha256, transcript digest, ...
///     DSL/FAMILY/COMPONENT/TYPE/tags/Release-VERSION-yyyymmdd/NAME-VERSION.tar.gz -> ../../...
///     DSL/FAMILY/COMPONENT/TYPE/tags/PROD-VERSION-yyyymmdd/NAME-VERSION.tar.gz    -> ../../...
///     DSL/protected/                                         mode 0700: licenses, restricted files
///
/// An archive counts as archived once its manifest exists: the `.tar.gz` is renamed into place
/// first, then the manifest. A tag is a folder in the loadset's own `tags/`, holding one symlink
/// per archive it names (the bin loadsets of several OSes can share a version); tags are only
/// ever added to, never changed.
package struct DSL: Sendable {
  /// Absolute path of the DSL directory.
  package let root: String

  package init(at path: String) {
    var p = path
    if !p.hasPrefix("/") {
      if let cwd = Syscall.workingDirectory() { p = String(decoding: cwd, as: UTF8.self) + "/" + p }
    }
    while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
    root = p
  }

  /// Creates the DSL directory and its protected area (idempotent; fixes the area's mode).
  @discardableResult
  package static func create(at path: String) throws(LibraryError) -> DSL {
    let dsl = DSL(at: path)
    try LibraryFiles.makeDirectories(dsl.root)
    try dsl.makeProtectedArea()
    return dsl
  }

  /// Opens an existing DSL.
  package static func open(at path: String) throws(LibraryError) -> DSL {
    let dsl = DSL(at: path)
    guard LibraryFiles.isDirectory(dsl.root) else {
      throw LibraryError(.usage, "\(dsl.root): no such DSL directory (create it with 'loadsmith init --dsl \(path)')")
    }
    return dsl
  }

  package var protectedDirectory: String { root + "/protected" }

  func makeProtectedArea() throws(LibraryError) {
    let path = Array(protectedDirectory.utf8)
    do { try Syscall.mkdir(path, mode: 0o700) } catch {
      if error.errno != Errno.exists { throw LibraryError(error, shown: protectedDirectory) }
    }
    try sys(protectedDirectory) { () throws(SystemCallError) in try Syscall.chmod(path, 0o700) }
  }

  /// `DSL/FAMILY/COMPONENT/TYPE`.
  package func folder(for name: LoadsetName) -> String {
    let s = name.series
    return "\(root)/\(s.family)/\(s.component)/\(s.type.rawValue)"
  }

  package func archivePath(for name: LoadsetName) -> String { folder(for: name) + "/" + name.stem + ".tar.gz" }
  package func manifestPath(for name: LoadsetName) -> String { folder(for: name) + "/" + name.stem + ".manifest.json" }

  /// The manifest beside an archive path (`X.tar.gz` -> `X.manifest.json`).
  package static func manifestPath(forArchive path: String) -> String {
    (path.hasSuffix(".tar.gz") ? String(path.dropLast(7)) : path) + ".manifest.json"
  }

  /// True when the loadset's archive and manifest are both in place (not a full check).
  package func isArchived(_ name: LoadsetName) -> Bool {
    LibraryFiles.exists(archivePath(for: name)) && LibraryFiles.exists(manifestPath(for: name))
  }

  /// The version part of a tag for `name`: `001.001` for a build, `0002` for a cfg snapshot.
  static func tagVersion(_ name: LoadsetName) -> String { DSLTags.tagVersion(name) }

  /// Records the tag `KIND-VERSION-yyyymmdd` (kind `Release` or `PROD`) for the archived loadset
  /// and returns its name. Idempotent; an existing tag entry is never replaced. The layout and
  /// the write are the store's (``DSLTags``), which writes a release's tags inside its intent.
  @discardableResult
  package func recordTag(_ kind: String, for name: LoadsetName, date: String? = nil) throws(LibraryError) -> String {
    guard isArchived(name) else {
      throw LibraryError(.usage, "\(name.fileName) is not archived in \(root); cannot tag it")
    }
    let tag = DSLTags.tagName(kind, name, date: date ?? Clock.today())
    do throws(StoreError) { try DSLTags.write(dsl: root, tag: tag, name) } catch {
      throw LibraryError(error.code == .system ? .system : .corrupt, error.message)
    }
    return tag
  }

  /// The tags naming the archive of `stem` in `folder`.
  func tags(folder: String, stem: String) throws(LibraryError) -> [String] {
    try LibraryFiles.list(folder + "/tags").filter { LibraryFiles.exists(folder + "/tags/" + $0 + "/" + stem + ".tar.gz") }
  }

  /// Copies `file` into the protected area (mode 0600), refusing to replace an existing entry.
  /// Returns the stored path.
  package func addProtected(_ file: String) throws(LibraryError) -> String {
    try makeProtectedArea()
    let base = String(file.split(separator: "/").last ?? "")
    guard !base.isEmpty, base != ".", base != ".." else { throw LibraryError(.usage, "\(file): not a file name") }
    guard let bytes = try LibraryFiles.readFile(file) else { throw LibraryError(.usage, "\(file): no such file") }
    let destination = protectedDirectory + "/" + base
    if LibraryFiles.exists(destination) {
      throw LibraryError(.usage, "\(destination) already exists; protected entries are never replaced")
    }
    try LibraryFiles.writeFileAtomically(destination, bytes, permissions: 0o600)
    return destination
  }
}
