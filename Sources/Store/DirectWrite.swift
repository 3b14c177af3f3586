import SystemCalls

/// Writing a stored file's bytes past the page cache (`O_DIRECT`) when it is large.
///
/// A first capture writes gigabytes the store will not read back soon; through the page cache
/// each new page must first be reclaimed from the cache holding the staging tree, and that costs
/// more than the copy itself (measured here: 250 MB/s buffered against 1.1 GB/s direct for 3 GB).
/// Durability is unchanged: the data is on the device when `write` returns, and the size and
/// extents reach it with the one `syncfs` before publishing, like every other staged file.
/// A filesystem without `O_DIRECT` (fcntl refuses it) is simply written through the cache.
struct DirectWrite {
  /// Files below this size are written through the cache (one device round trip each costs more).
  static let threshold: Int64 = 64 << 10
  /// Direct writes are whole blocks of this size, from a buffer aligned to it.
  static let block = 4096

  /// `LOADSMITH_DIRECT_WRITE=0` turns it off (to compare, or on a filesystem that misbehaves).
  static let enabled: Bool = {
    Syscall.environment("LOADSMITH_DIRECT_WRITE") != "0"
  }()

  let fd: Int32
  private(set) var direct: Bool

  /// Switches `fd` to direct writes for a file of `size` bytes when worthwhile and supported.
  init(fd: Int32, size: Int64) {
    self.fd = fd
    direct = false
    if DirectWrite.enabled, size >= DirectWrite.threshold {
      direct = Syscall.setDirectIO(fd, true)
    }
  }

  /// Writes `count` bytes from `base` (aligned to ``block``) at the file's current offset, which
  /// is a multiple of ``block`` while `direct` (every earlier write was whole blocks). A tail that
  /// is not whole blocks is written through the cache, after which the file stays buffered.
  mutating func write(_ base: UnsafeRawPointer, _ count: Int, path: [UInt8]) throws(SystemCallError) {
    let shown = String(decoding: path, as: UTF8.self)
    var done = 0
    if direct {
      let whole = count - count % DirectWrite.block
      while done < whole {
        let w: Int
        do { w = try Syscall.write(fd, UnsafeRawBufferPointer(start: base + done, count: whole - done), path: shown) } catch {
          if error.errno == Errno.invalid { dropDirect(); break }  // the device wants other alignment: go buffered
          throw error
        }
        done += w
        if done % DirectWrite.block != 0 { dropDirect(); break }  // a short write: finish buffered
      }
      if done < count { dropDirect() }
    }
    while done < count {
      done += try Syscall.write(fd, UnsafeRawBufferPointer(start: base + done, count: count - done), path: shown)
    }
  }

  private mutating func dropDirect() {
    _ = Syscall.setDirectIO(fd, false)
    direct = false
  }
}
