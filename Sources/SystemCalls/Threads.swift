#if canImport(Glibc)
import Glibc
#endif

/// A mutex with condition variables on it, for the worker pools (pthread, no Foundation).
/// Conditions are numbered: `Monitor(conditions: 2)` gives conditions 0 and 1.
package final class Monitor: @unchecked Sendable {
  // @unchecked: the pthread objects are made for sharing between threads.
  private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
  private let conditions: UnsafeMutablePointer<pthread_cond_t>
  private let conditionCount: Int

  /// `spinning`: a contended lock spins a little before it sleeps (`PTHREAD_MUTEX_ADAPTIVE_NP`), for
  /// critical sections of a few dictionary operations taken by two busy threads for every file.
  package init(conditions count: Int, spinning: Bool = false) {
    if spinning {
      var attributes = pthread_mutexattr_t()
      pthread_mutexattr_init(&attributes)
      pthread_mutexattr_settype(&attributes, Int32(PTHREAD_MUTEX_ADAPTIVE_NP))
      pthread_mutex_init(mutex, &attributes)
      pthread_mutexattr_destroy(&attributes)
    } else {
      pthread_mutex_init(mutex, nil)
    }
    conditionCount = count
    conditions = .allocate(capacity: count)
    for i in 0..<count { pthread_cond_init(conditions + i, nil) }
  }
  deinit {
    for i in 0..<conditionCount { pthread_cond_destroy(conditions + i) }
    pthread_mutex_destroy(mutex)
    conditions.deallocate()
    mutex.deallocate()
  }
  @inline(__always) package func lock() { pthread_mutex_lock(mutex) }
  @inline(__always) package func unlock() { pthread_mutex_unlock(mutex) }
  /// Waits on condition `index`; the mutex must be held.
  @inline(__always) package func wait(_ index: Int) { pthread_cond_wait(conditions + index, mutex) }
  @inline(__always) package func signal(_ index: Int) { pthread_cond_signal(conditions + index) }
  @inline(__always) package func broadcast(_ index: Int) { pthread_cond_broadcast(conditions + index) }
}

/// A POSIX thread that must be joined (the pools join theirs before they return).
package struct JoinableThread {
  private let id: pthread_t

  /// Starts a thread running `body`; fails with `pthread_create`'s error when none can be made.
  package static func start(_ body: @escaping @Sendable () -> Void) -> Result<JoinableThread, SystemCallError> {
    final class Box { let body: @Sendable () -> Void; init(_ b: @escaping @Sendable () -> Void) { body = b } }
    let context = Unmanaged.passRetained(Box(body)).toOpaque()
    var thread = pthread_t()
    let rc = pthread_create(&thread, nil, { raw in
      let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
      box.body()
      return nil
    }, context)
    if rc != 0 {
      Unmanaged<Box>.fromOpaque(context).release()
      return .failure(SystemCallError("pthread_create", pathBytes: [], errno: rc))
    }
    return .success(JoinableThread(id: thread))
  }

  /// Starts a thread running `body`; a process that cannot make one stops here.
  package static func mustStart(_ body: @escaping @Sendable () -> Void) -> JoinableThread {
    switch start(body) {
    case .success(let thread): return thread
    case .failure(let error): preconditionFailure("pthread_create failed: \(error.errno)")
    }
  }

  /// Waits for the thread to end.
  package func join() { pthread_join(id, nil) }
}

extension Syscall {
  /// The number of online CPUs (at least 1).
  package static var onlineCPUs: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }
}

extension Syscall {
  /// `sched_yield(2)`: lets another thread run on this core before going on.
  package static func yieldProcessor() { _ = sched_yield() }
}
