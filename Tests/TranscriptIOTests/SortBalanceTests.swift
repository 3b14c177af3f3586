import Testing
@testable import TranscriptIO

/// The split of a full chunk's sorting between the filling and the spilling thread.
struct SortBalanceTests {
  @Test("the spilling thread's idle time moves records to it; the filling thread's wait moves them back")
  func movesByMeasuredTime() {
    var b = SortBalance()
    #expect(b.fillerRecords(of: 1000) == 500)
    // Idle 0.1 s at 1 µs per record over 200,000 records: a quarter of 100,000 records moves.
    b.adjust(waited: 0, idle: 0.1, secondsPerRecord: 1e-6, records: 200_000)
    #expect(abs(b.fillerShare - 0.375) < 1e-9)
    b.adjust(waited: 0.04, idle: 0, secondsPerRecord: 1e-6, records: 200_000)
    #expect(abs(b.fillerShare - 0.425) < 1e-9)
    #expect(b.fillerRecords(of: 1000) == 425)
  }

  @Test("the split stays within its bounds and ignores a chunk without a measurement")
  func bounded() {
    var b = SortBalance()
    b.adjust(waited: 0, idle: 10, secondsPerRecord: 1e-6, records: 1000)
    #expect(b.fillerShare == SortBalance.lowestShare)
    b.adjust(waited: 10, idle: 0, secondsPerRecord: 1e-6, records: 1000)
    #expect(b.fillerShare == SortBalance.highestShare)
    b.adjust(waited: 0, idle: 1, secondsPerRecord: 0, records: 1000)
    b.adjust(waited: 0, idle: 1, secondsPerRecord: 1e-6, records: 0)
    #expect(b.fillerShare == SortBalance.highestShare)
  }
}
