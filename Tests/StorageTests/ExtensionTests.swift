import Foundation
import Reservations
import Storage
import Testing
import Timing

/// Extending holds (API.md, "Listing and extending holds"): the deadline moves, the expiry follows
/// it, the policy caps it, and a passed deadline always wins.
@Suite struct ExtensionTests {
    private func configure(_ clock: TestClock) -> (inout Writer.Configuration) -> Void {
        {
            $0.clock = clock
            $0.maxIdleWaitMilliseconds = 20  // notice the test clock's jumps quickly
            $0.holdPolicy = HoldPolicy(holdMilliseconds: 60_000, maxExtensions: 2, maxHoldMilliseconds: 150_000)
        }
    }

    @Test func extend_movesTheDeadline_andTheExpiryFollowsIt() throws {
        try withTemporaryDirectory { directory in
            let clock = TestClock()
            try withWriter(directory, configure: configure(clock)) { (writer: Writer) throws in
                #expect(try create(writer, eventSpec("evt_x", seats: [2])).status == 201)
                let held = try heldReservation(hold(writer, "evt_x", quantity: 1, holdMilliseconds: 60_000))
                clock.advance(byMilliseconds: 30_000)
                let extended = try #require(try extend(writer, held.id, seconds: 45).reservation)
                #expect(extended.holdExpiresAtMs == held.holdExpiresAtMs + 45_000)
                #expect(extended.extensionsUsed == 1 && extended.status == .hold)
                #expect(try storedReservation(directory, held.id)?.holdExpiresAtMs == extended.holdExpiresAtMs)

                // Past the old deadline the hold lives on; the expiry comes at the new one, by itself.
                clock.advance(byMilliseconds: 31_000)
                #expect(try writer.recount(eventID: "evt_x")?.sections.first?.index == RecountReport.Tally(available: 1, held: 1))
                let watcher = try openTestConnection(directory)
                clock.advance(byMilliseconds: 44_000)
                #expect(eventually { (try? scalarText(watcher, "SELECT status FROM reservations")) == "EXPIRED" })
                let rows = try outboxRows(directory)
                #expect(rows.map(\.type) == ["reservation.created", "reservation.extended", "reservation.expired"])
                #expect(rows[1].data.contains(RFC3339.format(milliseconds: extended.holdExpiresAtMs)))
            }
        }
    }

    @Test func extend_isCappedByThePolicy() throws {
        try withTemporaryDirectory { directory in
            let clock = TestClock()
            try withWriter(directory, configure: configure(clock)) { (writer: Writer) throws in
                #expect(try create(writer, eventSpec("evt_c", seats: [2])).status == 201)
                let held = try heldReservation(hold(writer, "evt_c", quantity: 1, holdMilliseconds: 60_000))
                // 60 s + 80 s = 140 s after creation, under the 150 s cap.
                #expect(try extend(writer, held.id, seconds: 80).reservation?.holdExpiresAtMs == held.createdAtMs + 140_000)
                // Only 10 s of room are left: granted, clamped at the cap.
                #expect(try extend(writer, held.id, seconds: 60).reservation?.holdExpiresAtMs == held.createdAtMs + 150_000)
                // Two extensions used.
                #expect(try extend(writer, held.id, seconds: 1).error == .holdExtensionLimit)

                let other = try heldReservation(hold(writer, "evt_c", quantity: 1, holdMilliseconds: 150_000))
                #expect(try extend(writer, other.id, seconds: 30).error == .holdExtensionLimit, "already at the cap")
                #expect(try storedReservation(directory, other.id)?.extensionsUsed == 0)
            }
        }
    }

    @Test func extend_afterTheDeadline_orOnAFinalReservation_isRefused() throws {
        try withTemporaryDirectory { directory in
            let clock = TestClock()
            try withWriter(directory, configure: {
                $0.clock = clock
                $0.maxIdleWaitMilliseconds = 60_000  // the writer's own sweep must not run first
            }) { (writer: Writer) throws in
                #expect(try create(writer, eventSpec("evt_r", seats: [3])).status == 201)
                let lapsed = try heldReservation(hold(writer, "evt_r", quantity: 1, holdMilliseconds: 1_000))
                clock.advance(byMilliseconds: 1_000)
                // The deadline passed even by 0 ms: the batch expires it first, and the extension loses.
                #expect(try extend(writer, lapsed.id).error == .reservationExpired)
                let sold = try heldReservation(hold(writer, "evt_r", quantity: 1))
                #expect(try confirm(writer, sold.id).order != nil)
                #expect(try extend(writer, sold.id).error == .alreadyConfirmed)
                let cancelled = try heldReservation(hold(writer, "evt_r", quantity: 1))
                #expect(try cancel(writer, cancelled.id).reservation != nil)
                #expect(try extend(writer, cancelled.id).error == .alreadyCancelled)
                let mine = try heldReservation(hold(writer, "evt_r", user: "alice", quantity: 1))
                #expect(try extend(writer, mine.id, user: "mallory").error == .reservationNotFound)
                #expect(try extend(writer, "rsv_unknown").error == .reservationNotFound)
                #expect(try extend(writer, mine.id, seconds: 0).error == .invalid([
                    FieldProblem(field: "seconds", problem: "must be between 1 and 600")
                ]))
                #expect(try writer.recount(eventID: "evt_r")?.isConsistent == true)
            }
        }
    }

    @Test func extendedDeadline_survivesARestart() throws {
        try withTemporaryDirectory { directory in
            let clock = TestClock()
            var id = ""
            var deadline: Int64 = 0
            try withWriter(directory, configure: configure(clock)) { (writer: Writer) throws in
                #expect(try create(writer, eventSpec("evt_s", seats: [2])).status == 201)
                let held = try heldReservation(hold(writer, "evt_s", quantity: 1, holdMilliseconds: 10_000))
                deadline = try #require(try extend(writer, held.id, seconds: 50).reservation?.holdExpiresAtMs)
                id = held.id
            }
            // Restart after the original deadline, before the extended one: the hold is still live.
            clock.advance(byMilliseconds: 20_000)
            try withWriter(directory, configure: configure(clock)) { (writer: Writer) throws in
                #expect(writer.statistics.expiredAtStartup == 0 && writer.statistics.liveHolds == 1)
                #expect(try storedReservation(directory, id)?.status == .hold)
                clock.set(deadline)
                let watcher = try openTestConnection(directory)
                #expect(eventually { (try? scalarText(watcher, "SELECT status FROM reservations")) == "EXPIRED" })
            }
        }
    }
}
