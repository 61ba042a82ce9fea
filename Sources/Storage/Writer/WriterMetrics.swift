import Metrics
import Reservations

/// The writer's Prometheus series (`Writer.Configuration.metrics`).
///
/// Every value is recorded on the writer thread, on one shard of the registry (`shard`), so the
/// writer never shares a cell with an event loop; the registry sums shards at scrape time. Values
/// change only after a batch's COMMIT returned (or failed), so a scrape never shows work that was
/// rolled back. Children are looked up once and kept here, because `labels` takes a lock.
///
/// What each series counts:
/// - `writer_batch_size`: commands per transaction (client commands plus the background step, as
///   `Writer.Statistics.commands`); expiry-only wake-ups with no command are not observed.
/// - `writer_commit_seconds`: every COMMIT that succeeded.
/// - `reservation_outcomes_total{operation,outcome}`: hold, confirm and cancel commands the writer
///   ran (replays, conflicts and refusals did not run and are not here), by `ok` or the error code
///   in lowercase; a failed batch's commands count as `service_unavailable`. `expire` counts holds
///   expired while serving (start-up expiries are not).
/// - `reservations_live_holds`, `outbox_backlog`, `idempotency_entries`: gauges set after every batch.
///   `outbox_backlog` is counted once at start-up and then only grows with inserts: no relay
///   delivers rows yet, and when one does it must decrease it.
/// - `seats{event,state}`: after each batch, for the events whose seats it changed.
/// - `reservation_expiry_lateness_seconds`: deadline to COMMIT of each expiry while serving.
/// - `idempotency_replays_total`, `idempotency_conflicts_total`: committed batches only.
///
/// Used only on the writer thread (`writer_queue_depth`, which any scraping thread reads, is
/// registered by `Writer` itself).
final class WriterMetrics {
    /// Events whose seat counts get `seats` series; later events get none, so one process cannot
    /// grow the scrape without bound (3 series per event).
    static let maxEventSeries = 1_000

    /// Commands per batch: 1 … 1024, doubling (the batch limit defaults to 512).
    static let batchSizeBuckets: [Double] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1_024]
    /// Deadline-to-commit lateness of expiries: 1 ms (a tick) to 10 s (the idle wait bound, a stalled disk).
    static let expiryLatenessBuckets: [Double] = [
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
    ]

    let shard: Int
    private let batchSize: Histogram
    private let commitSeconds: Histogram
    private let outcomes: CounterFamily
    private var outcomeCounters: [OutcomeKey: Counter] = [:]
    private let liveHolds: Gauge
    private let seats: GaugeFamily
    private var seatSeries: [Int64: (available: Gauge, held: Gauge, sold: Gauge)] = [:]
    private let expiryLateness: Histogram
    private let outboxBacklog: Gauge
    private let replays: Counter
    private let conflicts: Counter
    private let idempotencyEntries: Gauge

    /// The operations `reservation_outcomes_total` distinguishes.
    enum Operation: String {
        case hold, confirm, cancel, extend, expire
    }

    private struct OutcomeKey: Hashable {
        let operation: Operation
        let outcome: String
    }

    init(registry: MetricsRegistry, shard: Int) {
        self.shard = shard
        batchSize = registry.histogram(
            name: "writer_batch_size", help: "Commands per writer transaction (client commands and background steps).",
            buckets: Self.batchSizeBuckets)
        commitSeconds = registry.histogram(
            name: "writer_commit_seconds", help: "Duration of the writer's COMMIT (the fsync), in seconds.")
        outcomes = registry.counterFamily(
            name: "reservation_outcomes_total",
            help: "Reservation commands the writer ran, by operation and outcome (ok or the lowercase error code).",
            labelNames: ["operation", "outcome"])
        liveHolds = registry.gauge(name: "reservations_live_holds", help: "Holds that are live after the latest batch.")
        seats = registry.gaugeFamily(
            name: "seats", help: "Seats by event and state (series for the first 1000 events only).",
            labelNames: ["event", "state"])
        expiryLateness = registry.histogram(
            name: "reservation_expiry_lateness_seconds",
            help: "Time from a hold's deadline to the commit of its expiry, in seconds (start-up expiries excluded).",
            buckets: Self.expiryLatenessBuckets)
        outboxBacklog = registry.gauge(
            name: "outbox_backlog", help: "Outbox events neither delivered nor dead.")
        replays = registry.counter(
            name: "idempotency_replays_total", help: "Retries answered with the stored response instead of running again.")
        conflicts = registry.counter(
            name: "idempotency_conflicts_total", help: "Idempotency-Key reuses with a different request (409).")
        idempotencyEntries = registry.gauge(
            name: "idempotency_entries", help: "Idempotency keys the writer holds in memory (expired ones until purged).")
    }

    /// Records a transaction of `size` commands and, when it committed, its COMMIT duration.
    func recordBatch(size: Int, commitNanoseconds: UInt64?) {
        if size > 0 { batchSize.observe(shard: shard, Double(size)) }
        if let commitNanoseconds { commitSeconds.observe(shard: shard, nanoseconds: commitNanoseconds) }
    }

    /// Counts one command's outcome: `nil` error is "ok", otherwise the error code in lowercase.
    func recordOutcome(_ operation: Operation, _ error: DomainError?) {
        let key = OutcomeKey(operation: operation, outcome: error.map { $0.code.lowercased() } ?? "ok")
        let counter: Counter
        if let existing = outcomeCounters[key] {
            counter = existing
        } else {
            counter = outcomes.labels(operation.rawValue, key.outcome)
            outcomeCounters[key] = counter
        }
        counter.increment(shard: shard)
    }

    /// Records one expiry that committed `latenessMs` after its deadline.
    func recordExpiry(latenessMs: Int64) {
        expiryLateness.observe(shard: shard, Double(max(latenessMs, 0)) / 1_000)
    }

    func recordIdempotency(replays replayCount: Int, conflicts conflictCount: Int, entries: Int) {
        if replayCount > 0 { replays.increment(shard: shard, by: UInt64(replayCount)) }
        if conflictCount > 0 { conflicts.increment(shard: shard, by: UInt64(conflictCount)) }
        idempotencyEntries.set(shard: shard, Double(entries))
    }

    func setLiveHolds(_ count: Int) {
        liveHolds.set(shard: shard, Double(count))
    }

    func setOutboxBacklog(_ count: Int) {
        outboxBacklog.set(shard: shard, Double(count))
    }

    /// Sets `event`'s seat series from its index, creating them for the first `maxEventSeries`
    /// events seen (by storage key) and ignoring later events.
    func setSeats(of live: LiveEvent) {
        let series: (available: Gauge, held: Gauge, sold: Gauge)
        if let existing = seatSeries[live.event.key] {
            series = existing
        } else {
            guard seatSeries.count < Self.maxEventSeries else { return }
            series = (
                seats.labels(live.event.id, "available"), seats.labels(live.event.id, "held"),
                seats.labels(live.event.id, "sold")
            )
            seatSeries[live.event.key] = series
        }
        series.available.set(shard: shard, Double(live.index.available))
        series.held.set(shard: shard, Double(live.index.held))
        series.sold.set(shard: shard, Double(live.index.sold))
    }
}
