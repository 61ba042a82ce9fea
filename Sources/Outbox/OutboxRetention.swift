import Reservations
import Threading
import Timing

/// Prunes old outbox rows through the writer (API.md: "Delivered events are pruned after
/// `--outbox-retention-hours`"), one bounded step at a time: once a minute (a quarter of the
/// retention period when that is shorter), or again at once while steps come back full. With a webhook, delivered rows go by their delivery time; without one
/// (the pull feed is the only consumer) every row goes by its creation time. Dead rows stay.
struct OutboxRetention {
    let commands: any CommandSink
    let clock: any Clock
    let retentionMilliseconds: Int64
    let rowsPerStep: Int
    let undeliveredToo: Bool
    private var nextStepMs: UInt64 = 0

    init(commands: any CommandSink, clock: any Clock, retentionMilliseconds: Int64, rowsPerStep: Int, undeliveredToo: Bool) {
        self.commands = commands
        self.clock = clock
        self.retentionMilliseconds = retentionMilliseconds
        self.rowsPerStep = rowsPerStep
        self.undeliveredToo = undeliveredToo
    }

    /// Runs one step if one is due, waiting for its commit (call from a thread that may block).
    mutating func runIfDue() {
        let nowMs = clock.monotonicNanoseconds() / 1_000_000
        guard nowMs >= nextStepMs else { return }
        nextStepMs = nowMs + UInt64(min(max(retentionMilliseconds / 4, 100), 60_000))
        let limit = rowsPerStep
        let full = OneShot<Bool>()
        let command = WriteCommand(
            operation: .outbox(.prune(beforeMs: clock.wallMilliseconds() - retentionMilliseconds, limit: limit, undeliveredToo: undeliveredToo)),
            render: { outcome in
                if case .outboxChanged(let rows) = outcome { return Reply(code: rows) }
                return Reply(code: 0)
            },
            completion: { delivery in full.fulfil(delivery.reply.code >= limit) })
        // A full writer queue: try again at the next step.
        guard commands.submit(command) else { return }
        if full.wait() { nextStepMs = nowMs + 100 }
    }
}

/// Runs `OutboxRetention` on a thread of its own when no relay does (no webhook configured).
public final class OutboxRetentionThread: Sendable {
    private let stopping = OneShot<Void>()
    private let thread: OSThread

    public init(commands: any CommandSink, clock: any Clock = SystemClock(), retentionMilliseconds: Int64, rowsPerStep: Int = 5_000) throws {
        let stopping = stopping
        let first = OutboxRetention(commands: commands, clock: clock, retentionMilliseconds: retentionMilliseconds,
                                    rowsPerStep: rowsPerStep, undeliveredToo: true)
        thread = try OSThread.start(name: "outbox-retention") {
            var retention = first
            while stopping.current == nil {
                retention.runIfDue()
                _ = stopping.wait(timeoutMilliseconds: 1_000)
            }
        }
    }

    /// Stops the thread (after a step in progress) and joins it.
    public func stop() {
        stopping.fulfil(())
        thread.join()
    }
}
