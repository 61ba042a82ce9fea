#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A pthread mutex paired with one condition variable, for threads that must sleep until another
/// thread signals (the writer waiting for commands, callers waiting for start-up or a recount).
///
/// `Synchronization.Mutex` has no condition variable, hence this small wrapper.
public final class ConditionLock: @unchecked Sendable {
    // @unchecked Sendable: the pthread mutex and condition are made for use from any thread; they
    // live at fixed heap addresses from init to deinit, and nothing else is stored here.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>

    public init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        condition = .allocate(capacity: 1)
        condition.initialize(to: pthread_cond_t())
        precondition(pthread_mutex_init(mutex, nil) == 0, "pthread_mutex_init failed")
        // Timed waits measure against CLOCK_MONOTONIC, so setting the wall clock neither cuts a
        // sleep short nor stretches it (the default condition clock is CLOCK_REALTIME).
        var attributes = pthread_condattr_t()
        precondition(pthread_condattr_init(&attributes) == 0, "pthread_condattr_init failed")
        defer { pthread_condattr_destroy(&attributes) }
        precondition(pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC) == 0, "pthread_condattr_setclock failed")
        precondition(pthread_cond_init(condition, &attributes) == 0, "pthread_cond_init failed")
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Runs `body` holding the mutex.
    public func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Releases the mutex until signalled; call only inside `withLock`, in a loop re-checking the
    /// predicate (wake-ups may be spurious).
    public func wait() {
        pthread_cond_wait(condition, mutex)
    }

    /// Like `wait()`, but returns by `deadlineNanoseconds` on the monotonic clock at the latest;
    /// false when it returned because the deadline passed.
    public func wait(untilMonotonicNanoseconds deadlineNanoseconds: UInt64) -> Bool {
        var deadline = timespec()
        deadline.tv_sec = Int(deadlineNanoseconds / 1_000_000_000)
        deadline.tv_nsec = Int(deadlineNanoseconds % 1_000_000_000)
        return pthread_cond_timedwait(condition, mutex, &deadline) != ETIMEDOUT
    }

    /// Wakes one waiter.
    public func signal() {
        pthread_cond_signal(condition)
    }

    /// Wakes every waiter.
    public func broadcast() {
        pthread_cond_broadcast(condition)
    }
}
