import Glibc

/// A value that one thread provides once and other threads wait for.
public final class OneShot<Value: Sendable>: @unchecked Sendable {
    // @unchecked Sendable: `value` is read and written only while holding `lock`.
    private let lock = ConditionLock()
    private var value: Value?

    public init() {}

    /// Stores `value` (the first call wins) and wakes every waiter.
    public func fulfil(_ value: Value) {
        lock.withLock {
            if self.value == nil { self.value = value }
            lock.broadcast()
        }
    }

    /// Blocks until a value is there and returns it.
    public func wait() -> Value {
        lock.withLock {
            while value == nil { lock.wait() }
            return value!
        }
    }

    /// Blocks until a value is there or `timeoutMilliseconds` pass; the value, or nil on timeout.
    public func wait(timeoutMilliseconds: Int64) -> Value? {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        let deadline = UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec) + UInt64(max(timeoutMilliseconds, 0)) * 1_000_000
        return lock.withLock {
            while value == nil {
                if !lock.wait(untilMonotonicNanoseconds: deadline) { break }
            }
            return value
        }
    }

    /// The value if it is there yet.
    public var current: Value? {
        lock.withLock { value }
    }
}
