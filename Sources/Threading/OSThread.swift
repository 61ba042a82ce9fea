#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
import CLinux

/// The one way this server starts a thread: a named POSIX thread running a closure.
///
/// Loops, the writer, the checkpointer, the log writer and start-up each run on a thread of their
/// own for their whole life (DESIGN.md, "Threads and data flow"), so threads are few and long-lived
/// and no pool is needed.
public struct OSThread: Sendable {
    /// The pthread, for `join`.
    private let handle: pthread_t

    /// Starts a joinable thread named `name` (the kernel keeps 15 bytes of it) running
    /// `body`; `stackBytes` overrides the default stack size. Join it, or it keeps its stack until
    /// the process exits.
    public static func start(
        name: String, stackBytes: Int? = nil, _ body: @escaping @Sendable () -> Void
    ) throws(ThreadStartError) -> OSThread {
        final class Start: Sendable {
            let name: String
            let body: @Sendable () -> Void
            init(name: String, body: @escaping @Sendable () -> Void) {
                self.name = name
                self.body = body
            }
        }
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        if let stackBytes { pthread_attr_setstacksize(&attributes, stackBytes) }
        let context = Unmanaged.passRetained(Start(name: name, body: body)).toOpaque()
        var handle = pthread_t()
        let rc = pthread_create(
            &handle, &attributes,
            { context in
                // Balances passRetained, on the new thread.
                let start = Unmanaged<Start>.fromOpaque(context!).takeRetainedValue()
                clinux_set_thread_name(start.name)
                start.body()
                return nil
            }, context)
        guard rc == 0 else {
            Unmanaged<Start>.fromOpaque(context).release()
            throw ThreadStartError(name: name, errno: rc)
        }
        return OSThread(handle: handle)
    }

    /// Starts a thread nobody will join: its resources go when it returns.
    public static func detached(
        name: String, stackBytes: Int? = nil, _ body: @escaping @Sendable () -> Void
    ) throws(ThreadStartError) {
        let thread = try start(name: name, stackBytes: stackBytes, body)
        pthread_detach(thread.handle)
    }

    /// Waits for the thread to return. Call once.
    public func join() {
        pthread_join(handle, nil)
    }
}

/// A thread could not be started (out of memory or the process's thread limit).
public struct ThreadStartError: Error, Sendable, CustomStringConvertible {
    /// The name the thread would have had.
    public let name: String
    /// pthread_create's error number.
    public let errno: Int32

    public var description: String { "cannot start thread \(name): \(String(cString: strerror(errno)))" }
}
