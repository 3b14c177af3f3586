import Hashing

/// One thread's copying state, shared by capture's ``FileCopier`` and the checked copies of
/// capture --base and import (``CheckedCopier``): a reused digester and a 1 MiB buffer, aligned
/// for direct I/O.
class HashingCopier {
  let digester: Digester
  let buffer: UnsafeMutableRawBufferPointer

  init(algorithm: DigestAlgorithm) {
    digester = algorithm.makeDigester()
    buffer = .allocate(byteCount: 1 << 20, alignment: 4096)
  }
  deinit { buffer.deallocate() }
}
