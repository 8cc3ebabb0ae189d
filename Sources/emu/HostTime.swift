// HostTime.swift: the host's clock and number formatting for what emu shows people (pacing, the
// window title, --stats). Never the guest's time, which is its cycle count.

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Seconds on the host's monotonic clock from an arbitrary origin: for intervals, which a change of
/// the wall clock must not stretch.
func monotonicSeconds() -> Double {
  var now = timespec()
  clock_gettime(CLOCK_MONOTONIC, &now)
  return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}

/// `value` with `digits` decimals, rounded as printf's "%.*f" rounds.
func fixed(_ value: Double, digits: Int) -> String {
  var buffer = [CChar](repeating: 0, count: 64)
  _ = withVaList([Int32(digits), value]) { vsnprintf(&buffer, buffer.count, "%.*f", $0) }
  return String(cString: buffer)
}
