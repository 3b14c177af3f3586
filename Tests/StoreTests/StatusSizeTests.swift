import Foundation
import StoreTestSupport
import Testing

struct StatusSizeTests {
  @Test("status shows sizes with one decimal where it matters: 3.58 MiB is 3.6 MiB, not 3 MiB")
  func oneDecimal() throws {
    let s = try CLI.scratch("status-size")
    defer { CLI.remove(s.dir) }
    let node = s.dir + "/big/opt/app"
    try FileManager.default.createDirectory(atPath: node, withIntermediateDirectories: true)
    try Data(repeating: 0x61, count: 3_758_096).write(to: URL(fileURLWithPath: node + "/blob"))  // 3.58 MiB
    try CLI.ok(["capture", s.dir + "/big", "--loadset", "app-main-bin-os", "--node", "/opt/app"], store: s.store)
    let status = try CLI.ok(["status"], store: s.store)
    #expect(status.contains("1 files, 3.6 MiB"), "\(status)")
  }
}
