import SystemCalls
import Testing
import TranscriptIO

/// The one hard-link table (fsdiff's `h` groups, the archiver's hard-link members).
@Suite struct HardLinkTableTests {
  @Test("the first link of a multiply-linked inode is recorded; later links get it back; single links never")
  func firstLinkWins() {
    var table = HardLinkTable<[UInt8]>()
    let a = InodeKey(device: 1, inode: 7), sameInodeOtherDevice = InodeKey(device: 2, inode: 7)
    #expect(table.firstLink(a, links: 2, else: [0x61]) == nil)
    #expect(table.firstLink(a, links: 2, else: [0x62]) == [0x61])
    #expect(table.firstLink(sameInodeOtherDevice, links: 2, else: [0x63]) == nil)
    #expect(table.firstLink(InodeKey(device: 1, inode: 8), links: 1, else: [0x64]) == nil)
    #expect(table[InodeKey(device: 1, inode: 8)] == nil)
  }

  @Test("an inode key is the stat's device and inode")
  func keyFromStat() throws {
    let st = try Syscall.lstat(Array("/".utf8))
    #expect(InodeKey(st) == InodeKey(device: UInt64(st.st_dev), inode: UInt64(st.st_ino)))
  }
}
