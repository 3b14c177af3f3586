import SystemCalls
import TranscriptIO

/// The merged transcript's writer: lines go through a ``BackgroundWriter`` on the publisher's
/// temporary transcript, so the merge and the writing overlap on two cores. The transcript is
/// written past the page cache (`O_DIRECT`, see ``BackgroundWriter``): it reaches the disk while
/// the merge runs, and the publisher's commit (fsync, rename) finds almost nothing left to write.
/// Errors are worded as the rest of lmerge words a failed write (`PATH: reason`).
final class LmergeTranscriptWriter {
  private let writer: BackgroundWriter

  init(_ transcript: OutputBuffer) throws(LmergeFailure) {
    // Anything already buffered goes first (nothing is, today), then the writer owns the descriptor.
    do { try transcript.flush() } catch { throw LmergeFailure(Array(error.description.utf8)) }
    writer = BackgroundWriter(fd: transcript.fd, name: transcript.name, direct: true)
  }

  /// Writes one line and its LF.
  @inline(__always)
  func write(line: UnsafeRawBufferPointer) throws(LmergeFailure) {
    do throws(SystemCallError) {
      try writer.append(line)
      try writer.append(0x0A)
    } catch {
      throw LmergeFailure(Array(error.description.utf8))
    }
  }

  /// Writes bytes as they are (whole lines of a parallel merge's piece).
  func write(bytes: UnsafeRawBufferPointer) throws(LmergeFailure) {
    do { try writer.append(bytes) } catch { throw LmergeFailure(Array(error.description.utf8)) }
  }

  /// Writes the rest; the publisher's commit then fsyncs and publishes.
  func finish() throws(LmergeFailure) {
    do { try writer.finish() } catch { throw LmergeFailure(Array(error.description.utf8)) }
  }

  /// Ends the writing thread without reporting (the merge failed; the publisher abandons the file).
  func stop() { writer.stopQuietly() }
}
