import TranscriptIO

/// The store's crash-test hook (``FaultInjector``): every step boundary of a store change calls
/// ``checkpoint(_:)`` with a step name (`publish.file`, `pointer.transcript`, ...).
///
/// - `LOADSMITH_FAULT=STEP` (or `STEP#N`) ends the process with `_exit(86)` at that boundary.
/// - `LOADSMITH_FAULT_TRACE=FILE` appends every boundary reached to FILE, one per line.
package enum FaultInjection {
  package static let exitStatus: Int32 = FaultInjector.exitStatus
  static let injector = FaultInjector(variable: "LOADSMITH_FAULT", traceVariable: "LOADSMITH_FAULT_TRACE")

  package static func checkpoint(_ step: String) { injector.checkpoint(step) }
}
