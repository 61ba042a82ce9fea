import Foundation
import Reservations
import Storage
import Synchronization
import Testing

/// Expiry (API.md, "Expiry"): by the writer's own wake-up, before every batch, and at start-up.
@Suite struct ExpiryTests {
    @Test func lapsedHold_isExpiredByTheWriterOnItsOwn_withNoOtherCommand() throws {
        try withTemporaryDirectory { directory in
            try withWriter(directory) { (writer: Writer) throws in
                #expect(try create(writer, eventSpec("evt_t", seats: [3])).status == 201)
                let held = try heldReservation(hold(writer, "evt_t", seats: ["A-2"], holdMilliseconds: 150))
                #expect(writer.statistics.liveHolds == 1)

                // Nothing is submitted from here on; another connection watches the file.
                let watcher = try openTestConnection(directory)
                #expect(eventually { (try? scalarText(watcher, "SELECT status FROM reservations")) == "EXPIRED" })
                #expect(try scalarInt(watcher, "SELECT status FROM seats WHERE seat_number = 2") == 0)
                #expect(try scalarInt(watcher, "SELECT count(*) FROM seats WHERE reservation_key IS NOT NULL") == 0)
                #expect(try scalarInt(watcher, "SELECT available FROM sections") == 3)
                let rows = try outboxRows(directory)
                #expect(rows.map(\.type) == ["reservation.created", "reservation.expired"])
                #expect(rows.last?.subject == held.id && rows.last?.traceparent == nil)
                let stored = try #require(try storedReservation(directory, held.id))
                #expect(stored.status == .expired && stored.holdExpiresAtMs == held.holdExpiresAtMs, "the deadline stays recorded")
                #expect(stored.updatedAtMs >= held.holdExpiresAtMs, "never early")

                let statistics = writer.statistics
                #expect(statistics.expiredHolds == 1 && statistics.liveHolds == 0)
                #expect(statistics.expiryLateness.count == 1)
                #expect(statistics.expiryLateness.maxMs >= 0 && statistics.expiryLateness.percentileMs(0.99) >= 0)
                #expect(try writer.recount(eventID: "evt_t")?.isConsistent == true)
            }
        }
    }

    @Test func lapsedHold_neverBlocksANewOne_evenBeforeTheTimerFires() throws {
        try withTemporaryDirectory { directory in
            let clock = TestClock()
            try withWriter(directory, configure: {
                $0.clock = clock
                $0.maxIdleWaitMilliseconds = 60_000
            }) { (writer: Writer) throws in
                #expect(try create(writer, eventSpec("evt_n", seats: [1])).status == 201)
                let first = try heldReservation(hold(writer, "evt_n", user: "alice", quantity: 1, holdMilliseconds: 1_000))
                clock.advance(byMilliseconds: 1_000)
                // The same batch expires the old hold first, then holds the seat again.
                let second = try heldReservation(hold(writer, "evt_n", user: "bob", quantity: 1))
                #expect(second.seatIDs == ["A-1"])
                #expect(try storedReservation(directory, first.id)?.status == .expired)
                let rows = try outboxRows(directory)
                #expect(rows.map(\.type) == ["reservation.created", "reservation.expired", "reservation.created"])
                #expect(rows.map(\.subject) == [first.id, first.id, second.id])
                #expect(try confirm(writer, first.id).error == .reservationExpired)
                #expect(try cancel(writer, first.id).error == .reservationExpired)
            }
        }
    }

    @Test func manyHolds_expireInDeadlineOrder_inOneSweep() throws {
        try withTemporaryDirectory { directory in
            let clock = TestClock()
            try withWriter(directory, configure: {
                $0.clock = clock
                $0.maxIdleWaitMilliseconds = 60_000
            }) { (writer: Writer) throws in
                #expect(try create(writer, eventSpec("evt_many", seats: [600])).status == 201)
                // 600 holds whose deadlines run backwards from creation order; more than two sweep pages.
                var ids: [String] = []
                for n in 0..<600 {
                    ids.append(try heldReservation(hold(writer, "evt_many", user: "u\(n)", quantity: 1, holdMilliseconds: Int64(10_000 - n))).id)
                }
                clock.advance(byMilliseconds: 9_700)  // holds 300…599 are due (deadline ≤ 9,700 ms after start)
                #expect(try writer.recount(eventID: "evt_many")?.sections.first?.index == RecountReport.Tally(available: 300, held: 300))
                let expired = try outboxRows(directory).filter { $0.type == "reservation.expired" }.map(\.subject)
                #expect(expired == Array(ids[300...].reversed()), "earliest deadline first")
                clock.advance(byMilliseconds: 300)
                #expect(try writer.recount(eventID: "evt_many")?.isConsistent == true)
                #expect(writer.statistics.expiredHolds == 600 && writer.statistics.liveHolds == 0)
            }
        }
    }

    @Test func restart_keepsLiveHolds_whichThenStillExpireOnTheirOwn() throws {
        try withTemporaryDirectory { directory in
            let clock = TestClock()
            let configure: (inout Writer.Configuration) -> Void = {
                $0.clock = clock
                $0.maxIdleWaitMilliseconds = 20  // notice the test clock's jumps quickly
            }
            var heldID = ""
            try withWriter(directory, configure: configure) { (writer: Writer) throws in
                #expect(try create(writer, eventSpec("evt_r", seats: [5])).status == 201)
                heldID = try heldReservation(hold(writer, "evt_r", quantity: 2, holdMilliseconds: 60_000)).id
                let sold = try heldReservation(hold(writer, "evt_r", quantity: 1))
                #expect(try confirm(writer, sold.id).order != nil)
            }
            try withWriter(directory, configure: configure) { (writer: Writer) throws in
                #expect(writer.statistics.liveHolds == 1 && writer.statistics.expiredAtStartup == 0)
                #expect(try storedReservation(directory, heldID)?.status == .hold)
                #expect(try writer.recount(eventID: "evt_r")?.sections.first?.index == RecountReport.Tally(available: 2, held: 2, sold: 1))
                clock.advance(byMilliseconds: 60_000)
                #expect(eventually { (try? storedReservation(directory, heldID))??.status == .expired })
                #expect(try writer.recount(eventID: "evt_r")?.sections.first?.index == RecountReport.Tally(available: 4, held: 0, sold: 1))
                #expect(writer.statistics.expiredHolds == 1)
            }
        }
    }

    @Test func holdsThatEndedWhileDown_areExpiredBeforeReady() throws {
        try withTemporaryDirectory { directory in
            let clock = TestClock()
            var ended: [String] = []
            var later = ""
            try withWriter(directory, configure: { $0.clock = clock }) { (writer: Writer) throws in
                #expect(try create(writer, eventSpec("evt_k", seats: [30, 30])).status == 201)
                for n in 0..<23 {
                    ended.append(try heldReservation(hold(writer, "evt_k", user: "u\(n)", quantity: 2, holdMilliseconds: 3_600_000)).id)
                }
                later = try heldReservation(hold(writer, "evt_k", quantity: 1, holdMilliseconds: 3 * 3_600_000)).id
            }
            // The process was down for two hours; the writer above never saw the deadlines pass.
            clock.advance(byMilliseconds: 2 * 3_600_000)
            let configuration = Writer.Configuration(
                path: databasePath(directory), clock: clock, expiriesPerStartupTransaction: 5)
            let writer = try Writer(configuration: configuration)
            defer { writer.shutdown() }
            try writer.waitUntilReady()

            // Read from another connection the moment readiness is reported.
            let watcher = try openTestConnection(directory)
            #expect(try scalarInt(watcher, "SELECT count(*) FROM reservations WHERE status = 'EXPIRED'") == 23)
            #expect(try scalarText(watcher, "SELECT status FROM reservations WHERE id = '\(later)'") == "HOLD")
            #expect(try scalarInt(watcher, "SELECT sum(held) FROM sections") == 1)
            #expect(try outboxRows(directory).filter { $0.type == "reservation.expired" }.map(\.subject) == ended)
            let statistics = writer.statistics
            #expect(statistics.expiredAtStartup == 23 && statistics.liveHolds == 1)
            #expect(statistics.expiryLateness.count == 0, "start-up expiries measure the outage, not the timer")
            #expect(try writer.recount(eventID: "evt_k")?.isConsistent == true)
        }
    }

    @Test func outbox_rowsAreInSequence_withTheDocumentedEnvelopes() throws {
        try withTemporaryDirectory { directory in
            let clock = TestClock()
            try withWriter(directory, configure: {
                $0.clock = clock
                $0.maxIdleWaitMilliseconds = 60_000
            }) { (writer: Writer) throws in
                #expect(try create(writer, eventSpec("evt_o", seats: [10])).status == 201)
                let trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
                let a = try heldReservation(hold(writer, "evt_o", seats: ["A-1", "A-2"], traceparent: trace))
                clock.advance(byMilliseconds: 5)
                let order = try #require(try confirm(writer, a.id, traceparent: "not a\ntraceparent").order)
                let b = try heldReservation(hold(writer, "evt_o", quantity: 1, holdMilliseconds: 100))
                let c = try heldReservation(hold(writer, "evt_o", quantity: 1))
                #expect(try cancel(writer, c.id).reservation != nil)
                clock.advance(byMilliseconds: 100)
                #expect(try writer.recount(eventID: "evt_o") != nil)  // a batch: b expires

                // The event's own creation comes first, with its definition as `data`.
                let all = try allOutboxRows(directory)
                #expect(all.first?.type == "event.created" && all.first?.subject == "evt_o")
                let event = try #require(try JSONSerialization.jsonObject(with: Data(all[0].envelopeJSON())) as? [String: Any])
                #expect(event["specversion"] as? String == "1.0" && event["datacontenttype"] as? String == "application/json")
                let eventData = try #require(event["data"] as? [String: Any])
                #expect(eventData["eventId"] as? String == "evt_o" && (eventData["totalSeats"] as? NSNumber)?.intValue == 10)
                #expect((eventData["sections"] as? [[String: Any]])?.first?["name"] as? String == "A")

                let rows = try outboxRows(directory)
                #expect(rows.map(\.type) == [
                    "reservation.created", "reservation.confirmed", "reservation.created", "reservation.created",
                    "reservation.cancelled", "reservation.expired",
                ])
                #expect(rows.map(\.subject) == [a.id, a.id, b.id, c.id, c.id, b.id])
                #expect(zip(rows, rows.dropFirst()).allSatisfy { $0.sequence < $1.sequence })
                #expect(Set(rows.map(\.id)).count == rows.count && rows.allSatisfy { $0.id.hasPrefix("evn_") })
                #expect(rows.map(\.traceparent) == [trace, nil, nil, nil, nil, nil], "an unusable traceparent is dropped")

                // Paging by sequence returns the same rows.
                let reader = try SQLiteOutboxReader(path: databasePath(directory))
                let tail = try reader.events(after: rows[1].sequence, limit: 2)
                #expect(tail == Array(rows[2...3]))

                let envelopes = try rows.map { row in
                    try #require(try JSONSerialization.jsonObject(with: Data(row.envelopeJSON())) as? [String: Any])
                }
                let created = envelopes[0]
                #expect(created["id"] as? String == rows[0].id)
                #expect(created["type"] as? String == "reservation.created")
                #expect(created["source"] as? String == OutboxRecord.defaultSource)
                #expect(created["subject"] as? String == a.id)
                #expect(created["time"] as? String == "2026-01-01T00:00:00.000Z")
                #expect((created["sequence"] as? NSNumber)?.int64Value == rows[0].sequence)
                #expect(created["traceparent"] as? String == trace)
                let data = try #require(created["data"] as? [String: Any])
                #expect(data["reservationId"] as? String == a.id)
                #expect(data["eventId"] as? String == "evt_o" && data["userId"] as? String == "alice")
                #expect(data["seatIds"] as? [String] == ["A-1", "A-2"])
                #expect((data["quantity"] as? NSNumber)?.intValue == 2)
                #expect(data["status"] as? String == "HOLD")
                #expect(data["holdExpiresAt"] as? String == "2026-01-01T00:01:00.000Z")
                #expect((data["totalAmount"] as? NSNumber)?.int64Value == 20_000 && data["currency"] as? String == "KRW")
                #expect(data["orderId"] == nil)

                let confirmed = envelopes[1]
                #expect(confirmed["time"] as? String == "2026-01-01T00:00:00.005Z")
                #expect(confirmed["traceparent"] == nil)
                let confirmedData = try #require(confirmed["data"] as? [String: Any])
                #expect(confirmedData["status"] as? String == "CONFIRMED" && confirmedData["orderId"] as? String == order.id)
                #expect((envelopes[4]["data"] as? [String: Any])?["status"] as? String == "CANCELLED")
                let expiredData = try #require(envelopes[5]["data"] as? [String: Any])
                #expect(expiredData["status"] as? String == "EXPIRED" && expiredData["reservationId"] as? String == b.id)
                #expect(envelopes[5]["time"] as? String == "2026-01-01T00:00:00.105Z")
            }
        }
    }
}

@Suite struct ExpiryRobustnessTests {
    @Test func holdWhoseExpiryFails_isReportedOnce_andOthersStillExpire() throws {
        try withTemporaryDirectory { directory in
            let reports = Mutex<[String]>([])
            let clock = TestClock()
            try withWriter(directory, configure: { configuration in
                configuration.clock = clock
                configuration.maxIdleWaitMilliseconds = 5
                configuration.onInvariantBreach = { message in reports.withLock { $0.append(message) } }
            }) { (writer: Writer) throws in
                #expect(try create(writer, eventSpec("evt_q", seats: [4])).status == 201)
                let broken = try heldReservation(hold(writer, "evt_q", seats: ["A-1"], holdMilliseconds: 1_000))
                let fine = try heldReservation(hold(writer, "evt_q", seats: ["A-2"], holdMilliseconds: 1_000))
                // Behind the writer's back, A-1 now points at another reservation: its release must not match.
                try openTestConnection(directory).run("UPDATE seats SET reservation_key = 999 WHERE seat_number = 1")

                clock.advance(byMilliseconds: 1_000)
                #expect(eventually { (try? storedReservation(directory, fine.id))??.status == .expired })
                #expect(try storedReservation(directory, broken.id)?.status == .hold, "left for diagnosis and the next start-up")
                #expect(reports.withLock { $0.count } == 1)
                #expect(reports.withLock { $0.first?.contains("release of \(broken.id)") } == true)
                let statistics = writer.statistics
                #expect(statistics.failedBatches == 0 && statistics.expiredHolds == 1 && statistics.liveHolds == 0)

                // The idle writer does not keep waking for the skipped hold, and commands still run.
                usleep(100_000)
                let batches = writer.statistics.batches
                usleep(100_000)
                #expect(writer.statistics.batches == batches)
                #expect(try hold(writer, "evt_q", seats: ["A-2"]).reservation != nil)
                #expect(reports.withLock { $0.count } == 1, "reported once")
            }
        }
    }

    @Test func lateness_percentilesComeFromTheBuckets() {
        var lateness = ExpiryLateness()
        #expect(lateness.percentileMs(0.5) == 0 && lateness.meanMs == 0)
        for value in [0, 1, 3, 4, 9, 12, 12, 40, 250, 70_000] as [Int64] {
            lateness.record(value)
        }
        lateness.record(-5)  // a wall-clock step back counts as on time
        #expect(lateness.count == 11 && lateness.maxMs == 70_000)
        #expect(lateness.buckets.reduce(0, +) == 11)
        #expect(lateness.percentileMs(0.5) == 10, "the 6th of 11 values (9 ms) lies in the ≤ 10 ms bucket")
        #expect(lateness.percentileMs(0.99) == 70_000, "beyond the last bound: the maximum")
        #expect(lateness.percentileMs(0.0) == 0)
        #expect(lateness.percentileMs(0.9) == 300)
    }
}
