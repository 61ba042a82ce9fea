import CLinux
import Dispatch
import Foundation
import Synchronization
import Threading

/// How the loops listen and how much each may hold; units are in the names.
public struct EventLoopConfiguration: Sendable {
    public var host: String = "0.0.0.0"
    public var port: Int = 8010
    public var threadCount: Int = 1
    public var connectionsMax: Int = 10_000
    public var listenBacklog: Int32 = 1024
    /// Initial size of each connection's input and output buffers.
    public var connectionBufferBytes: Int = 4096
    /// Bytes asked of each read().
    public var readChunkBytes: Int = 16 * 1024
    public var eventsPerWakeMax: Int = 256
    public var acceptsPerWakeMax: Int = 64
    /// Completions and tasks a loop's inbox holds before it refuses more.
    public var inboxCapacity: Int = 65_536
    /// How long a connection the server closes keeps reading (and discarding) what the peer still
    /// sends, so the peer reads the answer instead of a reset (RFC 9112 §9.6).
    public var lingerMilliseconds: Int64 = 2_000
    /// Most bytes read and discarded while lingering.
    public var lingerBytesMax: Int = 16 * 1_048_576
    /// Runs on each loop thread (with its index) before it sleeps, once per wake-up whatever the
    /// services (e.g. to reset that loop's database readers).
    public var loopWillSleep: (@Sendable (Int) -> Void)?

    public init() {}
}

/// A port and the service that handles the connections accepted on it.
public struct ListenerSpec: Sendable {
    public var port: Int
    public var service: any EventLoopService

    public init(port: Int, service: any EventLoopService) {
        self.port = port
        self.service = service
    }
}

/// The loop threads, their listeners, and the process-wide connection cap.
public final class EventLoopGroup: Sendable {
    public let loops: [EventLoop]
    public let configuration: EventLoopConfiguration
    /// The port of each listener spec, in order (the real one when 0 was asked for).
    public let ports: [Int]
    /// The first listener's port.
    public var port: Int { ports[0] }
    private let budget: ConnectionBudget
    private let finished: [DispatchSemaphore]

    /// One service on `configuration.port`.
    public convenience init(configuration: EventLoopConfiguration, service: any EventLoopService) throws(SocketError) {
        try self.init(configuration: configuration, listeners: [ListenerSpec(port: configuration.port, service: service)])
    }

    /// Binds, for every listener spec, one SO_REUSEPORT listener per loop (the kernel spreads each
    /// port's connections between them) and prepares the loops; `start` runs them. Every loop
    /// serves every port, so a connection lives on one loop whichever port it came through.
    public init(configuration: EventLoopConfiguration, listeners specs: [ListenerSpec]) throws(SocketError) {
        precondition(configuration.threadCount >= 1)
        precondition(!specs.isEmpty)
        self.configuration = configuration
        // sockets[spec][loop]
        var sockets: [[Int32]] = []
        var ports: [Int] = []
        func closeAll() { sockets.joined().forEach(Socket.close) }
        for spec in specs {
            var port = spec.port
            var perLoop: [Int32] = []
            for _ in 0..<configuration.threadCount {
                do {
                    let fd = try Socket.listen(host: configuration.host, port: port, reusePort: true, backlog: configuration.listenBacklog)
                    if port == 0 { port = Socket.localPort(fd) }
                    perLoop.append(fd)
                } catch {
                    perLoop.forEach(Socket.close)
                    closeAll()
                    throw error
                }
            }
            sockets.append(perLoop)
            ports.append(port)
        }
        self.ports = ports
        self.finished = (0..<configuration.threadCount).map { _ in DispatchSemaphore(value: 0) }
        let budget = ConnectionBudget(limit: configuration.connectionsMax)
        self.budget = budget
        var loops: [EventLoop] = []
        for index in 0..<configuration.threadCount {
            do {
                loops.append(try EventLoop(index: index, configuration: configuration, services: specs.map(\.service), budget: budget))
            } catch {
                closeAll()
                throw error
            }
        }
        for (spec, perLoop) in zip(specs, sockets) {
            for (loop, fd) in zip(loops, perLoop) { loop.attachListener(fd, service: spec.service) }
        }
        self.loops = loops
    }

    /// Starts one thread per loop.
    public func start() throws(ThreadStartError) {
        for (loop, done) in zip(loops, finished) {
            try OSThread.detached(name: "loop-\(loop.index)", stackBytes: 1 << 20) {
                loop.run()
                done.signal()
            }
        }
    }

    public var connectionCount: Int { budget.count }

    /// Stops accepting, lets in-flight requests finish, and returns once every loop has exited or
    /// `graceSeconds` have passed (then the remaining connections are closed). Returns true when
    /// everything finished within the grace period.
    @discardableResult
    public func shutdown(graceSeconds: Double) -> Bool {
        for loop in loops { _ = loop.execute { $0.beginDrain() } }
        let deadline = DispatchTime.now() + graceSeconds
        var clean = true
        for (loop, done) in zip(loops, finished) {
            if done.wait(timeout: deadline) == .timedOut {
                clean = false
                _ = loop.execute { $0.stopNow() }
                done.wait()
            }
        }
        return clean
    }
}

/// The process-wide cap on open connections, shared by every loop.
final class ConnectionBudget: Sendable {
    private let active = Atomic<Int>(0)
    let limit: Int

    init(limit: Int) { self.limit = limit }

    var count: Int { active.load(ordering: .relaxed) }
    var hasRoom: Bool { active.load(ordering: .relaxed) < limit }

    /// Takes one place under the cap, or refuses.
    func admit() -> Bool {
        if active.wrappingAdd(1, ordering: .relaxed).newValue > limit {
            active.wrappingSubtract(1, ordering: .relaxed)
            return false
        }
        return true
    }

    func release() { active.wrappingSubtract(1, ordering: .relaxed) }
}
