import Logging
import Metrics
import Reservations
import Threading
import Timing

/// Pushes every outbox event to a webhook, at least once (API.md, "Outbox events").
///
/// Threads of its own, never an event loop or the writer: a loader that reads the backlog in
/// sequence order into a bounded `DeliverySchedule` and reports progress through the writer, and
/// `connections` senders, each with one keep-alive `WebhookClient`. Per subject one event is in
/// flight at a time, in sequence order; a failing event waits for its retry without holding up
/// other subjects; a dead one is recorded and its subject goes on. Progress is durable through the
/// writer (`OutboxChange.delivered`, batched), so a restart resends only what was in flight or
/// delivered but not yet recorded. Delivered rows are pruned after the retention period, in
/// bounded steps.
public final class WebhookRelay: @unchecked Sendable {
    // @unchecked Sendable: `state` is read and written only while holding `lock`; `reader`, `lastLoaded`
    // and `retention` belong to the loader thread; each client belongs to its sender thread.

    public struct Configuration: Sendable {
        public var target: WebhookTarget
        /// Concurrent connections (senders). Default 4.
        public var connections = 4
        public var connectTimeoutMilliseconds = 2_000
        /// The whole exchange, request sent to response read. Default 10 s.
        public var responseTimeoutMilliseconds = 10_000
        public var policy = DeliveryPolicy()
        /// Events held in memory at once. Default 10,000.
        public var eventsInMemoryMax = 10_000
        /// Delivered rows older than this are pruned. Default 24 h.
        public var retentionMilliseconds: Int64 = 24 * 3_600_000
        /// Rows one prune command deletes. Default 5,000.
        public var prunePerCommand = 5_000
        /// The CloudEvents `source` of every envelope.
        public var source = OutboxRecord.defaultSource

        public init(target: WebhookTarget) {
            self.target = target
        }
    }

    private struct State {
        var schedule: DeliverySchedule
        var stopping = false
        /// New events may have been committed since the loader last read.
        var newEvents = true
        /// Delivered sequences not yet handed to the writer.
        var delivered: [Int64] = []
        /// Dead events not yet handed to the writer.
        var dead: [(sequence: Int64, attempts: Int, reason: String)] = []
    }

    public let configuration: Configuration
    private let lock = ConditionLock()
    private var state: State
    private let reader: any OutboxReader
    private let commands: any CommandSink
    private let clock: any Clock
    private let log: Log?
    private let metrics: RelayMetrics?
    private var threads: [OSThread] = []
    /// Loader thread only.
    private var lastLoaded: Int64 = 0
    private var retention: OutboxRetention

    /// - Parameters:
    ///   - reader: a connection of the relay's own; used only by its loader thread.
    ///   - metricsShard: a registry shard no other thread writes (the relay writes it under its lock).
    public init(configuration: Configuration, reader: any OutboxReader, commands: any CommandSink, clock: any Clock = SystemClock(),
                metrics registry: MetricsRegistry? = nil, metricsShard: Int = 0, log: Log? = nil) {
        precondition(configuration.connections > 0, "connections must be positive")
        self.configuration = configuration
        self.state = State(schedule: DeliverySchedule(capacity: configuration.eventsInMemoryMax))
        self.reader = reader
        self.commands = commands
        self.clock = clock
        self.log = log
        self.metrics = registry.map { RelayMetrics(registry: $0, shard: metricsShard) }
        self.retention = OutboxRetention(commands: commands, clock: clock, retentionMilliseconds: configuration.retentionMilliseconds,
                                         rowsPerStep: configuration.prunePerCommand, undeliveredToo: false)
        if let registry {
            registry.gaugeFunction(
                name: "outbox_oldest_pending_age_seconds", help: "Age of the oldest event waiting for webhook delivery (0 when none waits)."
            ) { [weak self] in
                guard let self else { return 0 }
                let oldest = lock.withLock { state.schedule.oldestTimeMs }
                return oldest.map { max(Double(clock.wallMilliseconds() - $0) / 1000, 0) } ?? 0
            }
        }
    }

    /// Starts the loader and the senders.
    public func start() throws {
        threads.append(try OSThread.start(name: "outbox-loader") { [self] in runLoader() })
        for index in 0..<configuration.connections {
            threads.append(try OSThread.start(name: "outbox-send-\(index)") { [self] in runSender() })
        }
    }

    /// New events were committed (the writer's hook): the loader reads them. Any thread; quick.
    public func notify() {
        lock.withLock {
            state.newEvents = true
            lock.broadcast()
        }
    }

    /// A dead event was put back in the backlog (`OutboxChange.retryDead` committed): deliver it.
    public func revived(_ record: OutboxRecord) {
        let envelope = record.envelopeJSON(source: configuration.source)
        lock.withLock {
            if state.schedule.add(record, envelope: envelope) { lock.broadcast() }
        }
    }

    /// Stops taking events, lets the attempts in flight finish (each is bounded by the response
    /// timeout), hands the last progress to the writer, and joins the threads. Call before the
    /// writer shuts down, so that progress is committed with everything else.
    public func shutdown() {
        lock.withLock {
            state.stopping = true
            lock.broadcast()
        }
        for thread in threads { thread.join() }
        threads = []
    }

    // MARK: Senders

    private func runSender() {
        let client = WebhookClient(target: configuration.target,
                                   connectTimeoutMilliseconds: configuration.connectTimeoutMilliseconds,
                                   responseTimeoutMilliseconds: configuration.responseTimeoutMilliseconds)
        while let item = take() {
            let headers = [
                ("Content-Type", "application/cloudevents+json"), ("ce-specversion", "1.0"),
                ("ce-id", item.record.id), ("ce-type", item.record.type),
            ]
            let attempt = client.post(body: item.envelope, headers: headers)
            finish(item, attempt)
        }
    }

    /// The next event to send, waiting as long as needed; nil once stopping.
    private func take() -> DeliverySchedule.Item? {
        lock.withLock {
            while !state.stopping {
                let nowMs = monotonicMs()
                if let item = state.schedule.next(nowMs: nowMs) { return item }
                if let retryMs = state.schedule.earliestRetryMs {
                    _ = lock.wait(untilMonotonicNanoseconds: UInt64(max(retryMs, nowMs)) * 1_000_000)
                } else {
                    lock.wait()
                }
            }
            return nil
        }
    }

    private func finish(_ item: DeliverySchedule.Item, _ attempt: DeliveryPolicy.Attempt) {
        let nowWallMs = clock.wallMilliseconds()
        let deadReason: String? = lock.withLock {
            var item = item
            // The jitter: once per failed attempt, so the system generator's cost does not matter.
            let random = Double.random(in: 0..<1)
            let failures = item.attempts + 1
            let decision = configuration.policy.decide(attempt, failures: failures, random: random)
            metrics?.attempt(DeliveryPolicy.resultLabel(attempt))
            defer { lock.broadcast() }
            switch decision {
            case .delivered:
                state.schedule.finish(item, .done)
                state.delivered.append(item.record.sequence)
                metrics?.delivered(lagSeconds: Double(nowWallMs - item.record.timeMs) / 1000)
                return nil
            case .retry(let milliseconds):
                item.attempts = failures
                state.schedule.finish(item, .retry(atMs: monotonicMs() + milliseconds))
                return nil
            case .dead(let reason):
                state.schedule.finish(item, .done)
                state.dead.append((item.record.sequence, failures, reason))
                metrics?.dead()
                return reason
            }
        }
        if let deadReason {
            log?.warn("outbox event dead", ["id": .string(item.record.id), "sequence": .int(item.record.sequence), "reason": .string(deadReason)])
        }
    }

    // MARK: Loader

    private func runLoader() {
        while true {
            let (load, room, delivered, dead, finished) = lock.withLock {
                () -> (Bool, Int, [Int64], [(sequence: Int64, attempts: Int, reason: String)], Bool) in
                while state.delivered.isEmpty && state.dead.isEmpty {
                    if state.stopping {
                        // Wait for the senders' last attempts; they hand in their results.
                        if state.schedule.inFlight == 0 { break }
                    } else if state.newEvents && state.schedule.room > 0 {
                        break
                    }
                    // Wake at least once a second: for pruning, and to read what a missed hint left.
                    if !lock.wait(untilMonotonicNanoseconds: clock.monotonicNanoseconds() + 1_000_000_000) {
                        if !state.stopping { state.newEvents = true }
                        break
                    }
                }
                let load = !state.stopping && state.newEvents && state.schedule.room > 0
                if load { state.newEvents = false }
                let taken = (load, state.schedule.room, state.delivered, state.dead, state.stopping && state.schedule.inFlight == 0)
                state.delivered.removeAll(keepingCapacity: true)
                state.dead.removeAll(keepingCapacity: true)
                return taken
            }
            record(delivered: delivered, dead: dead)
            if load { loadBacklog(room: room) }
            if !finished { retention.runIfDue() }
            reader.resetStatements()
            if finished { return }
        }
    }

    /// Reads up to `room` pending events after the last one loaded.
    private func loadBacklog(room: Int) {
        let records: [OutboxRecord]
        do {
            records = try reader.pending(after: lastLoaded, limit: min(room, 1_000))
        } catch {
            log?.error("outbox relay cannot read the backlog", ["error": .string(String(describing: error))])
            return
        }
        guard let last = records.last else { return }
        lastLoaded = last.sequence
        let envelopes = records.map { $0.envelopeJSON(source: configuration.source) }
        lock.withLock {
            for (record, envelope) in zip(records, envelopes) { state.schedule.add(record, envelope: envelope) }
            // A full page: more may be waiting.
            if records.count == min(room, 1_000) { state.newEvents = true }
            lock.broadcast()
        }
    }

    /// Hands progress to the writer. A full writer queue puts it back for the next round.
    private func record(delivered: [Int64], dead: [(sequence: Int64, attempts: Int, reason: String)]) {
        var start = 0
        while start < delivered.count {
            let end = min(start + 1_000, delivered.count)
            let slice = Array(delivered[start..<end])
            if !submit(.delivered(sequences: slice)) {
                lock.withLock { state.delivered.append(contentsOf: delivered[start...]) }
                break
            }
            start = end
        }
        for (index, event) in dead.enumerated() where !submit(.dead(sequence: event.sequence, attempts: event.attempts, reason: event.reason)) {
            lock.withLock { state.dead.append(contentsOf: dead[index...]) }
            break
        }
    }

    private func submit(_ change: OutboxChange) -> Bool {
        commands.submit(WriteCommand(operation: .outbox(change), render: { _ in Reply(code: 0) }, completion: { _ in }))
    }

    private func monotonicMs() -> Int64 {
        Int64(clock.monotonicNanoseconds() / 1_000_000)
    }
}

/// The relay's series; written only under the relay's lock, on its own shard.
private final class RelayMetrics: Sendable {
    let shard: Int
    let deliveredTotal: Counter
    let deadTotal: Counter
    let attempts: CounterFamily
    let lag: Histogram

    init(registry: MetricsRegistry, shard: Int) {
        self.shard = shard
        deliveredTotal = registry.counter(name: "outbox_delivered_total", help: "Outbox events the webhook accepted (2xx).")
        deadTotal = registry.counter(name: "outbox_dead_total", help: "Outbox events given up on (dead).")
        attempts = registry.counterFamily(
            name: "outbox_delivery_attempts_total", help: "Webhook delivery attempts by result.", labelNames: ["result"])
        lag = registry.histogram(
            name: "outbox_delivery_lag_seconds", help: "From an event's commit to its webhook's 2xx.",
            buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300])
    }

    func attempt(_ result: String) { attempts.labels(result).increment(shard: shard) }
    func dead() { deadTotal.increment(shard: shard) }

    func delivered(lagSeconds: Double) {
        deliveredTotal.increment(shard: shard)
        lag.observe(shard: shard, max(lagSeconds, 0))
    }
}
