import Benchmark
import Foundation
import Loadsets
import RadmindFormat
import TranscriptIO

/// Inputs come from ../shared/bench/gen-transcript.py (made once, cached in $TMPDIR):
/// `sorted.T` (1M entries) and `shuffled.T` (the same lines, seeded shuffle).
enum Inputs {
  static let directory = (ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp") + "/loadsmith-bench"
  static let entries = Int(ProcessInfo.processInfo.environment["LOADSMITH_BENCH_ENTRIES"] ?? "1000000")!
  static var sorted: String { directory + "/sorted-\(entries).T" }
  static var shuffled: String { directory + "/shuffled-\(entries).T" }

  static func prepare() throws {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    if !FileManager.default.fileExists(atPath: sorted) {
      let here = URL(fileURLWithPath: #filePath)
      let generator = here.deletingLastPathComponent().appendingPathComponent("../../../../shared/bench/gen-transcript.py").standardized.path
      try shell("python3 '\(generator)' --entries \(entries) > '\(sorted)'")
    }
    if !FileManager.default.fileExists(atPath: shuffled) {
      try shell("python3 -c \"import random,sys; l=open(sys.argv[1],'rb').readlines(); random.Random(7).shuffle(l); open(sys.argv[2],'wb').writelines(l)\" '\(sorted)' '\(shuffled)'")
    }
  }

  static func shell(_ command: String) throws {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/sh")
    p.arguments = ["-c", command]
    try p.run()
    p.waitUntilExit()
  }

  static func size(_ path: String) -> Int {
    (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
  }
}

let benchmarks: @Sendable () -> Void = {
  Benchmark.defaultConfiguration = .init(
    metrics: [.wallClock, .cpuTotal, .throughput, .peakMemoryResident],
    maxDuration: .seconds(20), maxIterations: 5)
  try? Inputs.prepare()

  // Full parse and order check of every line (`loadsmith check`); throughput in bytes via scaledIterations.
  Benchmark("check (parse + order), bytes", configuration: .init(scalingFactor: .mega)) { benchmark in
    let path = Inputs.sorted
    for _ in benchmark.scaledIterations {
      let problems = TranscriptChecker.check(path: path, caseInsensitive: false) { _ in }
      blackHole(problems)
    }
  }

  // External merge sort of the shuffled transcript (what `lsort -o` does), to /dev/null.
  Benchmark("lsort (external sort), shuffled 1M lines") { benchmark in
    for _ in benchmark.scaledIterations {
      var sorter = ExternalSorter(order: .caseSensitive)
      var tokens = LineTokens()
      let reader = try LineReader(path: Inputs.shuffled)
      try reader.forEachLine { line, _, _ in
        tokens.split(line, limit: 3)
        try sorter.add(line: line, encodedPath: tokens.token(1, in: line))
        return true
      }
      let devNull = open("/dev/null", O_WRONLY)
      let out = OutputBuffer(fd: devNull)
      try sorter.finish(into: out)
      try out.flush()
      close(devNull)
    }
  }

  // Entry parsing with full field decoding (what fsdiff and diff do per line).
  Benchmark("parse into Entry, 1M lines") { benchmark in
    for _ in benchmark.scaledIterations {
      let reader = try LineReader(path: Inputs.sorted)
      var parser = TranscriptLineParser()
      var total: Int64 = 0
      try reader.forEachLine { line, _, _ in
        if let e = try? parser.parse(line) { total &+= e.size }
        return true
      }
      blackHole(total)
    }
  }
}
