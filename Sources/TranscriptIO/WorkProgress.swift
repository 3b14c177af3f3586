import Dispatch
import Synchronization
import SystemCalls

/// Where long store and library work (capture, build, archive, restore, verify, prune) reports
/// how far it is, and the one progress printer that shows it: a single line on a terminal
/// (``ProgressLine``), redrawn at most ten times a second and cleared when the phase ends.
///
/// The work says what it is doing and what it knows of the total (``begin(_:files:bytes:)``,
/// from what its walk or transcript already holds: never a second walk), counts what it has done
/// (``advance(files:bytes:)``, from any thread) and ends the phase (``end()``). Nothing is shown
/// unless the command line called ``show(on:)``; until then a report costs one atomic load.
public enum WorkProgress {
  struct Phase {
    var what: String
    var totalFiles: Int?
    var totalBytes: Int64?
    var started: Double
  }

  struct State {
    var fd: Int32 = -1
    var phase: Phase?
    /// The line on screen (nothing when 0) and when it was drawn.
    var shownLength = 0
    var shownText = ""
    var drawnAt = -Double.infinity
    var timer: DispatchSourceTimer?
  }

  static let showing = Atomic<Bool>(false)
  static let filesDone = Atomic<Int>(0)
  static let bytesDone = Atomic<Int>(0)
  static let state = Mutex<State>(State())
  static let redrawInterval = 0.1

  /// Starts showing progress on `fd` (the command line's choice: standard error when it is a
  /// terminal, or as `--progress` says).
  public static func show(on fd: Int32) {
    state.withLock { s in
      guard s.timer == nil else { return }
      s.fd = fd
      let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "loadsmith.progress"))
      timer.schedule(deadline: .now() + redrawInterval, repeating: redrawInterval)
      timer.setEventHandler { WorkProgress.tick() }
      timer.resume()
      s.timer = timer
    }
    showing.store(true, ordering: .releasing)
  }

  /// Stops showing (the line is cleared).
  public static func stop() {
    showing.store(false, ordering: .releasing)
    state.withLock { s in
      s.timer?.cancel()
      s.timer = nil
      clear(&s)
      s.phase = nil
    }
  }

  /// A phase starts: `what` is being done, over `files` files and `bytes` bytes when known.
  /// The counts start from zero; the line is drawn now unless it was drawn less than 0.1 s ago.
  public static func begin(_ what: String, files: Int? = nil, bytes: Int64? = nil) {
    guard showing.load(ordering: .relaxed) else { return }
    filesDone.store(0, ordering: .relaxed)
    bytesDone.store(0, ordering: .relaxed)
    state.withLock { s in
      let now = monotonicSeconds()
      s.phase = Phase(what: what, totalFiles: files, totalBytes: bytes, started: now)
      if now - s.drawnAt >= redrawInterval { draw(&s, now: now) }
    }
  }

  /// Work done since the last report: cheap enough for every file and every chunk read.
  @inline(__always)
  public static func advance(files: Int = 0, bytes: Int64 = 0) {
    guard showing.load(ordering: .relaxed) else { return }
    if files != 0 { filesDone.add(files, ordering: .relaxed) }
    if bytes != 0 { bytesDone.add(Int(bytes), ordering: .relaxed) }
  }

  /// The phase is over: its line is cleared (so that what the command prints next starts clean).
  public static func end() {
    guard showing.load(ordering: .relaxed) else { return }
    state.withLock { s in
      s.phase = nil
      clear(&s)
    }
  }

  /// Clears the line before a message goes to the same terminal; the next redraw is at least
  /// 0.1 s later, after the message.
  public static func clearForMessage() {
    guard showing.load(ordering: .relaxed) else { return }
    state.withLock { s in
      clear(&s)
      s.drawnAt = monotonicSeconds()
    }
  }

  static func tick() {
    state.withLock { s in
      let now = monotonicSeconds()
      if now - s.drawnAt >= redrawInterval * 0.9 { draw(&s, now: now) }
    }
  }

  static func draw(_ s: inout State, now: Double) {
    guard let phase = s.phase, s.fd >= 0 else { return }
    let line = ProgressLine.text(
      what: phase.what, files: filesDone.load(ordering: .relaxed), totalFiles: phase.totalFiles,
      bytes: Int64(bytesDone.load(ordering: .relaxed)), totalBytes: phase.totalBytes,
      elapsed: now - phase.started, width: ProgressLine.width(of: s.fd))
    s.drawnAt = now
    if s.shownLength > 0 && line == s.shownText { return }  // the same text is not sent again
    write(s.fd, ProgressLine.redraw(line))
    s.shownLength = max(1, line.count)
    s.shownText = line
  }

  static func clear(_ s: inout State) {
    guard s.shownLength > 0, s.fd >= 0 else { return }
    write(s.fd, ProgressLine.erase)
    s.shownLength = 0
  }

  static func write(_ fd: Int32, _ bytes: [UInt8]) { Syscall.writeAllQuietly(fd, bytes) }

  static func monotonicSeconds() -> Double { Syscall.monotonicSeconds() }
}
