import SystemCalls
import RadmindFormat
import TranscriptIO

/// `fsdiff -C` with no transcripts and no checksums (every object is a filesystem-only line) on
/// two cores: two threads walk different subtrees, `lstat`ing and formatting into byte buffers,
/// and the calling thread writes the buffers in radmind order.
///
/// * A thread entering a directory while the other waits with nothing to do hands off every
///   subdirectory but the first as a unit, leaving a marker in its own output where each goes.
///   It walks a unit nobody took itself, inline, when its walk reaches it: idleness is the only
///   cue to split, so few subtrees are handed off.
/// * The calling thread writes what is complete, in order (its own buffers and the worker's,
///   following the markers), and walks pending units itself while it cannot write.
/// * Hard links: a multiply-linked object stays an object in the buffer and joins its group when
///   it is written, so the first path in order is the `f`, as in the sequential walk.
/// * Errors: a failing directory ends its unit with the error; writing stops there and throws,
///   after exactly the lines the sequential walk prints before it.
///
/// Memory: the worker starts no new unit while more than ``maxBuffered`` bytes wait to be
/// written; beyond that, at most the subtree it is walking.
final class SubtreeLister: MonitoredWorker, @unchecked Sendable {
  enum Segment {
    case bytes([UInt8])
    /// A multiply-linked object: joins its hard-link group when written.
    case linked(FilesystemObject)
    /// A subtree handed off: written here, in its own unit's order.
    case unit(Unit)
    case failure(CaptureError)
  }

  final class Unit {
    let top: FilesystemObject
    var state = State.pending
    var segments: [Segment] = []
    init(top: FilesystemObject) { self.top = top }
  }

  enum State { case pending, running, done, inline }

  /// One thread's unit under construction: lines not yet a segment, and a line's scratch space.
  struct Sink {
    var unit: Unit
    var bytes: [UInt8] = []
    var scratch: UnsafeMutablePointer<UInt8>
    var scratchCapacity: Int
  }

  let order: PathOrder
  let excludes: ExcludeRule
  let maxBuffered: Int
  /// Tests: hand off at every directory with nothing pending, idle thread or not.
  var eagerHandOff = false
  let monitor = Monitor(conditions: 1)
  // Shared, under the monitor.
  private var pending: [Unit] = []
  private var pendingHead = 0
  private var idle = 0
  private var buffered = 0
  var stopping = false
  var thread: JoinableThread?
  // The calling thread's only.
  private var stack: [(unit: Unit, next: Int)] = []
  private var links = HardLinkGroups()
  private var out: OutputBuffer?
  private var writeError: CaptureError?
  private var lineScratch: [UInt8] = []

  /// Bytes a sink holds before they become a segment the writer can take.
  static let segmentSize = 1 << 16

  init(order: PathOrder, excludes: ExcludeRule, maxBuffered: Int = 32 << 20) {
    self.order = order
    self.excludes = excludes
    self.maxBuffered = maxBuffered
  }

  /// Writes the lines of `top` (already `lstat`ed, not excluded) and everything below it to
  /// `out`, in order; `links` is the run's hard-link table, updated.
  func run(_ top: FilesystemObject, links: inout HardLinkGroups, out: OutputBuffer) throws(CaptureError) {
    self.links = links
    self.out = out
    defer {
      links = self.links
      self.out = nil
    }
    startWorker()
    defer { stopWorker() }
    let root = Unit(top: top)
    root.state = .running
    stack = [(root, 0)]
    walkUnit(root, caller: true)
    drain()
    while !stack.isEmpty && writeError == nil {
      monitor.lock()
      if let unit = takePending() {
        monitor.unlock()
        walkUnit(unit, caller: true)
      } else {
        if !canAdvance() {
          idle += 1
          monitor.wait(0)
          idle -= 1
        }
        monitor.unlock()
      }
      drain()
    }
    if let writeError { throw writeError }
  }

  // MARK: Walking a unit

  /// Walks `unit` from its top and marks it done; the calling thread (`caller`) also writes
  /// what is ready each time a segment is made.
  private func walkUnit(_ unit: Unit, caller: Bool) {
    var sink = Sink(unit: unit, scratch: .allocate(capacity: 1 << 13), scratchCapacity: 1 << 13)
    defer { sink.scratch.deallocate() }
    sink.bytes.reserveCapacity(SubtreeLister.segmentSize + 4096)
    do throws(CaptureError) {
      try walk(unit.top, into: &sink, caller: caller)
      flush(&sink)
    } catch {
      flush(&sink)
      append(.failure(error), to: unit)
    }
    monitor.lock()
    unit.state = .done
    monitor.broadcast(0)
    monitor.unlock()
  }

  private func walk(_ object: FilesystemObject, into sink: inout Sink, caller: Bool) throws(CaptureError) {
    if object.kind != .directory && object.nlink > 1 {
      flush(&sink)
      append(.linked(object), to: sink.unit)
    } else {
      SubtreeLister.formatLine(object, into: &sink.bytes, scratch: &sink.scratch, capacity: &sink.scratchCapacity)
      if sink.bytes.count >= SubtreeLister.segmentSize {
        flush(&sink)
        if caller { drain() }
      }
    }
    guard object.kind == .directory else { return }
    if isStopping() { return }
    var children = try FilesystemObject.readDirectory(object.path, order: order)
    if !excludes.patterns.isEmpty { children.removeAll { excludes.excludes($0.path) } }
    let handed = handOff(children)
    var k = 0
    for child in children {
      if k < handed.count, handed[k].top.path == child.path {
        let unit = handed[k]
        k += 1
        monitor.lock()
        let mine = unit.state == .pending
        if mine { unit.state = .inline }
        monitor.unlock()
        if !mine {
          flush(&sink)
          append(.unit(unit), to: sink.unit)
          continue
        }
      }
      try walk(child, into: &sink, caller: caller)
    }
  }

  /// When the other thread waits with nothing pending: every subdirectory of `children` but the
  /// first, as pending units (in order). Otherwise none.
  private func handOff(_ children: [FilesystemObject]) -> [Unit] {
    monitor.lock()
    let wanted = (idle > 0 || eagerHandOff) && pendingHead == pending.count
    monitor.unlock()
    guard wanted else { return [] }
    var units: [Unit] = []
    var first = true
    for child in children where child.kind == .directory {
      if first { first = false; continue }
      units.append(Unit(top: child))
    }
    guard !units.isEmpty else { return [] }
    monitor.lock()
    if pendingHead == pending.count {
      pending.removeAll(keepingCapacity: true)
      pendingHead = 0
    }
    pending.append(contentsOf: units)
    monitor.broadcast(0)
    monitor.unlock()
    return units
  }

  /// The first unit still pending, marked running (monitor held).
  private func takePending() -> Unit? {
    while pendingHead < pending.count {
      let unit = pending[pendingHead]
      pendingHead += 1
      if unit.state == .pending {
        unit.state = .running
        return unit
      }
    }
    return nil
  }

  private func flush(_ sink: inout Sink) {
    guard !sink.bytes.isEmpty else { return }
    let bytes = sink.bytes
    sink.bytes = []
    sink.bytes.reserveCapacity(SubtreeLister.segmentSize + 4096)
    append(.bytes(bytes), to: sink.unit)
  }

  private func append(_ segment: Segment, to unit: Unit) {
    monitor.lock()
    if case .bytes(let b) = segment { buffered += b.count }
    unit.segments.append(segment)
    monitor.broadcast(0)
    monitor.unlock()
  }

  private func isStopping() -> Bool {
    monitor.lock()
    defer { monitor.unlock() }
    return stopping
  }

  // MARK: Writing in order (calling thread)

  /// Whether the writer can take a segment or leave a finished unit (monitor held).
  private func canAdvance() -> Bool {
    guard let (unit, next) = stack.last else { return true }
    return next < unit.segments.count || unit.state == .done
  }

  /// Writes every segment that is ready, in order. A failed write or a failure segment stops
  /// the lister (``writeError``).
  private func drain() {
    guard writeError == nil, let out else { return }
    while let (unit, next) = stack.last {
      monitor.lock()
      var segment: Segment?
      if next < unit.segments.count {
        segment = unit.segments[next]
        unit.segments[next] = .bytes([])
        if case .bytes(let b) = segment! { buffered -= b.count }
        monitor.broadcast(0)
      }
      let done = unit.state == .done
      monitor.unlock()
      guard let segment else {
        if done { stack.removeLast(); continue }
        return
      }
      stack[stack.count - 1].next = next + 1
      do throws(CaptureError) {
        switch segment {
        case .bytes(let b):
          try write(b, to: out)
        case .linked(var object):
          links.join(&object)
          lineScratch.removeAll(keepingCapacity: true)
          var scratch = UnsafeMutablePointer<UInt8>.allocate(capacity: 1 << 13)
          var capacity = 1 << 13
          SubtreeLister.formatLine(object, into: &lineScratch, scratch: &scratch, capacity: &capacity)
          scratch.deallocate()
          try write(lineScratch, to: out)
        case .unit(let u):
          stack.append((u, 0))
        case .failure(let e):
          throw e
        }
      } catch {
        writeError = error
        monitor.lock()
        stopping = true
        monitor.broadcast(0)
        monitor.unlock()
        return
      }
    }
  }

  private func write(_ bytes: [UInt8], to out: OutputBuffer) throws(CaptureError) {
    do { try out.append(bytes) } catch {
      throw CaptureError.system(Array(error.path.utf8), errno: error.errno)
    }
  }

  // MARK: The worker

  func work() {
    monitor.lock()
    while !stopping {
      if buffered <= maxBuffered, let unit = takePending() {
        monitor.unlock()
        walkUnit(unit, caller: false)
        monitor.lock()
        continue
      }
      idle += 1
      monitor.wait(0)
      idle -= 1
    }
    monitor.unlock()
  }

  // MARK: Lines

  /// Appends `o`'s creatable filesystem-only line (no checksum) to `bytes`, formatted in
  /// `scratch` (grown when a line could not fit).
  static func formatLine(_ o: FilesystemObject, into bytes: inout [UInt8],
                         scratch: inout UnsafeMutablePointer<UInt8>, capacity: inout Int) {
    let bound = LineWriter.maxLength(pathCount: o.path.count, targetCount: o.target.count,
                                     checksumCount: Entry.noChecksum.count)
    if bound > capacity {
      scratch.deallocate()
      capacity = bound * 2
      scratch = .allocate(capacity: capacity)
    }
    let line = scratch
    let n = o.path.withUnsafeBytes { p in
      o.target.withUnsafeBytes { tg in
        Entry.noChecksum.withUnsafeBytes { c in
          LineWriter.write(prefix: .none, kind: o.kind, path: p, permissions: o.permissions,
                           uid: o.uid, gid: o.gid, mtime: o.mtime, size: o.size, checksum: c,
                           target: tg, major: o.rdevMajor, minor: o.rdevMinor,
                           finderInfo: UnsafeRawBufferPointer(start: nil, count: 0), to: line)
        }
      }
    }
    bytes.append(contentsOf: UnsafeRawBufferPointer(start: line, count: n))
  }
}
