import Foundation
import StoreTestSupport
import Testing

/// Issue 11: `capture --base` and `import` share content through the index as the plain capture does.
@Suite(.serialized) struct CheckedCopyShareTests {
  static let bin = "was-apache-bin-rhel5"

  static func stat(_ path: String) -> (ino: UInt64, mode: UInt32, size: Int64)? {
    var st = Foundation.stat()
    guard lstat(path, &st) == 0 else { return nil }
    return (UInt64(st.st_ino), UInt32(st.st_mode) & 0o7777, Int64(st.st_size))
  }

  /// Paths of the non-empty regular files below `root`, relative to it.
  static func files(_ root: String) throws -> [String] {
    let walk = try #require(FileManager.default.enumerator(atPath: root))
    var out: [String] = []
    while let relative = walk.nextObject() as? String {
      var st = Foundation.stat()
      if lstat(root + "/" + relative, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_size > 0 { out.append(relative) }
    }
    return out.sorted()
  }

  @Test("capture --base and import link content the store holds instead of copying it; their copies are read-only and shared")
  func baseAndImportShare() throws {
    let s = try CLI.scratch("checked-share")
    defer { CLI.remove(s.dir) }
    try CLI.ok(["capture", s.staging, "--loadset", Self.bin, "--node", "/usr/local/apache", "--version", "001.001"], store: s.store)
    let plain = s.store + "/file/\(Self.bin)-001.001-node1.T"
    let expected = try Self.files(plain)
    #expect(expected.count >= 5)
    // A base that lists nothing: every file of the node is added, so capture --base stores them all.
    // An lcreate upload of the same node for import.
    let up = s.dir + "/upload"
    let r = try CLI.sh("""
      set -e
      cd '\(s.dir)' && : > empty.T && printf 'p empty.T\\n' > base.K && : > empty.K
      mkdir -p '\(up)/file' && cd '\(s.staging)'
      '\(CLI.binary)' fsdiff -C -K '\(s.dir)/empty.K' -c sha1 ./usr/local/apache > '\(up)/apache.T'
      cp -R --parents ./usr/local/apache '\(up)/file/'
      """)
    try #require(r.status == 0, "\(r.err)")
    let base = try CLI.run(["capture", s.staging, "--loadset", Self.bin, "--node", "/usr/local/apache", "--base", s.dir + "/base.K",
                            "--version", "002.001"], store: s.store)
    try #require(base.status == 0, "\(base.out)\(base.err)")
    try CLI.ok(["import", up + "/apache.T", "--files", up + "/file", "--as", "\(Self.bin)-003.001-node1.T"], store: s.store)
    for version in ["002.001", "003.001"] {
      let other = s.store + "/file/\(Self.bin)-\(version)-node1.T"
      #expect(try Self.files(other) == expected, "\(version) stores other files")
      for path in expected {
        let a = Self.stat(plain + "/" + path), b = Self.stat(other + "/" + path)
        #expect(a != nil && a?.ino == b?.ino, "\(version): \(path) copied instead of linked")
      }
    }
    // Content new to the store: copied read-only, and equal files of one import share one inode.
    let twin = s.dir + "/twin"
    let t = try CLI.sh("""
      set -e
      mkdir -p '\(twin)/file/opt' && cd '\(twin)/file'
      printf 'new content\\n' > opt/a && printf 'new content\\n' > opt/b
      '\(CLI.binary)' fsdiff -C -K '\(s.dir)/empty.K' -c sha1 ./opt > '\(twin)/twin.T'
      """)
    try #require(t.status == 0, "\(t.err)")
    try CLI.ok(["import", twin + "/twin.T", "--files", twin + "/file", "--as", "\(Self.bin)-004.001-node1.T"], store: s.store)
    let fresh = s.store + "/file/\(Self.bin)-004.001-node1.T/opt"
    #expect(Self.stat(fresh + "/a")?.mode == 0o444)
    #expect(Self.stat(fresh + "/a")?.ino == Self.stat(fresh + "/b")?.ino)
    let v = try CLI.run(["verify"], store: s.store)
    #expect(v.status == 0, "\(v.out)")
  }
}
