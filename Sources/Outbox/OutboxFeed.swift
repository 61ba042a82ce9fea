import Reservations
import Synchronization

/// Where a stream of outbox events goes: a Server-Sent Events response on one loop.
public protocol OutboxStreamSink: AnyObject {
    /// False once the receiving side has gone (closed, or disconnected for falling behind).
    var isOpen: Bool { get }
    /// Sends bytes; false when the sink has gone (or just went for falling behind).
    func send(_ bytes: [UInt8]) -> Bool
    /// Ends the stream.
    func finish()
}

/// The pull feed's waiting (long-poll) requests and open streams, per event loop (API.md, "Outbox
/// events"). Nothing here holds a thread: a waiting request is a parked answer on its loop, and a
/// stream is a connection the loop feeds. When the writer commits events it calls `committed()`,
/// which wakes just the loops that have someone waiting; each loop then reads the new rows once
/// per waiter through its own read-only connection (`OutboxReader`) in its before-sleep hook, and
/// answers or sends. Deadlines and heartbeats are checked in the same hook (the loop wakes at least
/// every 100 ms while any of its connections has a deadline, which waiting ones always have).
public final class OutboxFeed: @unchecked Sendable {
    // @unchecked Sendable: `loops[i]` and `readers[i]` are touched only on loop i's thread;
    // `interest`, `version` and `streamCount` are atomics; `wakers` is behind its mutex.

    /// A parked long-poll request.
    private struct Waiter {
        let after: Int64
        let limit: Int
        /// Wall-clock ms when it answers with no events.
        let deadlineMs: Int64
        let answer: ([OutboxRecord]) -> Void
    }

    /// An open stream.
    private final class Stream {
        let sink: any OutboxStreamSink
        var lastSent: Int64
        var nextHeartbeatMs: Int64

        init(sink: any OutboxStreamSink, after: Int64, nextHeartbeatMs: Int64) {
            self.sink = sink
            lastSent = after
            self.nextHeartbeatMs = nextHeartbeatMs
        }
    }

    private final class LoopFeed {
        var waiters: [Waiter] = []
        var streams: [Stream] = []
        /// The commit version this loop last looked at.
        var seenVersion: UInt64 = 0
        /// A stream was left behind (it had more than one read's worth): read again next wake-up.
        var behind = false
    }

    /// Most long-poll requests parked per loop.
    public let waitersPerLoopMax: Int
    /// Most open streams in all.
    public let streamsMax: Int
    /// Time between heartbeat comments on an idle stream.
    public let heartbeatMilliseconds: Int64
    /// Most events one stream is sent per wake-up, so one stream never holds its loop for long.
    public static let streamBatchMax = 500

    private let readers: [any OutboxReader]
    private let loops: [LoopFeed]
    private let interest: [InterestFlag]
    private let version = Atomic<UInt64>(1)
    private let streamCount = Atomic<Int>(0)
    private let wakers = Mutex<[@Sendable () -> Void]>([])

    /// - Parameter readers: one per loop, each used only on its loop's thread.
    public init(readers: [any OutboxReader], waitersPerLoopMax: Int = 1_024, streamsMax: Int = 64, heartbeatMilliseconds: Int64 = 15_000) {
        self.readers = readers
        self.loops = readers.map { _ in LoopFeed() }
        self.interest = readers.map { _ in InterestFlag() }
        self.waitersPerLoopMax = waitersPerLoopMax
        self.streamsMax = streamsMax
        self.heartbeatMilliseconds = heartbeatMilliseconds
    }

    /// How to wake each loop from another thread; set once the loops exist (commits before then
    /// wake nobody, and nobody can be waiting yet).
    public func setWakers(_ wakers: [@Sendable () -> Void]) {
        precondition(wakers.count == loops.count, "one waker per loop")
        self.wakers.withLock { $0 = wakers }
    }

    /// New events are committed (the writer's hook): wakes the loops where someone waits. Any thread.
    public func committed() {
        version.add(1, ordering: .releasing)
        let wakers = self.wakers.withLock { $0 }
        for (index, wake) in wakers.enumerated() where interest[index].flag.load(ordering: .relaxed) {
            wake()
        }
    }

    /// The number of streams open now.
    public var openStreams: Int { streamCount.load(ordering: .relaxed) }

    // MARK: On a loop's thread

    /// Up to `limit` events after `after`, read now on `loop`'s connection.
    public func events(loop: Int, after: Int64, limit: Int) throws -> [OutboxRecord] {
        try readers[loop].events(after: after, limit: limit)
    }

    /// Dead events, read now on `loop`'s connection.
    public func dead(loop: Int, after: Int64, limit: Int) throws -> [OutboxRecord] {
        try readers[loop].dead(after: after, limit: limit)
    }

    /// Parks a request on `loop` until an event after `after` is committed (then `answer` gets up
    /// to `limit` of them) or the wall clock passes `deadlineMs` (then `answer` gets none).
    /// False when the loop holds `waitersPerLoopMax` already. The caller has read once and found
    /// nothing; a commit racing with that read is caught, since the version is taken first.
    public func wait(loop: Int, after: Int64, limit: Int, deadlineMs: Int64, seenVersion: UInt64,
                     answer: @escaping ([OutboxRecord]) -> Void) -> Bool {
        let feed = loops[loop]
        guard feed.waiters.count < waitersPerLoopMax else { return false }
        feed.waiters.append(Waiter(after: after, limit: limit, deadlineMs: deadlineMs, answer: answer))
        // Compare against the version seen before the caller's read: a commit in between is served
        // at the next wake-up.
        if seenVersion != version.load(ordering: .acquiring) { feed.seenVersion = 0 }
        interest[loop].flag.store(true, ordering: .relaxed)
        return true
    }

    /// The commit version now; take it before a read that may be followed by `wait`.
    public var currentVersion: UInt64 { version.load(ordering: .acquiring) }

    /// Starts feeding `sink` on `loop` with every event after `after`; false when `streamsMax`
    /// streams are open.
    public func subscribe(loop: Int, after: Int64, sink: any OutboxStreamSink, nowMs: Int64) -> Bool {
        var open = streamCount.load(ordering: .relaxed)
        while true {
            guard open < streamsMax else { return false }
            let (exchanged, original) = streamCount.compareExchange(expected: open, desired: open + 1, ordering: .relaxed)
            if exchanged { break }
            open = original
        }
        let feed = loops[loop]
        feed.streams.append(Stream(sink: sink, after: after, nextHeartbeatMs: nowMs + heartbeatMilliseconds))
        // Send what already exists at the next wake-up.
        feed.seenVersion = 0
        interest[loop].flag.store(true, ordering: .relaxed)
        return true
    }

    /// Serves `loop`'s waiters and streams: new events, deadlines, heartbeats. Called from the
    /// loop's before-sleep hook; `nowMs` is the wall clock in ms, read only when needed.
    public func loopWillSleep(loop: Int, nowMs readNow: @autoclosure () -> Int64) {
        let feed = loops[loop]
        guard !feed.waiters.isEmpty || !feed.streams.isEmpty else { return }
        // The clock is read only by a loop that has someone waiting.
        let nowMs = readNow()
        let current = version.load(ordering: .acquiring)
        let changed = current != feed.seenVersion || feed.behind
        feed.seenVersion = current
        feed.behind = false
        let reader = readers[loop]
        if !feed.waiters.isEmpty {
            var kept: [Waiter] = []
            for waiter in feed.waiters {
                var records: [OutboxRecord] = []
                if changed { records = (try? reader.events(after: waiter.after, limit: waiter.limit)) ?? [] }
                if !records.isEmpty || nowMs >= waiter.deadlineMs {
                    waiter.answer(records)
                } else {
                    kept.append(waiter)
                }
            }
            feed.waiters = kept
        }
        if !feed.streams.isEmpty {
            let before = feed.streams.count
            feed.streams.removeAll { stream in
                guard stream.sink.isOpen else { return true }
                if changed { send(reader: reader, to: stream, feed: feed) }
                if stream.sink.isOpen && nowMs >= stream.nextHeartbeatMs {
                    stream.nextHeartbeatMs = nowMs + heartbeatMilliseconds
                    _ = stream.sink.send(Array(": keep-alive\n\n".utf8))
                }
                return !stream.sink.isOpen
            }
            if feed.streams.count < before { streamCount.subtract(before - feed.streams.count, ordering: .relaxed) }
        }
        interest[loop].flag.store(!feed.waiters.isEmpty || !feed.streams.isEmpty, ordering: .relaxed)
    }

    /// Sends the events after the stream's position, up to `streamBatchMax`.
    private func send(reader: any OutboxReader, to stream: Stream, feed: LoopFeed) {
        guard let records = try? reader.events(after: stream.lastSent, limit: Self.streamBatchMax), !records.isEmpty else { return }
        var bytes: [UInt8] = []
        for record in records {
            bytes.append(contentsOf: "id: \(record.sequence)\nevent: \(record.type)\ndata: ".utf8)
            bytes.append(contentsOf: record.envelopeJSON())
            bytes.append(contentsOf: "\n\n".utf8)
        }
        guard stream.sink.send(bytes) else { return }
        stream.lastSent = records[records.count - 1].sequence
        if records.count == Self.streamBatchMax { feed.behind = true }
    }

}

/// Whether a loop has waiters or streams: read by the committing thread, written by the loop.
private final class InterestFlag: Sendable {
    let flag = Atomic(false)
}
