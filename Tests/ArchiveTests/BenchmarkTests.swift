import Foundation
import Glibc
import Testing
@testable import Archive

/// Wall-clock comparison against GNU tar + gzip; runs only when LOADSMITH_ARCHIVE_BENCH
/// names a tree (see scripts/bench-archive.sh, which builds in release first).
struct BenchmarkTests {
  static let tree = ProcessInfo.processInfo.environment["LOADSMITH_ARCHIVE_BENCH"]

  func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
  }

  func time(_ body: () throws -> Void) rethrows -> Double {
    let start = now()
    try body()
    return now() - start
  }

  /// CPU seconds (user + system) of this process and of its waited-for children.
  func cpu() -> (own: Double, children: Double) {
    func seconds(_ who: Int32) -> Double {
      var u = rusage()
      getrusage(__rusage_who_t(who), &u)
      return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
    }
    return (seconds(RUSAGE_SELF.rawValue), seconds(RUSAGE_CHILDREN.rawValue))
  }

  @Test("bench: compress and extract vs GNU tar -czf / -xzf", .enabled(if: tree != nil))
  func compareWithGNUTar() throws {
    let tree = Self.tree!
    let work = ProcessInfo.processInfo.environment["LOADSMITH_ARCHIVE_BENCH_WORK"] ?? "/tmp"
    let rounds = Int(ProcessInfo.processInfo.environment["LOADSMITH_ARCHIVE_BENCH_ROUNDS"] ?? "2") ?? 2
    let ours = work + "/bench-ours.tar.gz", theirs = work + "/bench-gnu.tar.gz"
    let oursOut = work + "/bench-x-ours", theirsOut = work + "/bench-x-gnu"
    var oursCompress: [Double] = [], gnuCompress: [Double] = []
    var oursExtract: [Double] = [], gnuExtract: [Double] = []
    _ = try run("/bin/sh", ["-c", "cat $(find \(tree) -type f | head -3000) > /dev/null"])  // warm the cache a little
    var oursCPU = 0.0, gnuCPU = 0.0
    for _ in 0..<rounds {
      // Alternate the two tools so machine noise hits both.
      let before = cpu()
      oursCompress.append(try time {
        try writeAtomically(at: Array(ours.utf8)) { fd in
          let writer = try ArchiveWriter(fd: fd, level: 6, threads: 2)
          try writer.addTree(at: Array(tree.utf8), prefix: Array("./".utf8))
          try writer.finish()
        }
      })
      let middle = cpu()
      gnuCompress.append(try time {
        let r = try run("/usr/bin/tar", ["-czf", theirs, "-C", tree, "."])
        #expect(r.status == 0, "\(r.output)")
      })
      let after = cpu()
      oursCPU += middle.own - before.own
      gnuCPU += after.children - middle.children
      _ = try run("/bin/rm", ["-rf", oursOut, theirsOut])
      mkdir(oursOut, 0o755)
      mkdir(theirsOut, 0o755)
      oursExtract.append(try time {
        let fd = open(ours, O_RDONLY)
        defer { close(fd) }
        _ = try ArchiveReader(fd: fd).extractAll(into: Array(oursOut.utf8))
      })
      gnuExtract.append(try time {
        let r = try run("/usr/bin/tar", ["-xzf", theirs, "-C", theirsOut])
        #expect(r.status == 0, "\(r.output)")
      })
    }
    let oursSize = readSize(ours), gnuSize = readSize(theirs)
    let check = try run("/usr/bin/gzip", ["-t", ours])
    #expect(check.status == 0)
    let diff = try run("/usr/bin/diff", ["-r", "-q", tree, oursOut])
    #expect(diff.status == 0, "extracted tree differs: \(diff.output.prefix(500))")
    func best(_ xs: [Double]) -> Double { xs.min()! }
    func f(_ x: Double) -> String { String(format: "%.2f", x) }
    print("""
      ARCHIVE-BENCH tree=\(tree) rounds=\(rounds)
      ARCHIVE-BENCH compress: ours \(oursCompress.map(f)) s, tar -czf \(gnuCompress.map(f)) s, ratio(best) \(f(best(oursCompress) / best(gnuCompress)))
      ARCHIVE-BENCH compress CPU (user+sys, all rounds): ours \(f(oursCPU)) s, tar+gzip \(f(gnuCPU)) s
      ARCHIVE-BENCH size: ours \(oursSize) B, tar -czf \(gnuSize) B, ratio \(String(format: "%.4f", Double(oursSize) / Double(gnuSize)))
      ARCHIVE-BENCH extract: ours \(oursExtract.map(f)) s, tar -xzf \(gnuExtract.map(f)) s, ratio(best) \(f(best(oursExtract) / best(gnuExtract)))
      """)
    _ = try run("/bin/rm", ["-rf", oursOut, theirsOut, ours, theirs])
  }

  func readSize(_ path: String) -> Int64 {
    var st = stat()
    return stat(path, &st) == 0 ? Int64(st.st_size) : -1
  }
}
