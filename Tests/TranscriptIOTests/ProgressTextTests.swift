import Testing
@testable import TranscriptIO

struct ByteSizeTests {
  @Test("sizes keep one decimal below 10 units, whole units above, rounded to the nearest")
  func sizes() {
    #expect(ByteSize.text(0) == "0 B")
    #expect(ByteSize.text(1023) == "1023 B")
    #expect(ByteSize.text(1024) == "1.0 KiB")
    #expect(ByteSize.text(1536) == "1.5 KiB")
    // 3.58 GiB was "3 GiB" (truncated): the example.
    #expect(ByteSize.text(Int64(3.58 * 1073741824)) == "3.6 GiB")
    #expect(ByteSize.text(10 * 1024 * 1024 - 1) == "10 MiB")
    #expect(ByteSize.text(358 * 1024 * 1024 + 600 * 1024) == "359 MiB")
    // Never "1024 KiB": the next unit instead.
    #expect(ByteSize.text(1024 * 1024 - 10) == "1.0 MiB")
    #expect(ByteSize.text(5 << 40) == "5.0 TiB")
    #expect(ByteSize.text(Int64.max) == "8.0 EiB")
  }
}

struct ProgressLineTests {
  @Test("a phase with known totals shows percent, counts, sizes, rate and time left")
  func knownTotals() {
    let line = ProgressLine.text(what: "archive x-y-bin-os-001.001.T", files: 812, totalFiles: 1981,
                                 bytes: 1_610_612_736, totalBytes: 3_865_470_566, elapsed: 16, width: 200)
    #expect(line == "archive x-y-bin-os-001.001.T  41%  812/1981 files  1.5 GiB/3.6 GiB  96 MiB/s  23s left")
  }

  @Test("without a total: counts only, files per second when no bytes are counted")
  func unknownTotal() {
    #expect(ProgressLine.text(what: "capture /opt: listing", files: 12345, totalFiles: nil, bytes: 0, totalBytes: nil,
                              elapsed: 0.5, width: 200) == "capture /opt: listing  12345 files")
    #expect(ProgressLine.text(what: "capture /opt: listing", files: 3000, totalFiles: nil, bytes: 0, totalBytes: nil,
                              elapsed: 2, width: 200) == "capture /opt: listing  3000 files  1500 files/s")
  }

  @Test("counts past an estimated total are shown as the total; the line fits the terminal")
  func clampedAndFitted() {
    let line = ProgressLine.text(what: "build b", files: 12, totalFiles: 10, bytes: 0, totalBytes: nil, elapsed: 0, width: 200)
    #expect(line == "build b  100%  10/10 files")
    let narrow = ProgressLine.text(what: String(repeating: "x", count: 100), files: 1, totalFiles: nil, bytes: 0,
                                   totalBytes: nil, elapsed: 0, width: 40)
    #expect(narrow.count == 39 && narrow.hasSuffix("…"))
  }

  @Test("time left reads as seconds, minutes or hours")
  func durations() {
    #expect(ProgressLine.duration(42) == "42s")
    #expect(ProgressLine.duration(187) == "3m07s")
    #expect(ProgressLine.duration(3900) == "1h05m")
  }

  @Test("the line is redrawn from the start of the line and erased with the rest of it")
  func controlSequences() {
    #expect(ProgressLine.redraw("ab") == [0x0D, 0x61, 0x62, 0x1B, 0x5B, 0x4B])
    #expect(ProgressLine.erase == [0x0D, 0x1B, 0x5B, 0x4B])
  }
}

struct PercentLinesTests {
  @Test("radmind's -% lines: two digits at least, only when the percentage changes")
  func percentLines() {
    var lines = PercentLines()
    #expect(lines.line(0, path: Array("/a".utf8)) == Array("%00 /a\n".utf8))
    #expect(lines.line(0, path: Array("/b".utf8)) == nil)
    #expect(lines.line(7, path: Array("/c".utf8)) == Array("%07 /c\n".utf8))
    #expect(lines.line(100, path: []) == Array("%100 \n".utf8))
  }
}
