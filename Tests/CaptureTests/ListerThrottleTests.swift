import Testing
@testable import Capture
import RadmindFormat
import StoreTestSupport
import SystemCalls

/// The directory lister stops at its bound of listed objects and starts again only once the walk
/// has taken a quarter of them: not woken (and not reading one more directory) for every listing
/// the walk takes.
struct ListerThrottleTests {
  func readObjects(_ lister: DirectoryPrefetcher) -> Int {
    lister.monitor.lock()
    defer { lister.monitor.unlock() }
    return lister.readObjects
  }

  /// Polls until `condition` holds (5 s at most).
  func eventually(_ condition: () -> Bool) -> Bool {
    let deadline = Syscall.monotonicSeconds() + 5
    while Syscall.monotonicSeconds() < deadline {
      if condition() { return true }
      Clock.sleep(microseconds: 1000)
    }
    return condition()
  }

  @Test("at its bound the lister waits until the walk has taken a quarter of the listed objects")
  func resumesAtThreeQuarters() throws {
    let s = Scratch()
    // 20 directories of 4 files each; the bound is 10 objects, so it stops after 3 directories.
    s.sh("mkdir t && cd t && for d in 00 01 02 03 04 05 06 07 08 09 10 11 12 13 14 15 16 17 18 19; do mkdir d$d && touch d$d/a d$d/b d$d/c d$d/e; done")
    let root = Array((s.path + "/t").utf8)
    let order = PathOrder(caseInsensitive: false)
    let lister = DirectoryPrefetcher(order: order, excludes: ExcludeRule(), specials: [], maxObjects: 10, spins: 0)
    defer { lister.stop() }
    lister.push(try FilesystemObject.readDirectory(root, order: order))
    #expect(eventually { readObjects(lister) >= 10 })
    Clock.sleep(microseconds: 50_000)
    #expect(readObjects(lister) == 12)

    // The walk takes one listing: 8 objects left, not below three quarters of 10. The lister is
    // not woken and reads nothing more (it used to read one more directory at once).
    #expect(lister.take(root + Array("/d00".utf8))?.count == 4)
    Clock.sleep(microseconds: 50_000)
    #expect(readObjects(lister) == 8)

    // A second one: 4 left, below three quarters: it reads up to its bound again.
    #expect(lister.take(root + Array("/d01".utf8))?.count == 4)
    #expect(eventually { readObjects(lister) == 12 })
    Clock.sleep(microseconds: 50_000)
    #expect(readObjects(lister) == 12)
  }
}
