import Foundation
import Reservations
import Storage
import Testing
import TestSupport

/// A seeded random walk over holds, confirms, cancels, extensions and clock jumps, checked after every step
/// against a model and against the writer's recount (TigerBeetle's VOPR idea, scaled down).
@Suite struct LifecycleSimulationTests {
    /// What the simulation believes is stored.
    struct Model {
        struct Entry {
            let user: String
            let seats: [String]
            var status: ReservationStatus
            var deadlineMs: Int64
            let createdMs: Int64
            var extensionsUsed = 0
        }

        let sectionNames: [String]
        var seats: [String: SeatStatus] = [:]
        var reservations: [String: Entry] = [:]
        var order: [String] = []
        var counts: [OutboxEventType: Int] = [:]

        init(sections: [(name: String, seatCount: Int)]) {
            sectionNames = sections.map(\.name)
            for section in sections {
                for number in 1...section.seatCount { seats["\(section.name)-\(number)"] = .available }
            }
        }

        /// What every batch does first.
        mutating func expire(atMs nowMs: Int64) {
            for id in order where reservations[id]!.status == .hold && reservations[id]!.deadlineMs <= nowMs {
                reservations[id]!.status = .expired
                for seat in reservations[id]!.seats { seats[seat] = .available }
                counts[.reservationExpired, default: 0] += 1
            }
        }

        /// Per section: (available, held, sold).
        func tallies() -> [RecountReport.Tally] {
            sectionNames.map { name in
                var tally = RecountReport.Tally()
                for (seat, status) in seats where seat.hasPrefix(name + "-") {
                    switch status {
                    case .available: tally.available += 1
                    case .held: tally.held += 1
                    case .sold: tally.sold += 1
                    }
                }
                return tally
            }
        }

        var liveHolds: Int { reservations.values.filter { $0.status == .hold }.count }

        /// The state machine's answer for `user` acting on `id` (after `expire`).
        func refusal(_ id: String, user: String) -> DomainError? {
            guard let entry = reservations[id], entry.user == user else { return .reservationNotFound }
            switch entry.status {
            case .hold: return nil
            case .confirmed: return .alreadyConfirmed
            case .cancelled: return .alreadyCancelled
            case .expired: return .reservationExpired
            }
        }
    }

    @Test(arguments: [UInt64(20_260_101), 7, 424_242])
    func randomLifecycle_keepsEveryCountAndRowConsistent(seed: UInt64) throws {
        // Enough seats that sales (which are final) do not sell the event out before the walk ends;
        // section sizes straddle the index's 64-seat words.
        let sections = [(name: "A", seatCount: 150), (name: "B", seatCount: 130), (name: "C", seatCount: 70)]
        let steps = 1_500
        var random = SeededGenerator(seed: seed)
        var model = Model(sections: sections)
        let clock = TestClock()
        let users = ["u0", "u1", "u2", "u3"]

        try withTemporaryDirectory { directory in
            var configuration = Writer.Configuration(path: databasePath(directory))
            configuration.clock = clock
            // fsync per batch would dominate the run and proves nothing here.
            configuration.options = SQLiteOptions(synchronous: .normal)
            var writer = try Writer(configuration: configuration)
            defer { writer.shutdown() }
            try writer.waitUntilReady()
            let spec = NewEvent(
                eventID: "evt_sim", name: "Simulation", currency: "KRW",
                sections: sections.map { SectionSpec(name: $0.name, seatCount: $0.seatCount, priceMinor: 1_000) })
            #expect(try create(writer, spec).status == 201)
            let allSeats = model.seats.keys.sorted()
            let watcher = try openTestConnection(directory)

            for step in 0..<steps {
                let roll = Int.random(in: 0..<100, using: &random)
                let now = clock.now
                model.expire(atMs: now)
                var label = ""
                if roll < 45 {
                    let user = users.randomElement(using: &random)!
                    let quantity = Int.random(in: 1...4, using: &random)
                    let explicit = Bool.random(using: &random)
                    let seats = explicit ? Array(allSeats.shuffled(using: &random).prefix(quantity)) : []
                    let holdMs = Int64.random(in: 1...20_000, using: &random)
                    label = "hold \(quantity) \(seats)"
                    let outcome = try hold(
                        writer, "evt_sim", user: user, quantity: quantity, seats: seats, holdMilliseconds: holdMs)
                    let free = model.seats.values.filter { $0 == .available }.count
                    let expectSuccess = explicit ? seats.allSatisfy { model.seats[$0] == .available } : free >= quantity
                    if expectSuccess {
                        let reservation = try #require(outcome.reservation, "step \(step) \(label): \(outcome)")
                        #expect(reservation.quantity == quantity && Set(reservation.seatIDs).count == quantity)
                        #expect(reservation.seatIDs.allSatisfy { model.seats[$0] == .available }, "step \(step)")
                        if explicit { #expect(Set(reservation.seatIDs) == Set(seats)) }
                        for seat in reservation.seatIDs { model.seats[seat] = .held }
                        model.reservations[reservation.id] = Model.Entry(
                            user: user, seats: reservation.seatIDs, status: .hold, deadlineMs: now + holdMs, createdMs: now)
                        model.order.append(reservation.id)
                        model.counts[.reservationCreated, default: 0] += 1
                    } else {
                        #expect(outcome.error == .seatUnavailable, "step \(step) \(label)")
                    }
                } else if roll < 80 {
                    // Mostly live holds (the interesting transitions), some finished ones, a few unknown.
                    let pick = Int.random(in: 0..<10, using: &random)
                    let live = model.order.filter { model.reservations[$0]!.status == .hold }
                    let id =
                        if pick < 7, let chosen = live.randomElement(using: &random) { chosen }
                        else if pick < 9, let chosen = model.order.randomElement(using: &random) { chosen }
                        else { "rsv_00000000000000000000000000" }
                    let owner = model.reservations[id]?.user ?? "u0"
                    let user = Int.random(in: 0..<100, using: &random) < 85 ? owner : "intruder"
                    if roll >= 70 {
                        let seconds = Int64.random(in: 1...10, using: &random)
                        label = "extend \(id) by \(user) \(seconds) s"
                        let outcome = try extend(writer, id, user: user, seconds: seconds)
                        if let refusal = model.refusal(id, user: user) {
                            #expect(outcome.error == refusal, "step \(step) \(label)")
                        } else if model.reservations[id]!.extensionsUsed >= 1 {
                            #expect(outcome.error == .holdExtensionLimit, "step \(step) \(label)")
                        } else {
                            let entry = model.reservations[id]!
                            let deadline = min(entry.deadlineMs + seconds * 1000, entry.createdMs + 600_000)
                            #expect(outcome.reservation?.holdExpiresAtMs == deadline, "step \(step) \(label): \(outcome)")
                            model.reservations[id]!.deadlineMs = deadline
                            model.reservations[id]!.extensionsUsed += 1
                            model.counts[.reservationExtended, default: 0] += 1
                        }
                    } else {
                        let confirming = roll < 53
                        label = "\(confirming ? "confirm" : "cancel") \(id) by \(user)"
                        let outcome = confirming ? try confirm(writer, id, user: user) : try cancel(writer, id, user: user)
                        if let refusal = model.refusal(id, user: user) {
                            #expect(outcome.error == refusal, "step \(step) \(label)")
                        } else {
                            let entry = try #require(model.reservations[id])
                            let status: ReservationStatus = confirming ? .confirmed : .cancelled
                            #expect(outcome.reservation?.status == status, "step \(step) \(label): \(outcome)")
                            model.reservations[id]!.status = status
                            for seat in entry.seats { model.seats[seat] = confirming ? .sold : .available }
                            model.counts[confirming ? .reservationConfirmed : .reservationCancelled, default: 0] += 1
                        }
                    }
                } else {
                    let jump = Int64.random(in: 0...4_000, using: &random)
                    label = "advance \(jump) ms"
                    clock.advance(byMilliseconds: jump)
                    model.expire(atMs: clock.now)
                }

                // The recount is a batch too, so it sweeps first, exactly as the model just did.
                let report = try #require(try writer.recount(eventID: "evt_sim"))
                #expect(report.isConsistent, "step \(step) after \(label): \(report)")
                #expect(report.sections.map(\.index) == model.tallies(), "step \(step) after \(label)")
                #expect(report.sections.allSatisfy { $0.index.total == $0.seatCount })
                #expect(writer.statistics.liveHolds == model.liveHolds, "step \(step) after \(label)")
                #expect(
                    try scalarInt(watcher, "SELECT count(*) FROM reservations WHERE status = 'HOLD'") == model.liveHolds,
                    "step \(step) after \(label)")

                // Now and then, a restart: everything, including the live holds, must carry over.
                if step % 500 == 499 {
                    writer.shutdown()
                    writer = try Writer(configuration: configuration)
                    try writer.waitUntilReady()
                    #expect(writer.statistics.liveHolds == model.liveHolds, "after the restart at step \(step)")
                }
            }

            let rows = try outboxRows(directory)
            for type in OutboxEventType.allCases where type != .eventCreated {
                #expect(rows.filter { $0.type == type.rawValue }.count == model.counts[type, default: 0], "\(type)")
            }
            #expect(zip(rows, rows.dropFirst()).allSatisfy { $0.sequence < $1.sequence })
            #expect(
                try scalarInt(watcher, "SELECT count(*) FROM orders")
                    == Int64(model.reservations.values.filter { $0.status == .confirmed }.count))
            // The walk did cover the lifecycle: every transition happened many times.
            for type in OutboxEventType.allCases where type != .eventCreated {
                #expect(model.counts[type, default: 0] >= 25, "only \(model.counts[type, default: 0]) × \(type.rawValue)")
            }
        }
    }
}
