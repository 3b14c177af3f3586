#if canImport(Glibc)
import Glibc
#endif

/// The C library's byte scans, for the hot loops that parse lines (`memchr` runs at memory speed).
public enum Bytes {
  /// The address of the first `byte` in `count` bytes from `start`, or nil.
  @inlinable @inline(__always)
  public static func find(_ byte: UInt8, in start: UnsafeRawPointer, count: Int) -> UnsafeMutableRawPointer? {
    memchr(start, Int32(byte), count)
  }

  /// `strlen`: the bytes before the NUL of a C string.
  @inlinable @inline(__always)
  public static func cStringLength(_ string: UnsafePointer<CChar>) -> Int { strlen(string) }

  /// `memcmp`: negative, zero or positive as `a` sorts before, equal to or after `b`.
  @inlinable @inline(__always)
  public static func compare(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, count: Int) -> Int32 {
    memcmp(a, b, count)
  }
}
