import Foundation
import StoreTestSupport
import Testing

/// lsort -o departs from radmind only in being atomic: a failed run leaves no output behind.
@Suite struct LsortOutputTests {
  @Test("a bad line leaves no new -o file and an existing one untouched; an unwritable -o is reported first")
  func failedRunLeavesNothing() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lsort-o-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try "f /b 1\nf\n".write(toFile: dir + "/bad.T", atomically: false, encoding: .utf8)
    let fresh = try CLI.run(["lsort", "-o", dir + "/new.T", dir + "/bad.T"])
    #expect(fresh.status == 1 && fresh.err == "\(dir)/bad.T: line 2: not enough fields\n")
    #expect(!FileManager.default.fileExists(atPath: dir + "/new.T"))
    try "old\n".write(toFile: dir + "/old.T", atomically: false, encoding: .utf8)
    _ = try CLI.run(["lsort", "-o", dir + "/old.T", dir + "/bad.T"])
    #expect(try String(contentsOfFile: dir + "/old.T", encoding: .utf8) == "old\n")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["bad.T", "old.T"])
    let missingDir = try CLI.run(["lsort", "-o", dir + "/no/such.T", dir + "/bad.T"])
    #expect(missingDir.status == 1 && missingDir.err == "\(dir)/no/such.T: No such file or directory\n")
  }
}
