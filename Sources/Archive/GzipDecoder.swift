import SystemCalls
import CZlib

/// Decompresses a gzip file read from a descriptor, one caller-supplied buffer at a time.
///
/// Parses the gzip header itself, raw-inflates the body, and checks each member's CRC32
/// and ISIZE against the data it produced. Concatenated members are accepted (as gzip
/// does); anything else after the last member is ``ArchiveError/trailingGarbage``, and an
/// input that stops early is ``ArchiveError/truncatedGzip``.
final class GzipDecoder: @unchecked Sendable {
  private enum State { case header, body, trailer, done }

  private let fd: CInt
  private let path: String
  private let input: UnsafeMutableRawBufferPointer
  private var stream = z_stream()
  private var state = State.header
  private var inputEnded = false
  private var totalRead: Int64 = 0  // compressed bytes read from fd
  private var crc: uLong = 0
  private var memberLength: UInt32 = 0
  private var members = 0
  private var initialized = false

  init(fd: CInt, path: String = "", inputBufferSize: Int = 256 << 10) throws(ArchiveError) {
    self.fd = fd
    self.path = path
    input = .allocate(byteCount: inputBufferSize, alignment: 64)
    let rc = loadsmith_inflateInit2(&stream, -15)
    if rc != Z_OK { input.deallocate(); throw .zlib(call: "inflateInit2", code: rc, message: zlibMessage(stream)) }
    initialized = true
  }

  deinit {
    if initialized { inflateEnd(&stream) }
    input.deallocate()
  }

  /// Offset in the compressed file of the next unconsumed byte.
  private var compressedOffset: Int64 { totalRead - Int64(stream.avail_in) }

  /// Fills `buffer` with decompressed bytes; returns fewer than `buffer.count` only at the
  /// end of the stream, and 0 once everything (trailers included) has been checked.
  func decode(into buffer: UnsafeMutableRawBufferPointer) throws(ArchiveError) -> Int {
    var produced = 0
    while produced < buffer.count {
      switch state {
      case .done:
        return produced
      case .header:
        try readHeader()
      case .trailer:
        try readTrailer()
      case .body:
        produced += try inflateSome(into: UnsafeMutableRawBufferPointer(rebasing: buffer[produced...]))
      }
    }
    return produced
  }

  private func refill() throws(ArchiveError) {
    precondition(stream.avail_in == 0)
    if inputEnded { return }
    let n = try sys { () throws(SystemCallError) in try Syscall.read(fd, into: input, path: path) }
    if n == 0 { inputEnded = true; return }
    totalRead += Int64(n)
    stream.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
    stream.avail_in = uInt(n)
  }

  /// The next compressed byte, or nil at end of input.
  private func nextByte() throws(ArchiveError) -> UInt8? {
    if stream.avail_in == 0 { try refill() }
    if stream.avail_in == 0 { return nil }
    let byte = stream.next_in.pointee
    stream.next_in += 1
    stream.avail_in -= 1
    return byte
  }

  private func requireByte() throws(ArchiveError) -> UInt8 {
    guard let byte = try nextByte() else { throw .truncatedGzip(compressedOffset: compressedOffset) }
    return byte
  }

  private func readHeader() throws(ArchiveError) {
    let start = compressedOffset
    guard let id1 = try nextByte() else {
      if members == 0 { throw .notGzip("the input is empty") }
      state = .done
      return
    }
    let id2 = try nextByte()
    if id1 != 0x1F || id2 != 0x8B {
      if members == 0 { throw .notGzip("bad magic bytes at offset 0") }
      throw .trailingGarbage(compressedOffset: start)
    }
    let method = try requireByte()
    if method != 8 { throw .notGzip("unknown compression method \(method)") }
    let flags = try requireByte()
    if flags & 0xE0 != 0 { throw .notGzip("reserved header flags set (\(flags))") }
    for _ in 0..<6 { _ = try requireByte() }  // MTIME, XFL, OS
    if flags & 0x04 != 0 {  // FEXTRA
      let low = Int(try requireByte()), high = Int(try requireByte())
      for _ in 0..<(low | high << 8) { _ = try requireByte() }
    }
    if flags & 0x08 != 0 { while try requireByte() != 0 {} }  // FNAME
    if flags & 0x10 != 0 { while try requireByte() != 0 {} }  // FCOMMENT
    if flags & 0x02 != 0 { _ = try requireByte(); _ = try requireByte() }  // FHCRC
    let rc = inflateReset(&stream)
    if rc != Z_OK { throw .zlib(call: "inflateReset", code: rc, message: zlibMessage(stream)) }
    crc = 0
    memberLength = 0
    members += 1
    state = .body
  }

  private func inflateSome(into buffer: UnsafeMutableRawBufferPointer) throws(ArchiveError) -> Int {
    if stream.avail_in == 0 {
      try refill()
      if stream.avail_in == 0 { throw .truncatedGzip(compressedOffset: compressedOffset) }
    }
    let out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
    stream.next_out = out
    stream.avail_out = uInt(buffer.count)
    let rc = inflate(&stream, Z_NO_FLUSH)
    let produced = buffer.count - Int(stream.avail_out)
    if produced > 0 {
      crc = crc32(crc, out, uInt(produced))
      memberLength &+= UInt32(truncatingIfNeeded: produced)
    }
    switch rc {
    case Z_STREAM_END: state = .trailer
    case Z_OK, Z_BUF_ERROR: break
    case Z_DATA_ERROR, Z_NEED_DICT: throw .corruptDeflate(zlibMessage(stream) + " near compressed byte \(compressedOffset)")
    case Z_MEM_ERROR: throw .zlib(call: "inflate", code: rc, message: "out of memory")
    default: throw .zlib(call: "inflate", code: rc, message: zlibMessage(stream))
    }
    return produced
  }

  private func readTrailer() throws(ArchiveError) {
    var expectedCRC: UInt32 = 0, expectedLength: UInt32 = 0
    for i in 0..<4 { expectedCRC |= UInt32(try requireByte()) << (8 * i) }
    for i in 0..<4 { expectedLength |= UInt32(try requireByte()) << (8 * i) }
    if expectedCRC != UInt32(crc) { throw .crcMismatch(expected: expectedCRC, actual: UInt32(crc)) }
    if expectedLength != memberLength { throw .lengthMismatch(expected: expectedLength, actual: memberLength) }
    state = .header  // another member, or the end
  }
}
