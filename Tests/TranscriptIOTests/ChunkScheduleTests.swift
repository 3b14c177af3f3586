import Testing
@testable import TranscriptIO

/// How large the sorter lets a chunk grow: cache-sized first, then with the input, up to its largest.
struct ChunkScheduleTests {
  /// The chunks `input` bytes make when every chunk is handed over exactly full.
  func chunks(of input: Int, largest: Int) -> (count: Int, sizes: Set<Int>) {
    var schedule = ChunkSchedule(largest: largest)
    var count = 0, sizes = Set<Int>()
    while schedule.consumed < input {
      sizes.insert(schedule.size)
      schedule.consumed += schedule.size
      count += 1
    }
    return (count, sizes)
  }

  @Test("chunks are 4 MiB until 256 MiB of input, then a 64th of the input read, never past the largest")
  func sizes() {
    var s = ChunkSchedule(largest: 64 << 20)
    #expect(s.size == 4 << 20)
    s.consumed = 256 << 20
    #expect(s.size == 4 << 20)
    s.consumed = 512 << 20
    #expect(s.size == 8 << 20)
    s.consumed = 1 << 40
    #expect(s.size == 64 << 20)
    // A budget below the smallest chunk (the tests' tiny budgets) is obeyed.
    #expect(ChunkSchedule(largest: 1000).size == 1000)
  }

  @Test("the number of runs grows with the logarithm of the input until chunks reach their largest")
  func boundedRuns() {
    let benchmark = chunks(of: 304_000_000, largest: 64 << 20)
    #expect(benchmark.count >= 70 && benchmark.count <= 73)
    #expect(benchmark.sizes.max()! < 5 << 20)
    // 10 GiB in at most 64 MiB chunks: about 340 chunks (680 runs), where fixed 4 MiB chunks
    // would make 2,560 (5,120 runs, past a usual limit of open files).
    let large = chunks(of: 10 << 30, largest: 64 << 20)
    #expect(large.count < 360)
    #expect(large.sizes.max() == 64 << 20)
  }
}
