import Benchmark
import Foundation
import Hashing

/// Hashing throughput (issue 3): one big file and many small files, on one thread and on all
/// cores through the order-preserving pool. Inputs are made once in $TMPDIR/loadsmith-bench-hash.
enum HashInputs {
  static let directory = (ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp") + "/loadsmith-bench-hash"
  static var big: String { directory + "/big-256MiB" }
  static var smallDirectory: String { directory + "/small" }
  static let smallCount = 20_000

  static func prepare() throws {
    let fm = FileManager.default
    try fm.createDirectory(atPath: smallDirectory, withIntermediateDirectories: true)
    if !fm.fileExists(atPath: big) {
      var block = [UInt8](repeating: 0, count: 1 << 20)
      for i in block.indices { block[i] = UInt8(truncatingIfNeeded: i &* 2_654_435_761 >> 13) }
      fm.createFile(atPath: big, contents: nil)
      let h = try FileHandle(forWritingTo: URL(fileURLWithPath: big))
      for _ in 0 ..< 256 { h.write(Data(block)) }
      try h.close()
    }
    let last = smallDirectory + "/f\(smallCount - 1)"
    if !fm.fileExists(atPath: last) {
      for i in 0 ..< smallCount {
        fm.createFile(atPath: smallDirectory + "/f\(i)", contents: Data(repeating: UInt8(i & 0xFF), count: 512 + (i % 7) * 1000))
      }
    }
  }

  static var smallPaths: [[UInt8]] { (0 ..< smallCount).map { Array((smallDirectory + "/f\($0)").utf8) } }
}

func hashAll(_ paths: [[UInt8]], threads: Int) throws -> Int64 {
  let pool = OrderedHashPool(algorithm: try DigestAlgorithm(named: "sha1"), threads: threads)
  var index = 0
  var total: Int64 = 0
  pool.run(next: { () -> (path: [UInt8]?, context: Int)? in
    guard index < paths.count else { return nil }
    defer { index += 1 }
    return (paths[index], index)
  }, deliver: { (_: Int, result: Result<FileDigest, FileHashError>?) -> Bool in
    if case .success(let d)? = result { total += d.bytesHashed }
    return true
  })
  return total
}

let benchmarks: @Sendable () -> Void = {
  Benchmark.defaultConfiguration = .init(
    metrics: [.wallClock, .cpuTotal, .throughput, .peakMemoryResident],
    maxDuration: .seconds(15), maxIterations: 10)
  try? HashInputs.prepare()

  Benchmark("sha1 of one 256 MiB file") { benchmark in
    let hasher = FileHasher(algorithm: try DigestAlgorithm(named: "sha1"))
    for _ in benchmark.scaledIterations {
      blackHole(hasher.hash(path: Array(HashInputs.big.utf8)))
    }
  }
  Benchmark("sha1 of 20k small files, 1 thread") { benchmark in
    let paths = HashInputs.smallPaths
    for _ in benchmark.scaledIterations { blackHole(try hashAll(paths, threads: 0)) }
  }
  Benchmark("sha1 of 20k small files, all cores (ordered pool)") { benchmark in
    let paths = HashInputs.smallPaths
    for _ in benchmark.scaledIterations { blackHole(try hashAll(paths, threads: OrderedHashPool.availableCPUs)) }
  }
  Benchmark("sha1 of the 256 MiB file four times, all cores") { benchmark in
    // Four names for the big file: the pool hashes them on all cores, results in order.
    let paths = Array(repeating: Array(HashInputs.big.utf8), count: 4)
    for _ in benchmark.scaledIterations { blackHole(try hashAll(paths, threads: OrderedHashPool.availableCPUs)) }
  }
}
