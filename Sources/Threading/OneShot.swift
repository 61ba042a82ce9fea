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

    /// The value if it is there yet.
    public var current: Value? {
        lock.withLock { value }
    }
}
