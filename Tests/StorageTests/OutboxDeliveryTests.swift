import Reservations
import Synchronization
import Testing
import Timing

@testable import Storage

/// The outbox's delivery state through the writer: delivered and dead events leave the backlog,
/// a dead one can be revived, pruning is bounded and spares what it must, and the commit hook fires.
@Suite struct OutboxDeliveryTests {
    private func rows(_ outcome: WriteOutcome) -> Int? {
        if case .outboxChanged(let rows) = outcome { return rows }
        return nil
    }

    @Test func deliveredAndDeadEventsLeaveTheBacklog_andADeadOneComesBack() throws {
        try withTemporaryDirectory { directory in
            let hooks = Counter()
            try withWriter(directory, configure: { $0.onOutboxCommitted = { hooks.increment() } }) { (writer: Writer) throws in
                #expect(try create(writer, eventSpec("evt_d", seats: [10])).status == 201)
                for _ in 0..<3 { _ = try heldReservation(hold(writer, "evt_d", quantity: 1)) }
                #expect(hooks.value >= 4, "every batch with new events calls the hook")
                let all = try allOutboxRows(directory)
                #expect(all.count == 4 && writer.statistics.outboxBacklog == 4)

                #expect(rows(try perform(writer, .outbox(.delivered(sequences: [all[0].sequence, all[1].sequence])))) == 2)
                // Delivering again changes nothing: the count stays honest.
                #expect(rows(try perform(writer, .outbox(.delivered(sequences: [all[0].sequence])))) == 0)
                #expect(rows(try perform(writer, .outbox(.dead(sequence: all[2].sequence, attempts: 20, reason: "HTTP 410")))) == 1)
                #expect(writer.statistics.outboxBacklog == 1)

                let reader = try SQLiteOutboxReader(path: databasePath(directory))
                #expect(try reader.pending(after: 0, limit: 100).map(\.sequence) == [all[3].sequence])
                let dead = try reader.dead(after: 0, limit: 100)
                #expect(dead.map(\.sequence) == [all[2].sequence])
                #expect(dead.first?.attempts == 20 && dead.first?.lastError == "HTTP 410" && dead.first?.deadAtMs != nil)
                #expect(try reader.latestSequence() == all[3].sequence)

                guard case .outboxRevived(let revived?) = try perform(writer, .outbox(.retryDead(id: all[2].id))) else {
                    Issue.record("the dead event was not revived")
                    return
                }
                #expect(revived.sequence == all[2].sequence && revived.attempts == 0 && revived.deadAtMs == nil)
                guard case .outboxRevived(nil) = try perform(writer, .outbox(.retryDead(id: all[2].id))) else {
                    Issue.record("a pending event is not dead")
                    return
                }
                #expect(try reader.pending(after: 0, limit: 100).count == 2)
                #expect(writer.statistics.outboxBacklog == 2)
            }
            // A restart counts the same backlog from storage.
            try withWriter(directory) { (writer: Writer) throws in
                #expect(writer.statistics.outboxBacklog == 2)
            }
        }
    }

    @Test func pruningIsBoundedOldestFirstAndKeepsDeadAndPendingEvents() throws {
        try withTemporaryDirectory { directory in
            let clock = TestClock()
            try withClockedWriter(directory, clock) { (writer: Writer) throws in
                #expect(try create(writer, eventSpec("evt_p", seats: [20])).status == 201)
                for _ in 0..<6 { _ = try heldReservation(hold(writer, "evt_p", quantity: 1)) }
                let all = try allOutboxRows(directory)
                #expect(all.count == 7)
                _ = try perform(writer, .outbox(.delivered(sequences: all.prefix(5).map(\.sequence))))
                _ = try perform(writer, .outbox(.dead(sequence: all[5].sequence, attempts: 1, reason: "HTTP 400")))
                clock.advance(byMilliseconds: 10_000)
                let cutoff = clock.wallMilliseconds() - 5_000
                // Delivered rows only, three at a time, oldest first.
                #expect(rows(try perform(writer, .outbox(.prune(beforeMs: cutoff, limit: 3, undeliveredToo: false)))) == 3)
                #expect(try allOutboxRows(directory).map(\.sequence) == Array(all[3...].map(\.sequence)))
                #expect(rows(try perform(writer, .outbox(.prune(beforeMs: cutoff, limit: 3, undeliveredToo: false)))) == 2)
                #expect(rows(try perform(writer, .outbox(.prune(beforeMs: cutoff, limit: 3, undeliveredToo: false)))) == 0)
                #expect(writer.statistics.outboxBacklog == 1)
                // Without a webhook, old pending rows go too (and leave the backlog); dead ones stay.
                #expect(rows(try perform(writer, .outbox(.prune(beforeMs: cutoff, limit: 10, undeliveredToo: true)))) == 1)
                #expect(try allOutboxRows(directory).map(\.sequence) == [all[5].sequence])
                #expect(writer.statistics.outboxBacklog == 0)
                // Sequences are never reused after pruning.
                _ = try heldReservation(hold(writer, "evt_p", quantity: 1))
                #expect(try allOutboxRows(directory).last!.sequence > all.last!.sequence)
            }
        }
    }
}

/// A count the writer thread bumps and the test reads.
private final class Counter: Sendable {
    private let count = Mutex(0)

    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
