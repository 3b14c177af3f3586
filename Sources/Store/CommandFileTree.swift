import SystemCalls

/// The command files of a server tree: `command/*.K` and, as radmind allows, `command/sub/*.K`
/// at any depth (a `k sub/x.K` line names them relative to `command/`).
extension LoadsetStore {
  /// Every regular `*.K` file below `command/`, relative to it (`web.K`, `site/web.K`), sorted;
  /// hidden entries are skipped and symlinks never followed (a link may lead out of the tree).
  func commandFilePaths() -> [String] {
    var out: [String] = []
    func walk(_ relative: String, depth: Int) {
      let dir = relative.isEmpty ? commandDirectory : commandDirectory + "/" + relative
      for entry in ((try? Syscall.listDirectoryNames(dir)) ?? []).sorted() where !entry.hasPrefix(".") {
        let path = relative.isEmpty ? entry : relative + "/" + entry
        switch Syscall.kind(commandDirectory + "/" + path) {
        case .directory where depth < 64: walk(path, depth: depth + 1)
        case .file where entry.hasSuffix(".K"): out.append(path)
        default: break
        }
      }
    }
    walk("", depth: 0)
    return out
  }
}
