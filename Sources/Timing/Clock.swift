#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// A source of monotonic and wall-clock time, injected so tests can control time.
///
/// Monotonic time drives deadlines (it never jumps); wall time is only for
/// timestamps shown to people and clients (it can jump when the system clock is set).
public protocol Clock: Sendable {
    /// Nanoseconds on a clock that never goes backwards; the origin is arbitrary.
    func monotonicNanoseconds() -> UInt64
    /// Milliseconds since 1970-01-01T00:00:00Z according to the wall clock.
    func wallMilliseconds() -> Int64
}

/// The operating system's clocks: `CLOCK_MONOTONIC` and `CLOCK_REALTIME`.
public struct SystemClock: Clock {
    public init() {}

    public func monotonicNanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        // The monotonic clock counts from boot, so both fields are non-negative.
        return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
    }

    public func wallMilliseconds() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        // tv_nsec is always in 0..<1e9, even before 1970, so this rounds towards minus infinity.
        return Int64(time.tv_sec) * 1000 + Int64(time.tv_nsec) / 1_000_000
    }
}

/// A clock that moves only when told to, for deterministic tests.
public final class ManualClock: Clock {
    private struct State {
        var monotonicNanoseconds: UInt64
        /// Kept in nanoseconds so that advancing by sub-millisecond steps is not lost.
        var wallNanoseconds: Int64
    }

    private let state: Mutex<State>

    /// Creates a clock; the wall clock starts at 2026-01-01T00:00:00Z unless told otherwise.
    public init(monotonicNanoseconds: UInt64 = 0, wallMilliseconds: Int64 = 1_767_225_600_000) {
        state = Mutex(State(monotonicNanoseconds: monotonicNanoseconds, wallNanoseconds: wallMilliseconds * 1_000_000))
    }

    public func monotonicNanoseconds() -> UInt64 {
        state.withLock { $0.monotonicNanoseconds }
    }

    public func wallMilliseconds() -> Int64 {
        state.withLock { state in
            // Floor division, so times before 1970 still round towards the past.
            let (quotient, remainder) = state.wallNanoseconds.quotientAndRemainder(dividingBy: 1_000_000)
            return remainder < 0 ? quotient - 1 : quotient
        }
    }

    /// Moves both clocks forward together, as real time would.
    public func advance(byNanoseconds nanoseconds: UInt64) {
        state.withLock { state in
            state.monotonicNanoseconds += nanoseconds
            state.wallNanoseconds += Int64(nanoseconds)
        }
    }

    /// Moves both clocks forward together by whole milliseconds.
    public func advance(byMilliseconds milliseconds: UInt64) {
        advance(byNanoseconds: milliseconds * 1_000_000)
    }

    /// Sets the wall clock alone, modelling an administrator or NTP stepping the system time.
    public func setWallMilliseconds(_ milliseconds: Int64) {
        state.withLock { $0.wallNanoseconds = milliseconds * 1_000_000 }
    }
}
