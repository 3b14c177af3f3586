import SystemCalls
import TranscriptIO

/// The DSL's archive and tag layout, as far as the store's intents need it: a release's
/// `Release-…` and `PROD-…` tags are steps of the release's intent (after the archive exists,
/// before the record is removed), so any writer that finishes a pending intent must be able to
/// write them, without the Library. The Library's `recordTag` writes through here too: one owner
/// of the layout.
///
///     DSL/FAMILY/COMPONENT/TYPE/NAME-VERSION.tar.gz (+ .manifest.json)
///     DSL/FAMILY/COMPONENT/TYPE/tags/KIND-VERSION-yyyymmdd/NAME-VERSION.tar.gz -> ../../NAME-VERSION.tar.gz
package enum DSLTags {
  package static func folder(dsl: String, _ name: LoadsetName) -> String {
    let s = name.series
    return "\(dsl)/\(s.family)/\(s.component)/\(s.type.rawValue)"
  }

  package static func archivePath(dsl: String, _ name: LoadsetName) -> String { folder(dsl: dsl, name) + "/" + name.stem + ".tar.gz" }
  package static func manifestPath(dsl: String, _ name: LoadsetName) -> String { folder(dsl: dsl, name) + "/" + name.stem + ".manifest.json" }

  /// Archive and manifest both in place (the manifest is written last, so it marks completion).
  package static func isArchived(dsl: String, _ name: LoadsetName) -> Bool {
    Syscall.exists(archivePath(dsl: dsl, name)) && Syscall.exists(manifestPath(dsl: dsl, name))
  }

  /// The version part of a tag: `001.001` for a build, `0002` for a cfg snapshot.
  package static func tagVersion(_ name: LoadsetName) -> String {
    let stem = name.stem, series = name.series.description
    return stem.hasPrefix(series + "-") ? String(stem.dropFirst(series.count + 1)) : stem
  }

  /// `KIND-VERSION-DATE`.
  package static func tagName(_ kind: String, _ name: LoadsetName, date: String) -> String {
    "\(kind)-\(tagVersion(name))-\(date)"
  }

  /// The tag directory and its entry (a relative symlink to the archive).
  static func entry(dsl: String, tag: String, _ name: LoadsetName) -> (directory: String, link: String, target: String) {
    let directory = folder(dsl: dsl, name) + "/tags/" + tag
    return (directory, directory + "/" + name.stem + ".tar.gz", "../../" + name.stem + ".tar.gz")
  }

  /// True when some `KIND-…` tag of any date names the archive of `name`.
  package static func hasTag(_ kind: String, dsl: String, _ name: LoadsetName) -> Bool {
    let tags = folder(dsl: dsl, name) + "/tags"
    let prefix = "\(kind)-\(tagVersion(name))-"
    for entry in (try? Syscall.listDirectoryNames(tags)) ?? [] where entry.hasPrefix(prefix) {
      if Syscall.symlinkTarget(tags + "/" + entry + "/" + name.stem + ".tar.gz") != nil { return true }
    }
    return false
  }

  /// True when the tag `tag` already names the archive of `name`.
  package static func exists(dsl: String, tag: String, _ name: LoadsetName) -> Bool {
    let e = entry(dsl: dsl, tag: tag, name)
    return Syscall.symlinkTarget(e.link) == e.target
  }

  /// Why the tag could not be written, or nil: the archive must exist and the entry, if
  /// present, must already name it (tags are never replaced).
  package static func problem(dsl: String, tag: String, _ name: LoadsetName) -> String? {
    guard isArchived(dsl: dsl, name) else { return "\(name.fileName) is not archived in \(dsl); cannot tag it \(tag)" }
    let e = entry(dsl: dsl, tag: tag, name)
    switch Syscall.kind(e.link) {
    case .missing: return nil
    case .symlink:
      let existing = Syscall.symlinkTarget(e.link) ?? ""
      return existing == e.target ? nil : "\(e.link): tag entry exists and names \(existing), not \(e.target); tags are immutable"
    default: return "\(e.link): tag entry exists and is not a symlink; tags are immutable"
    }
  }

  /// Writes the tag entry (idempotent; an existing entry naming another archive is refused).
  package static func write(dsl: String, tag: String, _ name: LoadsetName) throws(StoreError) {
    if let problem = problem(dsl: dsl, tag: tag, name) { throw StoreError(.store, problem) }
    let e = entry(dsl: dsl, tag: tag, name)
    try sys(Syscall.makeDirectories(Array(e.directory.utf8)))
    if Syscall.symlinkTarget(e.link) == e.target { return }
    do { try Syscall.symlink(Array(e.target.utf8), at: Array(e.link.utf8)) } catch {
      if error.errno != Errno.exists { throw .system(error) }
    }
    try? Syscall.syncDirectory(e.directory)
    try? Syscall.syncDirectory(folder(dsl: dsl, name) + "/tags")
  }

  /// Removes a tag entry this intent wrote (recover's undo), and its directory when empty.
  static func remove(dsl: String, tag: String, _ name: LoadsetName) throws(StoreError) {
    let e = entry(dsl: dsl, tag: tag, name)
    guard Syscall.symlinkTarget(e.link) == e.target else { return }
    do { try Syscall.unlink(Array(e.link.utf8)) } catch { if error.errno != Errno.noEntry { throw .system(error) } }
    try? Syscall.rmdir(Array(e.directory.utf8))
    try? Syscall.syncDirectory(folder(dsl: dsl, name) + "/tags")
  }

  /// Today's local date, `yyyymmdd`: the tags' date (fixed in the intent, so a replay writes the
  /// same tag on another day).
  package static func today() -> String {
    Clock.today()
  }
}

/// How a store with a DSL gets a build archived before it is released: the Library supplies it
/// (archiving is its job); the store calls it under the writer lock, after the release's checks
/// and before its intent, and refuses the release if the build is not archived afterwards.
package protocol ReleaseArchiver {
  /// Archives `build` from `store` into `dsl` unless it is archived already, without tagging it
  /// (the tags are steps of the release's intent). Throws to refuse the release.
  func ensureArchived(_ build: LoadsetName, from store: LoadsetStore, dsl: String) throws(StoreError)
}

extension LoadsetStore {
  /// The tag steps for a move of `current` to `build` in a store with a DSL: `Release-…` when
  /// the build has no Release tag yet (its archive was made now, or by an earlier release that
  /// crashed before its intent), and `PROD-…` of today unless it exists.
  func tagActions(for build: String, dsl: String?) -> [Intent.Action] {
    guard let dsl, let name = try? LoadsetName(parsing: build), DSLTags.isArchived(dsl: dsl, name) else { return [] }
    let date = DSLTags.today()
    var out: [Intent.Action] = []
    if !DSLTags.hasTag("Release", dsl: dsl, name) {
      out.append(.tag(dsl: dsl, tag: DSLTags.tagName("Release", name, date: date), loadset: build))
    }
    let prod = DSLTags.tagName("PROD", name, date: date)
    if !DSLTags.exists(dsl: dsl, tag: prod, name) { out.append(.tag(dsl: dsl, tag: prod, loadset: build)) }
    return out
  }

  /// Why a `tag` step of an intent could not be carried out, or nil.
  func tagProblem(dsl: String, tag: String, loadset: String) -> String? {
    guard dsl.hasPrefix("/"), !dsl.contains("\t"), !dsl.contains("\n") else { return "'\(dsl)' is not an absolute DSL path" }
    guard let name = try? LoadsetName(parsing: loadset), name.fileName == loadset, !name.isPointer else {
      return "'\(loadset)' is not a loadset name"
    }
    guard !tag.isEmpty, !tag.contains("/"), !tag.hasPrefix(".") else { return "'\(tag)' is not a tag name" }
    return DSLTags.problem(dsl: dsl, tag: tag, name)
  }
}
