#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import Capture
import RadmindFormat
import StoreTestSupport
import SystemCalls

/// With checksums, the directory lister reads below the directories read ahead of the walk
/// (``DirectoryPrefetcher/nextDeeperJob()``), offers those files to the hasher and hands the
/// listings to the walk when it enters them.
struct DeeperReadAheadTests {
  @Test("files a few levels below the walk's lists are offered to the hasher, and their listings reach the walk")
  func deepFilesOffered() throws {
    let s = Scratch()
    s.sh("mkdir -p t/a/b/c t/z && echo 1 > t/a/b/c/f1 && echo 2 > t/a/b/c/f2")
    let root = Array((s.path + "/t").utf8)
    let order = PathOrder(caseInsensitive: false)
    let lister = DirectoryPrefetcher(order: order, excludes: ExcludeRule(), specials: [], spins: 0, readsDeeper: true)
    let top = try FilesystemObject.readDirectory(root, order: order)
    lister.push(top)
    // Only t/a and t/z are in the walk's list; c's files are three levels down.
    let want = [root + Array("/a/b/c/f1".utf8), root + Array("/a/b/c/f2".utf8)]
    var offered: (level: Int, paths: [[UInt8]])?
    let deadline = Syscall.monotonicSeconds() + 5
    while Syscall.monotonicSeconds() < deadline {
      if let found = lister.filesReadAhead(levels: 1) {
        offered = found
        break
      }
      Clock.sleep(microseconds: 1000)
    }
    #expect(offered?.level == 0)
    #expect(offered?.paths == want)
    lister.stop()
    // The lister is stopped: what the walk gets now was read ahead, below its list included.
    let a = lister.take(root + Array("/a".utf8))
    #expect(a?.map(\.path) == [root + Array("/a/b".utf8)])
    lister.push(a ?? [])
    let b = lister.take(root + Array("/a/b".utf8))
    #expect(b?.map(\.path) == [root + Array("/a/b/c".utf8)])
    lister.push(b ?? [])
    #expect(lister.take(root + Array("/a/b/c".utf8))?.map(\.path) == want)
  }
}
