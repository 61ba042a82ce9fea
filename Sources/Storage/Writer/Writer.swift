import Metrics
import Reservations
import Synchronization
import Threading
import Timing

/// The single writer: one thread that owns the read-write connection and applies every change in
/// batched transactions (DESIGN.md, "Threads and data flow").
///
/// Commands wait in a bounded queue. The thread sleeps until at least one is queued, takes
/// everything queued up to `batchLimit` — it never waits to gather more — and runs them in one
/// BEGIN IMMEDIATE transaction, each in its own SAVEPOINT so a failing command undoes only itself.
/// After COMMIT returns it calls the completions in order: no success is reported before it is
/// durable. Every command of a batch sees the same "now", taken when the batch starts.
///
/// Before a batch's commands it expires every hold whose deadline is at or before the batch's "now",
/// in the same transaction, so a lapsed hold never blocks a new one and confirm or cancel never win
/// against a passed deadline. When idle it wakes by itself at the next deadline (see
/// `expiryTickMilliseconds`).
///
/// A command with an `IdempotencyClaim` runs at most once per scope while its entry lives
/// (`idempotencyTTLMilliseconds`): a retry with the same fingerprint gets the stored response plus
/// `Idempotent-Replayed: true`, another fingerprint gets `.idempotencyConflict`. Storable responses
/// (`IdempotencyRules.isStorable`) are written in the command's own transaction, so a response is
/// replayable exactly when it is durable; `IdempotencyIndex` describes the storage. A duplicate of a
/// claimed event creation that is still inserting seats waits for it and replays its response.
///
/// Start-up (open, migrate, drop half-created events, rebuild each event's `SeatIndex`, load the
/// live holds and expire the overdue ones, rebuild the idempotency map) runs on the writer thread;
/// commands submitted meanwhile wait in the queue, and `isReady` turns true after it.
///
/// With `Configuration.metrics` set, the writer keeps Prometheus series up to date (see
/// `WriterMetrics` for the list): `writer_batch_size`, `writer_commit_seconds`,
/// `writer_queue_depth`, `reservation_outcomes_total`, `reservations_live_holds`, `seats` (first
/// 1,000 events only), `reservation_expiry_lateness_seconds`, `outbox_backlog`,
/// `idempotency_replays_total`, `idempotency_conflicts_total` and `idempotency_entries`.
public final class Writer: CommandSink, Sendable {
    /// Settings; each has a default except the path.
    public struct Configuration: Sendable {
        /// The database file.
        public var path: String
        /// Connection pragmas.
        public var options: SQLiteOptions
        /// Most commands waiting at once; `submit` refuses beyond it. Default 8192.
        public var queueCapacity: Int
        /// Most commands per transaction. Default 512.
        public var batchLimit: Int
        /// Seat rows an event creation inserts per batch, so a large event never holds the writer
        /// for long. Default 50,000.
        public var seatsPerChunk: Int
        /// Time: the wall clock is read once per batch (every command's "now"); the monotonic clock
        /// times commits and the checkpoint interval. Default `SystemClock()`.
        public var clock: any Clock
        /// Generates event, reservation, order and outbox ids.
        public var ids: IDGenerator
        /// Most seats one hold may take; the writer refuses more even if a door let them through.
        /// Set it to the server's `--max-quantity`. Default 10 (API.md).
        public var maxHoldQuantity: Int
        /// How far holds may be extended (`--max-hold-extensions`, `--max-hold-seconds`).
        public var holdPolicy: HoldPolicy
        /// Granularity of expiry wake-ups: an idle writer wakes at the first deadline rounded up to
        /// a multiple of this, so holds ending close together expire in one transaction. Expiry is
        /// never early, and at most this much plus one commit late. Default 10 ms.
        public var expiryTickMilliseconds: Int64
        /// Longest an idle writer sleeps before it reads the clock again, even when the next
        /// deadline is further away: the sleep is measured on the monotonic clock, so this bounds
        /// how late holds expire after the wall clock steps forward. Default 1,000 ms.
        public var maxIdleWaitMilliseconds: Int64
        /// Overdue holds expired per transaction at start-up, so a long outage's backlog is worked
        /// off in bounded transactions before the writer reports ready. Default 5,000.
        public var expiriesPerStartupTransaction: Int
        /// Called on the writer thread when stored rows and the in-memory index disagree (a bug or
        /// a hand-edited file). The command involved fails with `storageFailure` and changes
        /// nothing. Must be quick. Default: one line on standard error.
        public var onInvariantBreach: @Sendable (String) -> Void
        /// How long a stored idempotent response is kept, from the batch that stored it; after that
        /// the key is forgotten and a retry runs again (API.md, `IDEMPOTENCY_TTL_SECONDS`).
        /// Default 300,000 ms.
        public var idempotencyTTLMilliseconds: Int64
        /// Most idempotency entries the writer holds in memory (at most 64 bytes each, see
        /// `IdempotencyIndex`; the default bounds them near 1 GB, and 53,333 new keys a second with
        /// the default TTL). At the bound a command with a new claim is refused with
        /// `storageFailure` (503, retry later) instead of growing memory without end; replays of
        /// stored keys and commands without a claim still run. Expired entries count until the purge
        /// removes them. Default 16,000,000.
        public var idempotencyEntriesMax: Int
        /// Most of those entries one caller may hold; beyond it that caller's new keys are refused
        /// with `idempotencyKeyLimit` (429) while every other caller's still work. Default 100,000.
        public var idempotencyEntriesPerCallerMax = 100_000
        /// Live holds one caller may have at once; a further hold is `holdLimitExceeded`. 0 = no limit.
        public var liveHoldsPerCallerMax = 0
        /// Most expired idempotency rows one batch deletes (oldest first), so a purge never makes a
        /// batch long. Default 1,000, which outpaces the default batch limit of 512 inserts.
        public var idempotencyPurgeLimit: Int
        /// Called on the writer thread after a batch that appended outbox rows committed, so that
        /// waiting feed readers and the relay look for them. Must only hand off. Default nil.
        public var onOutboxCommitted: (@Sendable () -> Void)?
        /// Where the writer's Prometheus series go; nil records none. See `metricsShard`.
        public var metrics: MetricsRegistry?
        /// The registry shard the writer thread records on; no other thread may write it. Nil means
        /// the last shard (`shardCount - 1`): the server creates its registry with one shard per
        /// event loop plus one for the writer. Default nil.
        public var metricsShard: Int?

        /// Creates a configuration.
        public init(
            path: String,
            options: SQLiteOptions = SQLiteOptions(),
            queueCapacity: Int = 8_192,
            batchLimit: Int = 512,
            seatsPerChunk: Int = 50_000,
            clock: any Clock = SystemClock(),
            ids: IDGenerator = IDGenerator(),
            maxHoldQuantity: Int = ReservationLimits.defaultMaxQuantity,
            holdPolicy: HoldPolicy = HoldPolicy(),
            expiryTickMilliseconds: Int64 = 10,
            maxIdleWaitMilliseconds: Int64 = 1_000,
            expiriesPerStartupTransaction: Int = 5_000,
            onInvariantBreach: @escaping @Sendable (String) -> Void = Writer.reportToStandardError,
            idempotencyTTLMilliseconds: Int64 = 300_000,
            idempotencyEntriesMax: Int = 16_000_000,
            idempotencyPurgeLimit: Int = 1_000,
            metrics: MetricsRegistry? = nil,
            metricsShard: Int? = nil,
            onOutboxCommitted: (@Sendable () -> Void)? = nil
        ) {
            self.path = path
            self.options = options
            self.queueCapacity = queueCapacity
            self.batchLimit = batchLimit
            self.seatsPerChunk = seatsPerChunk
            self.clock = clock
            self.ids = ids
            self.maxHoldQuantity = maxHoldQuantity
            self.holdPolicy = holdPolicy
            self.expiryTickMilliseconds = expiryTickMilliseconds
            self.maxIdleWaitMilliseconds = maxIdleWaitMilliseconds
            self.expiriesPerStartupTransaction = expiriesPerStartupTransaction
            self.onInvariantBreach = onInvariantBreach
            self.idempotencyTTLMilliseconds = idempotencyTTLMilliseconds
            self.idempotencyEntriesMax = idempotencyEntriesMax
            self.idempotencyPurgeLimit = idempotencyPurgeLimit
            self.metrics = metrics
            self.metricsShard = metricsShard
            self.onOutboxCommitted = onOutboxCommitted
        }

        /// The shard the writer records metrics on, when metrics are configured.
        var resolvedMetricsShard: Int? {
            guard let metrics else { return nil }
            return metricsShard ?? metrics.shardCount - 1
        }
    }

    /// What the writer has done so far; a snapshot.
    public struct Statistics: Sendable, Hashable {
        /// Transactions attempted (committed or not).
        public var batches = 0
        /// Units of work run in those batches: client commands plus background steps (event-creation
        /// chunks and clean-ups); debug recounts are not counted.
        public var commands = 0
        /// Largest batch so far.
        public var maxBatchSize = 0
        /// Duration of the most recent COMMIT (the fsync), in nanoseconds.
        public var lastCommitNanoseconds: UInt64 = 0
        /// Batches whose BEGIN or COMMIT failed (every command in them answered `storageFailure`).
        public var failedBatches = 0
        /// `submit` calls refused because the queue was full or closed.
        public var rejected = 0
        /// The most recent storage error, for diagnosis.
        public var lastError: String?
        /// Holds expired while serving (their lateness is in `expiryLateness`).
        public var expiredHolds = 0
        /// Holds found overdue at start-up and expired before the writer reported ready; kept out of
        /// `expiryLateness` because their lateness measures the outage, not the timer.
        public var expiredAtStartup = 0
        /// Deadline-to-commit lateness of `expiredHolds`.
        public var expiryLateness = ExpiryLateness()
        /// Live holds the writer is tracking after the latest batch.
        public var liveHolds = 0
        /// Disagreements between stored rows and the in-memory state (see `onInvariantBreach`).
        public var invariantBreaches = 0
        /// Claimed commands answered with their stored response instead of running.
        public var idempotencyReplays = 0
        /// Claimed commands refused because their scope was stored with another fingerprint.
        public var idempotencyConflicts = 0
        /// Claimed commands refused because `idempotencyEntriesMax` entries were held.
        public var idempotencyRefusals = 0
        /// Idempotency entries in memory after the latest batch (expired ones until purged).
        public var idempotencyEntries = 0
        /// Expired idempotency rows deleted so far.
        public var idempotencyPurged = 0
        /// Outbox rows neither delivered nor dead: counted at start-up, then kept by every insert,
        /// delivery, dead event, retry and prune.
        public var outboxBacklog = 0

        /// Mean commands per batch; 0 before the first batch.
        public var meanBatchSize: Double {
            batches == 0 ? 0 : Double(commands) / Double(batches)
        }
    }

    /// Writes `message` as one line on standard error: the default breach report, loud enough to
    /// be seen without any logging set up.
    public static func reportToStandardError(_ message: String) {
        Platform.writeStandardError("reservation-server writer: invariant breach: \(message)\n")
    }

    /// The configuration the writer runs with.
    public let configuration: Configuration
    let queue: WriterQueue
    let shared: WriterShared
    private let thread: Mutex<OSThread?>

    /// Starts the writer thread, which opens and migrates the database and rebuilds its indexes.
    /// Returns at once; see `waitUntilReady()`. Throws only when the thread cannot be started.
    public init(configuration: Configuration) throws {
        precondition(configuration.queueCapacity > 0, "queueCapacity must be positive")
        precondition(configuration.batchLimit > 0, "batchLimit must be positive")
        precondition(configuration.seatsPerChunk > 0, "seatsPerChunk must be positive")
        precondition(configuration.maxHoldQuantity > 0, "maxHoldQuantity must be positive")
        precondition(configuration.expiryTickMilliseconds > 0, "expiryTickMilliseconds must be positive")
        precondition(configuration.maxIdleWaitMilliseconds > 0, "maxIdleWaitMilliseconds must be positive")
        precondition(configuration.expiriesPerStartupTransaction > 0, "expiriesPerStartupTransaction must be positive")
        precondition(configuration.idempotencyTTLMilliseconds > 0, "idempotencyTTLMilliseconds must be positive")
        precondition(configuration.idempotencyEntriesMax > 0, "idempotencyEntriesMax must be positive")
        precondition(configuration.idempotencyPurgeLimit > 0, "idempotencyPurgeLimit must be positive")
        if let metrics = configuration.metrics, let shard = configuration.resolvedMetricsShard {
            precondition(shard >= 0 && shard < metrics.shardCount, "metricsShard must be a shard of the registry")
        }
        self.configuration = configuration
        let queue = WriterQueue(capacity: configuration.queueCapacity)
        // Read by the scraping thread under the queue's lock. Weak, so the registry (which may
        // outlive this writer) does not keep the queue alive; a stopped writer reads as 0.
        configuration.metrics?.gaugeFunction(
            name: "writer_queue_depth", help: "Commands waiting in the writer's queue."
        ) { [weak queue] in
            Double(queue?.depth ?? 0)
        }
        let shared = WriterShared()
        self.queue = queue
        self.shared = shared
        let thread = try OSThread.start(name: "writer") {
            WriterThread(configuration: configuration, queue: queue, shared: shared).run()
        }
        self.thread = Mutex(thread)
    }

    deinit {
        shutdown()
    }

    /// Name of the stored secret behind `cursorKey`.
    static let cursorKeyName = "listing_cursor"

    /// 32 secret bytes, made once and kept in the database, for signing listing cursors so that
    /// they survive restarts but cannot be forged. Empty until start-up has finished.
    public var cursorKey: [UInt8] {
        shared.cursorKey.withLock { $0 }
    }

    /// Whether start-up has finished and the writer is serving commands.
    public var isReady: Bool {
        shared.ready.load(ordering: .acquiring)
    }

    /// Blocks until start-up has finished; rethrows its error when it failed.
    public func waitUntilReady() throws {
        try shared.startup.wait().get()
    }

    /// Queues `command`; false when the queue is full or the writer is shutting down.
    public func submit(_ command: WriteCommand) -> Bool {
        let accepted = queue.submit(.command(command))
        if !accepted {
            shared.statistics.withLock { $0.rejected += 1 }
        }
        return accepted
    }

    /// A consistent snapshot of the counters.
    public var statistics: Statistics {
        shared.statistics.withLock { $0 }
    }

    /// Stops admitting commands, runs everything already admitted (including the rest of any event
    /// being created), commits, closes the connection and joins the thread. Safe to call repeatedly.
    public func shutdown() {
        thread.withLock { thread in
            guard let running = thread else { return }
            queue.close()
            running.join()
            thread = nil
        }
    }

    /// Debug check: recounts `eventID`'s seats from SQL and compares them with the writer's
    /// `SeatIndex` and the stored section counters. Runs on the writer thread between commands of a
    /// batch, and scans every seat row of the event, so it is for tests and diagnosis only. Nil when
    /// the event does not exist (or is not complete); throws when the writer has stopped.
    public func recount(eventID: EventID) throws -> RecountReport? {
        let request = RecountRequest(eventID: eventID)
        guard queue.submit(.recount(request)) else {
            throw WriterError.stopped
        }
        return try request.result.wait().get()
    }
}

/// Why the writer could not do what was asked.
public enum WriterError: Error, Sendable, Hashable {
    /// The writer has shut down (or failed to start) and takes no more work.
    case stopped
    /// Stored rows contradict each other (found at start-up); the text names the event and row.
    case inconsistentData(String)
}

/// State the writer thread shares with the `Writer` object and other threads.
final class WriterShared: Sendable {
    let statistics = Mutex(Writer.Statistics())
    /// The key that signs listing cursors; set during start-up.
    let cursorKey = Mutex<[UInt8]>([])
    let ready = Atomic(false)
    let startup = OneShot<Result<Void, any Error>>()
}

/// A recount waiting for the writer thread.
final class RecountRequest: Sendable {
    let eventID: EventID
    let result = OneShot<Result<RecountReport?, any Error>>()

    init(eventID: EventID) {
        self.eventID = eventID
    }
}

/// One entry of the writer's queue.
enum QueueItem: Sendable {
    /// A client command; counts against the capacity.
    case command(WriteCommand)
    /// A debug recount; admitted regardless of capacity.
    case recount(RecountRequest)
}

/// The writer's bounded queue.
final class WriterQueue: @unchecked Sendable {
    // @unchecked Sendable: `items`, `head`, `commandCount` and `closed` are read and written only
    // while holding `lock`.
    private let lock = ConditionLock()
    let capacity: Int
    /// Queued items from `head` on; the consumed prefix is dropped when it grows large.
    private var items: [QueueItem] = []
    private var head = 0
    /// Client commands among the queued items.
    private var commandCount = 0
    private var closed = false

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Client commands waiting (not yet taken by the writer).
    var depth: Int {
        lock.withLock { commandCount }
    }

    /// Appends `item`; false when closed, or when it is a command and `capacity` commands wait.
    func submit(_ item: QueueItem) -> Bool {
        lock.withLock {
            guard !closed else { return false }
            if case .command = item {
                guard commandCount < capacity else { return false }
                commandCount += 1
            }
            let wasEmpty = head == items.count
            items.append(item)
            // Only the writer ever waits on this condition, and only on an empty queue.
            if wasEmpty { lock.signal() }
            return true
        }
    }

    /// How long `take` may sleep while the queue is empty.
    enum Wait {
        /// Not at all.
        case none
        /// Until an item arrives or the queue closes.
        case forever
        /// Until an item arrives, the queue closes, or this many milliseconds pass.
        case milliseconds(Int64)
    }

    /// Takes up to `limit` items in order, first sleeping as `wait` allows while the queue is empty
    /// and open. `closed` is true once no further item can arrive.
    func take(limit: Int, wait: Wait) -> (items: [QueueItem], closed: Bool) {
        lock.withLock {
            switch wait {
            case .none:
                break
            case .forever:
                while head == items.count && !closed {
                    lock.wait()
                }
            case .milliseconds(let milliseconds):
                // The condition waits on CLOCK_MONOTONIC (see ConditionLock), whatever clock the
                // writer is configured with.
                let deadline = SystemClock().monotonicNanoseconds() + UInt64(max(milliseconds, 0)) * 1_000_000
                while head == items.count && !closed {
                    if !lock.wait(untilMonotonicNanoseconds: deadline) { break }
                }
            }
            let end = min(items.count, head + limit)
            let taken = Array(items[head..<end])
            head = end
            if head == items.count {
                items.removeAll(keepingCapacity: true)
                head = 0
            } else if head >= 4_096 {
                items.removeFirst(head)
                head = 0
            }
            for item in taken {
                if case .command = item { commandCount -= 1 }
            }
            return (taken, closed && head == items.count)
        }
    }

    /// Refuses further items and wakes the writer so it can drain and stop.
    func close() {
        lock.withLock {
            closed = true
            lock.signal()
        }
    }
}
