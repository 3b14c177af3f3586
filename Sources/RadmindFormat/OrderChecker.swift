/// Enforces "each path strictly greater than the previous one" (spec §3.4) over a stream of encoded
/// paths. The previous path is copied into a reused buffer: no allocation per line.
public struct OrderChecker: @unchecked Sendable {
  final class Storage {
    // Touched once per line: no dynamic exclusivity checks (only the owning checker uses them).
    @exclusivity(unchecked) var bytes = UnsafeMutableRawPointer.allocate(byteCount: 8192, alignment: 8)
    @exclusivity(unchecked) var capacity = 8192
    @exclusivity(unchecked) var count = 0
    @exclusivity(unchecked) var hasPrevious = false
    deinit { bytes.deallocate() }

    func store(_ path: UnsafeRawBufferPointer) {
      if path.count > capacity {
        bytes.deallocate()
        capacity = path.count * 2
        bytes = .allocate(byteCount: capacity, alignment: 8)
      }
      if let base = path.baseAddress { bytes.copyMemory(from: base, byteCount: path.count) }
      count = path.count
      hasPrevious = true
    }
  }

  public var order: PathOrder
  private let storage = Storage()

  public init(order: PathOrder) { self.order = order }

  /// The previous path (encoded), valid until the next ``accept(encoded:)``.
  public var previous: UnsafeRawBufferPointer? {
    storage.hasPrevious ? UnsafeRawBufferPointer(start: storage.bytes, count: storage.count) : nil
  }

  /// Records `encodedPath`; returns false if it is not strictly after the previous path.
  public mutating func accept(encoded encodedPath: UnsafeRawBufferPointer) -> Bool {
    var ok = true
    if let prev = previous { ok = order.compareEncoded(prev, encodedPath) < 0 }
    storage.store(encodedPath)
    return ok
  }

  /// Same for a decoded path.
  public mutating func accept(decoded path: [UInt8]) -> Bool {
    var encoded: [UInt8] = []
    PathCodec.encode(path, into: &encoded)
    return encoded.withUnsafeBytes { accept(encoded: $0) }
  }

  public mutating func reset() { storage.hasPrevious = false }
}
