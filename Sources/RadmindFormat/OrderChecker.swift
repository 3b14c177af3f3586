/// Enforces "each path strictly greater than the previous one" (spec §3.4) over a stream of encoded
/// paths, keeping a copy of the previous path in a reused buffer (no allocation per line).
public struct OrderChecker: Sendable {
  public var order: PathOrder
  private var previous: [UInt8] = []
  private var hasPrevious = false

  public init(order: PathOrder) {
    self.order = order
    previous.reserveCapacity(4096)
  }

  /// Records `encodedPath` and returns false if it is not strictly after the previous path.
  public mutating func accept(encoded encodedPath: UnsafeRawBufferPointer) -> Bool {
    defer {
      previous.removeAll(keepingCapacity: true)
      previous.append(contentsOf: encodedPath)
      hasPrevious = true
    }
    guard hasPrevious else { return true }
    return previous.withUnsafeBytes { order.compareEncodedSkippingPrefix($0, encodedPath) } < 0
  }

  /// Same for a decoded path.
  public mutating func accept(decoded path: [UInt8]) -> Bool {
    var encoded: [UInt8] = []
    PathCodec.encode(path, into: &encoded)
    return encoded.withUnsafeBytes { accept(encoded: $0) }
  }

  public mutating func reset() { hasPrevious = false }
}
