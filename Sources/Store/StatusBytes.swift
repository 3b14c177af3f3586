import SystemCalls
import TranscriptIO

/// Byte accounting with shared content: apparent bytes count every stored path, stored bytes
/// count each inode once (a version linking unchanged files costs only what changed).
package struct ByteAccount: Sendable, Equatable {
  package var apparent: Int64 = 0
  package var stored: Int64 = 0
  package init() {}
  var json: String { "{\"apparent\":\(apparent),\"stored\":\(stored)}" }
  var text: String { "\(StoreStatus.size(apparent)) apparent, \(StoreStatus.size(stored)) stored" }
}

/// Regular files below a loadset's file directory, by inode (never following symlinks).
struct StoredInodes {
  typealias Key = InodeKey
  struct Info { var size: Int64; var nlink: UInt64; var paths: Int64 }
  var inodes: [Key: Info] = [:]
  var apparent: Int64 = 0

  mutating func add(tree path: [UInt8]) {
    guard let st = Syscall.lstatIfPresent(path) else { return }
    switch FileType(mode: st.st_mode) {
    case .regular:
      apparent += Int64(st.st_size)
      let key = Key(st)
      inodes[key, default: Info(size: Int64(st.st_size), nlink: UInt64(st.st_nlink), paths: 0)].paths += 1
    case .directory:
      for entry in (try? Syscall.listDirectory(path)) ?? [] { add(tree: BytePath.join(path, entry)) }
    default:
      break
    }
  }

  var stored: Int64 { inodes.values.reduce(0) { $0 + $1.size } }
  /// What removing every path counted here frees: inodes with no link outside them.
  var freed: Int64 { inodes.values.reduce(0) { $0 + ($1.paths >= Int64($1.nlink) ? $1.size : 0) } }
}

extension LoadsetStore {
  /// Apparent and stored bytes of each series in `status` and of the whole store.
  func byteAccounts(of status: StoreStatus, wholeStore: Bool) -> (series: [String: ByteAccount], store: ByteAccount?) {
    var all = StoredInodes()
    var bySeries: [String: ByteAccount] = [:]
    for s in status.series {
      var mine = StoredInodes()
      for l in s.builds + s.nodeLoadsets + s.snapshots { mine.add(tree: Array(fileRoot(l.name).utf8)) }
      var account = ByteAccount()
      account.apparent = mine.apparent
      account.stored = mine.stored
      bySeries[s.name] = account
      if wholeStore {
        all.apparent += mine.apparent
        for (k, v) in mine.inodes { all.inodes[k] = v }
      }
    }
    guard wholeStore else { return (bySeries, nil) }
    var store = ByteAccount()
    store.apparent = all.apparent
    store.stored = all.stored
    return (bySeries, store)
  }

  /// Bytes that removing the loadsets `names` frees (an inode still linked elsewhere frees nothing).
  func bytesFreed(removing names: [String]) -> Int64 {
    var removed = StoredInodes()
    for name in names { removed.add(tree: Array(fileRoot(name).utf8)) }
    return removed.freed
  }
}

extension StoreStatus {
  var bytesText: String {
    var out = ""
    for s in series { if let b = bytes[s.name] { out += "  \(s.name): \(b.text)\n" } }
    if let storeBytes { out += "  store: \(storeBytes.text)\n" }
    return out.isEmpty ? "" : "\nbytes (apparent: every path; stored: each inode once)\n" + out
  }

  var bytesJSON: String {
    let series = bytes.keys.sorted().map { "\(JSONText.quote($0)):\(bytes[$0]!.json)" }.joined(separator: ",")
    return "\"bytes\":{\"series\":{\(series)},\"store\":\(storeBytes?.json ?? "null")}"
  }
}
