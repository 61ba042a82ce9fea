import Bytes
import CLinux
import Glibc
import Synchronization

/// What the layer above provides to every loop: a handler per accepted connection, and a hook
/// that runs each time the loop is about to sleep.
public protocol EventLoopService: Sendable {
    func makeHandler(for connection: Connection) -> ConnectionHandler
    /// Called on the loop thread before it blocks in epoll_wait (e.g. to reset database readers).
    func loopWillSleep(_ loop: EventLoop)
}

/// One loop thread: an epoll set, its listeners (one per port, each with the service that handles
/// its connections), its connections, a bounded cross-thread inbox woken by an eventfd, and a wheel
/// of connection deadlines.
///
/// Everything but the inbox is touched only by the loop's own thread.
public final class EventLoop: @unchecked Sendable {  // mutable state is confined to the loop thread; `inbox` is behind a Mutex
    public let index: Int
    let configuration: EventLoopConfiguration
    private let budget: ConnectionBudget

    /// One listening socket of this loop and the service its connections belong to.
    struct Listener {
        var fd: Int32
        let service: any EventLoopService
        var registered = false
        /// While paused (connection cap, EMFILE), when to try it again.
        var retryMilliseconds: Int64 = 0
    }

    private let epoll: Epoll
    private let wakeFD: Int32
    private var listeners: [Listener] = []
    /// Every distinct service, for the before-sleep hook.
    private let services: [any EventLoopService]

    private var connections: [Connection?] = []
    private var freeSlots: [UInt32] = []
    private var generations: [UInt32] = []
    public private(set) var connectionCount = 0

    private let inbox: Mutex<Inbox>
    private var inboxSpare: [Message] = []

    private var deadlines: DeadlineWheel
    private var dueDeadlines: [UInt64] = []
    /// Coarse monotonic time in ms, refreshed once per wake-up.
    public private(set) var nowMilliseconds: Int64 = 0
    /// Wall-clock seconds and milliseconds, refreshed once per wake-up (for Date headers and logs).
    public private(set) var wallSeconds: Int64 = 0
    public private(set) var wallMilliseconds: Int64 = 0

    private var running = true
    public private(set) var isDraining = false
    private var ownerThreadID: Int = 0

    private static let wakeData: UInt64 = UInt64.max
    /// Listener `i` is registered with data `listenerDataBase - i`; connection data is
    /// (generation << 32 | slot) and never reaches these values.
    private static let listenerDataBase: UInt64 = UInt64.max - 1
    private static let listenerCountMax: UInt64 = 16

    enum Message {
        case completion(ConnectionToken, any Sendable)
        case task(@Sendable (EventLoop) -> Void)
    }

    struct Inbox {
        var messages: [Message] = []
        var reserved = 0
        let capacity: Int
    }

    init(index: Int, configuration: EventLoopConfiguration, services: [any EventLoopService], budget: ConnectionBudget) throws(SocketError) {
        self.index = index
        self.configuration = configuration
        self.services = services
        self.budget = budget
        self.epoll = try Epoll(capacity: configuration.eventsPerWakeMax)
        let wake = eventfd(0, Int32(EFD_NONBLOCK) | Int32(EFD_CLOEXEC))
        guard wake >= 0 else { throw SocketError(call: "eventfd", errno: errno) }
        self.wakeFD = wake
        self.inbox = Mutex(Inbox(capacity: configuration.inboxCapacity))
        self.deadlines = DeadlineWheel(tickMilliseconds: 100, slotCount: 1024)
        epoll.add(wakeFD, events: Epoll.readable, data: Self.wakeData)
    }

    func attachListener(_ fd: Int32, service: any EventLoopService) {
        precondition(UInt64(listeners.count) < Self.listenerCountMax, "too many listeners")
        listeners.append(Listener(fd: fd, service: service))
        resumeListener(listeners.count - 1)
    }

    // MARK: - Cross-thread entry points (any thread)

    /// Reserves room for one completion; a reserved completion is never refused.
    /// Returns false when the inbox is full (the caller should shed load).
    public func reserveCompletion() -> Bool {
        inbox.withLock { state in
            guard state.messages.count + state.reserved < state.capacity else { return false }
            state.reserved += 1
            return true
        }
    }

    /// Gives back a reservation that will not be used.
    public func releaseReservation() {
        inbox.withLock { $0.reserved -= 1 }
    }

    /// Delivers `value` to the connection's handler on this loop. With `reserved`, room was taken
    /// earlier by `reserveCompletion`; without it the completion is refused (false) when full.
    @discardableResult
    public func complete(_ token: ConnectionToken, with value: any Sendable, reserved: Bool) -> Bool {
        precondition(token.loopIndex == index)
        return enqueue(.completion(token, value), reserved: reserved)
    }

    /// Runs `task` on the loop thread; false when the inbox is full.
    @discardableResult
    public func execute(_ task: @escaping @Sendable (EventLoop) -> Void) -> Bool {
        enqueue(.task(task), reserved: false)
    }

    private func enqueue(_ message: Message, reserved: Bool) -> Bool {
        let wake: Bool? = inbox.withLock { state in
            if reserved {
                state.reserved -= 1
            } else if state.messages.count + state.reserved >= state.capacity {
                return nil
            }
            state.messages.append(message)
            return state.messages.count == 1
        }
        guard let wake else { return false }
        // Only the transition from empty needs a wake-up: the loop drains everything at once.
        if wake {
            var one: UInt64 = 1
            _ = Glibc.write(wakeFD, &one, 8)
        }
        return true
    }

    // MARK: - The loop

    func run() {
        ownerThreadID = Int(clinux_gettid())
        refreshClock()
        while running {
            willSleep()
            let count = epoll.wait(timeoutMilliseconds: sleepTimeoutMilliseconds())
            refreshClock()
            for eventIndex in 0..<count {
                let (events, data) = epoll.event(at: eventIndex)
                if data == Self.wakeData {
                    var value: UInt64 = 0
                    _ = Glibc.read(wakeFD, &value, 8)
                } else if data > Self.listenerDataBase - Self.listenerCountMax {
                    acceptConnections(Int(Self.listenerDataBase - data))
                } else {
                    connectionEvent(events: events, data: data)
                }
            }
            drainInbox()
            fireDeadlines()
            if !isDraining {
                for listener in listeners.indices where !listeners[listener].registered && nowMilliseconds >= listeners[listener].retryMilliseconds {
                    resumeListener(listener)
                }
            }
            if isDraining && connectionCount == 0 { running = false }
        }
        for case let connection? in connections { close(connection) }
        // A drain can end the loop in the same wake-up that answered the last requests: give the
        // services their before-sleep hook once more, so work they batch there (e.g. access log
        // lines) is not lost.
        willSleep()
        for listener in listeners where listener.fd >= 0 { Socket.close(listener.fd) }
        epoll.close()
        Glibc.close(wakeFD)
    }

    private func willSleep() {
        for service in services { service.loopWillSleep(self) }
        configuration.loopWillSleep?(index)
    }

    private func sleepTimeoutMilliseconds() -> Int32 {
        // A paused listener is retried every 100 ms; deadlines need the wheel's tick.
        if listeners.contains(where: { !$0.registered && $0.fd >= 0 }) || deadlines.count > 0 || isDraining { return 100 }
        return -1
    }

    private func refreshClock() {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC_COARSE, &time)
        nowMilliseconds = Int64(time.tv_sec) * 1000 + Int64(time.tv_nsec) / 1_000_000
        clock_gettime(CLOCK_REALTIME_COARSE, &time)
        wallSeconds = Int64(time.tv_sec)
        wallMilliseconds = wallSeconds * 1000 + Int64(time.tv_nsec) / 1_000_000
    }

    @inline(__always)
    func assertOnLoop() {
        assert(ownerThreadID == 0 || ownerThreadID == Int(clinux_gettid()), "EventLoop \(index) used off its thread")
    }

    // MARK: - Accepting

    private func acceptConnections(_ listener: Int) {
        // Bounded per wake-up so a connection storm cannot starve established clients.
        for _ in 0..<configuration.acceptsPerWakeMax {
            guard budget.admit() else {
                pauseListeners()
                return
            }
            switch Socket.accept(listeners[listener].fd) {
            case .accepted(let fd):
                register(fd, service: listeners[listener].service)
            case .wouldBlock:
                budget.release()
                return
            case .exhausted:
                budget.release()
                pauseListeners()
                return
            case .failed:
                budget.release()
                return
            }
        }
    }

    /// Stops accepting on every port (the connection cap and the descriptor limit are shared).
    private func pauseListeners() {
        for index in listeners.indices where listeners[index].registered {
            epoll.remove(listeners[index].fd)
            listeners[index].registered = false
            listeners[index].retryMilliseconds = nowMilliseconds + 100
        }
    }

    private func resumeListener(_ index: Int) {
        guard budget.hasRoom, listeners[index].fd >= 0, !listeners[index].registered else { return }
        listeners[index].registered = epoll.add(listeners[index].fd, events: UInt32(EPOLLIN.rawValue),
                                                data: Self.listenerDataBase - UInt64(index))
    }

    private func register(_ fd: Int32, service: any EventLoopService) {
        let slot: UInt32
        if let free = freeSlots.popLast() {
            slot = free
        } else {
            slot = UInt32(connections.count)
            connections.append(nil)
            generations.append(0)
        }
        let connection = Connection(fd: fd, loop: self, slot: slot, generation: generations[Int(slot)], bufferBytes: configuration.connectionBufferBytes)
        connections[Int(slot)] = connection
        connectionCount += 1
        connection.handler = service.makeHandler(for: connection)
        epoll.add(fd, events: Epoll.readable, data: Self.data(connection))
    }

    @inline(__always)
    private static func data(_ connection: Connection) -> UInt64 {
        UInt64(connection.generation) << 32 | UInt64(connection.slot)
    }

    private func lookup(slot: UInt32, generation: UInt32) -> Connection? {
        guard Int(slot) < connections.count, let connection = connections[Int(slot)], connection.generation == generation else { return nil }
        return connection
    }

    // MARK: - Connection events

    private func connectionEvent(events: UInt32, data: UInt64) {
        guard let connection = lookup(slot: UInt32(truncatingIfNeeded: data), generation: UInt32(truncatingIfNeeded: data >> 32)) else { return }
        if events & Epoll.writable != 0 {
            flush(connection)
            if connection.isClosed { return }
            if connection.output.isEmpty { connection.handler?.connectionDidDrain(connection); afterHandler(connection) }
            if connection.isClosed { return }
        }
        if events & (Epoll.readable | Epoll.hangup) != 0 && !connection.readingPaused {
            readFrom(connection)
        }
    }

    private func readFrom(_ connection: Connection) {
        if let left = connection.lingerBytesLeft {
            discard(connection, left: left)
            return
        }
        connection.input.reserve(configuration.readChunkBytes)
        switch Socket.read(connection.fd, into: connection.input, atMost: connection.input.spareCount) {
        case .bytes:
            connection.handler?.connectionDidRead(connection)
            afterHandler(connection)
        case .wouldBlock:
            return
        case .closed:
            connection.peerClosed = true
            setReading(connection, paused: true)
            connection.handler?.connectionDidRead(connection)
            afterHandler(connection)
        case .failed:
            close(connection)
        }
    }

    /// Flushes output, then closes a connection that asked for it or that a draining loop no longer needs.
    func afterHandler(_ connection: Connection) {
        if connection.isClosed { return }
        if !connection.output.isEmpty { flush(connection) }
        if connection.isClosed || !connection.output.isEmpty { return }
        if connection.closeAfterFlush {
            linger(connection)
        } else if connection.peerClosed || isDraining, connection.handler?.isIdle ?? true {
            close(connection)
        }
    }

    func flush(_ connection: Connection) {
        assertOnLoop()
        while !connection.output.isEmpty {
            switch Socket.send(connection.fd, connection.output.readable) {
            case .bytes(let count):
                connection.output.consume(count)
            case .wouldBlock:
                if !connection.writeArmed {
                    connection.writeArmed = true
                    updateInterest(connection)
                }
                return
            case .closed, .failed:
                close(connection)
                return
            }
        }
        connection.output.shrinkIfEmpty(to: configuration.connectionBufferBytes * 16)
        // A large request body is not kept reserved once it has been handled.
        connection.input.shrinkIfEmpty(to: configuration.connectionBufferBytes * 16)
        if connection.writeArmed {
            connection.writeArmed = false
            updateInterest(connection)
        }
    }

    /// The answer is out: send FIN, then read and drop whatever the peer still sends (say, the rest
    /// of a body that was refused), and close when it closes, the budget is spent or the linger
    /// ends. Closing at once with unread input would reset the connection, and the peer could lose
    /// the answer before reading it.
    private func linger(_ connection: Connection) {
        guard connection.lingerBytesLeft == nil else { return }
        if connection.peerClosed {
            close(connection)
            return
        }
        Socket.shutdownWrite(connection.fd)
        connection.input.clear()
        connection.lingerBytesLeft = configuration.lingerBytesMax
        setDeadline(connection, inMilliseconds: configuration.lingerMilliseconds)
        setReading(connection, paused: false)
    }

    private func discard(_ connection: Connection, left: Int) {
        connection.input.reserve(configuration.readChunkBytes)
        switch Socket.read(connection.fd, into: connection.input, atMost: connection.input.spareCount) {
        case .bytes(let count):
            connection.input.clear()
            if count >= left { close(connection) } else { connection.lingerBytesLeft = left - count }
        case .wouldBlock:
            return
        case .closed, .failed:
            close(connection)
        }
    }

    func setReading(_ connection: Connection, paused: Bool) {
        guard connection.readingPaused != paused, !connection.isClosed else { return }
        connection.readingPaused = paused
        updateInterest(connection)
    }

    private func updateInterest(_ connection: Connection) {
        var interest: UInt32 = connection.readingPaused ? 0 : Epoll.readable
        if connection.writeArmed { interest |= Epoll.writable }
        epoll.modify(connection.fd, events: interest, data: Self.data(connection))
    }

    func close(_ connection: Connection) {
        guard !connection.isClosed else { return }
        connection.isClosed = true
        Socket.close(connection.fd)
        let slot = Int(connection.slot)
        connections[slot] = nil
        generations[slot] &+= 1
        freeSlots.append(connection.slot)
        connectionCount -= 1
        budget.release()
        let handler = connection.handler
        connection.handler = nil
        handler?.connectionDidClose(connection)
        if !isDraining {
            for listener in listeners.indices where !listeners[listener].registered { resumeListener(listener) }
        }
    }

    // MARK: - Inbox

    private func drainInbox() {
        // Swap the queued messages with the empty spare so both arrays keep their capacity.
        inbox.withLock { state in swap(&self.inboxSpare, &state.messages) }
        if inboxSpare.isEmpty { return }
        defer { inboxSpare.removeAll(keepingCapacity: true) }
        for message in inboxSpare {
            switch message {
            case .completion(let token, let value):
                guard let connection = lookup(slot: token.slot, generation: token.generation) else { continue }
                connection.handler?.connectionDidComplete(connection, value: value)
                afterHandler(connection)
            case .task(let task):
                task(self)
            }
        }
    }

    // MARK: - Deadlines

    func setDeadline(_ connection: Connection, inMilliseconds milliseconds: Int64) {
        let deadline = nowMilliseconds + max(milliseconds, 1)
        connection.deadlineMilliseconds = deadline
        // A later deadline reuses the entry already queued; only an earlier one needs a new entry.
        if connection.queuedDeadlineMilliseconds == 0 || deadline < connection.queuedDeadlineMilliseconds {
            connection.queuedDeadlineMilliseconds = deadline
            deadlines.insert(slot: connection.slot, generation: connection.generation, atMilliseconds: deadline, now: nowMilliseconds)
        }
    }

    private func fireDeadlines() {
        guard deadlines.count > 0 else { return }
        deadlines.collectDue(at: nowMilliseconds, into: &dueDeadlines)
        defer { dueDeadlines.removeAll(keepingCapacity: true) }
        for entry in dueDeadlines {
            guard let connection = lookup(slot: UInt32(truncatingIfNeeded: entry), generation: UInt32(truncatingIfNeeded: entry >> 32)) else { continue }
            if connection.queuedDeadlineMilliseconds <= nowMilliseconds { connection.queuedDeadlineMilliseconds = 0 }
            let deadline = connection.deadlineMilliseconds
            if deadline == 0 { continue }
            if deadline > nowMilliseconds {
                // The deadline moved later since this entry was queued (the cheap path on every
                // request): queue it again for its new time unless an earlier entry is pending.
                if connection.queuedDeadlineMilliseconds == 0 || deadline < connection.queuedDeadlineMilliseconds {
                    connection.queuedDeadlineMilliseconds = deadline
                    deadlines.insert(slot: connection.slot, generation: connection.generation, atMilliseconds: deadline, now: nowMilliseconds)
                }
                continue
            }
            connection.deadlineMilliseconds = 0
            if connection.lingerBytesLeft != nil {
                close(connection)
                continue
            }
            connection.handler?.connectionDeadlinePassed(connection)
            afterHandler(connection)
        }
    }

    // MARK: - Shutdown

    /// Stops accepting and closes connections as they become idle; the loop exits when none remain.
    func beginDrain() {
        isDraining = true
        for index in listeners.indices where listeners[index].fd >= 0 {
            if listeners[index].registered { epoll.remove(listeners[index].fd) }
            listeners[index].registered = false
            Socket.close(listeners[index].fd)
            listeners[index].fd = -1
        }
        for case let connection? in connections {
            connection.handler?.connectionWillDrain(connection)
            afterHandler(connection)
        }
        for case let connection? in connections where connection.output.isEmpty && (connection.handler?.isIdle ?? true) {
            close(connection)
        }
    }

    /// Closes everything now.
    func stopNow() {
        running = false
    }
}
