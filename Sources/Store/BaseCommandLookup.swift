import SystemCalls

/// Where the transcripts of a `capture --base K` command file are: next to K (radmind's client
/// side, `fsdiff -K`), unless K is a command file of a store or server tree
/// (`STORE/command/K`, `STORE/command/sub/K`), whose `p`/`n` names are in `STORE/transcript/`
/// and `k` names in `STORE/command/`, as the radmind server resolves them.
extension LoadsetStore {
  /// The store (as bytes, for ``CommandFileLoader/serverDirectory``) whose `command/` folder
  /// holds `kfile`, or nil. The nearest `command` folder above K counts, when the folder beside
  /// it is a store (`.loadsmith/`) with a `transcript/` folder.
  static func serverDirectory(forCommandFile kfile: String) -> [UInt8]? {
    guard var dir = realPath(kfile).map({ BytePath.split($0).directory }) else { return nil }
    while dir != "/" && dir != "." {
      let (parent, name) = BytePath.split(dir)
      if name == "command" {
        let store = parent
        if Syscall.kind(store + "/.loadsmith") == .directory && Syscall.kind(store + "/transcript") == .directory {
          return Array(store.utf8)
        }
        return nil
      }
      dir = parent
    }
    return nil
  }
}
