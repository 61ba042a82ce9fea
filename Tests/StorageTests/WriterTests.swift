import Foundation
import Reservations
import Storage
import Synchronization
import Testing
import Timing

@Suite struct WriterTests {
    @Test func createEvent_small_answers201AndIsReadable() throws {
        try withTemporaryDirectory { directory in
            try withWriter(directory) { (writer: Writer) throws in
                #expect(writer.isReady)
                let response = try create(writer, eventSpec("evt_small", seats: [5, 3]))
                #expect(response.status == 201)
                #expect(text(response) == "evt_small 8")
                #expect(response.headers == [ResponseHeader(name: "Location", value: "/v1/events/evt_small")])

                let reader = try SQLiteInventoryReader(path: databasePath(directory))
                let (event, counts) = try #require(try reader.event("evt_small"))
                #expect(event.sections.map(\.name) == ["A", "B"])
                #expect(event.totalSeats == 8 && counts.available == 8 && counts.held == 0 && counts.sold == 0)
                #expect(try writer.recount(eventID: "evt_small")?.isConsistent == true)
            }
        }
    }

    @Test func createEvent_withoutID_generatesTimeOrderedEventID() throws {
        try withTemporaryDirectory { directory in
            try withWriter(directory, configure: { $0.clock = ManualClock() }) { (writer: Writer) throws in
                let response = try create(writer, eventSpec(nil))
                #expect(response.status == 201)
                let id = String(text(response).split(separator: " ")[0])
                #expect(IDGenerator.timestampMs(of: id, prefix: "evt_") == 1_767_225_600_000)
                let reader = try SQLiteInventoryReader(path: databasePath(directory))
                #expect(try reader.event(id)?.event.createdAtMs == 1_767_225_600_000)
            }
        }
    }

    @Test func createEvent_duplicateOrInvalid_isRefused() throws {
        try withTemporaryDirectory { directory in
            try withWriter(directory) { (writer: Writer) throws in
                #expect(try create(writer, eventSpec("evt_dup")).status == 201)
                let duplicate = try create(writer, eventSpec("evt_dup", seats: [1]))
                #expect(duplicate.status == 409 && text(duplicate) == "EVENT_ALREADY_EXISTS")
                let invalid = try create(writer, eventSpec("evt_bad id"))
                #expect(invalid.status == 400 && text(invalid) == "INVALID_REQUEST")
            }
        }
    }

    @Test func concurrentSubmitters_shareBatches_andEachCompletionFiresOnceAfterCommit() throws {
        try withTemporaryDirectory { directory in
            try withWriter(directory) { (writer: Writer) throws in
                // Completions run on the writer thread, so this reader is used by that thread only.
                let probeReader = try SQLiteInventoryReader(path: databasePath(directory))
                let probe: @Sendable (RenderedResponse) -> Bool = { response in
                    let id = String(text(response).split(separator: " ")[0])
                    return (try? probeReader.event(id)) != nil
                }
                let completions = Completions()
                let gate = Gate()
                #expect(writer.submit(completions.command("gate", eventSpec("evt_gate"), gate: gate, probe: probe)))
                #expect(gate.waitUntilEntered())

                let threads = 8
                let perThread = 25
                let accepted = Atomic(0)
                DispatchQueue.concurrentPerform(iterations: threads) { thread in
                    for n in 0..<perThread {
                        let tag = "t\(thread)n\(n)"
                        if writer.submit(completions.command(tag, eventSpec("evt_\(tag)"), probe: probe)) {
                            accepted.add(1, ordering: .relaxed)
                        }
                    }
                }
                #expect(accepted.load(ordering: .relaxed) == threads * perThread)
                gate.open()

                let total = threads * perThread + 1
                #expect(completions.waitFor(total))
                let entries = completions.all
                #expect(entries.count == total)
                #expect(Set(entries.map(\.tag)).count == total, "each command completes exactly once")
                #expect(entries.allSatisfy { $0.response.status == 201 })
                #expect(entries.allSatisfy { $0.probe == true }, "data is visible to readers when the completion runs")

                let statistics = writer.statistics
                #expect(statistics.meanBatchSize > 1)
                #expect(statistics.maxBatchSize > 1)
                #expect(statistics.commands == total)
                #expect(statistics.failedBatches == 0)
            }
        }
    }

    @Test func fullQueue_refusesSubmit() throws {
        try withTemporaryDirectory { directory in
            try withWriter(directory, configure: { $0.queueCapacity = 4 }) { (writer: Writer) throws in
                let completions = Completions()
                let gate = Gate()
                #expect(writer.submit(completions.command("gate", eventSpec("evt_gate"), gate: gate)))
                #expect(gate.waitUntilEntered())
                for n in 0..<4 {
                    #expect(writer.submit(completions.command("q\(n)", eventSpec("evt_q\(n)"))))
                }
                #expect(!writer.submit(completions.command("overflow", eventSpec("evt_overflow"))))
                #expect(writer.statistics.rejected == 1)
                gate.open()
                #expect(completions.waitFor(5))
                #expect(completions.responses("overflow").isEmpty, "a refused command never completes")
                #expect(writer.submit(completions.command("later", eventSpec("evt_later"))), "room again once drained")
                #expect(completions.waitFor(6))
            }
        }
    }

    @Test func failingCommand_rollsBackOnlyItself() throws {
        try withTemporaryDirectory { directory in
            try withWriter(directory) { (writer: Writer) throws in
                // Make the seat insert of one event fail after its event and section rows went in.
                let arrange = try openTestConnection(directory)
                try arrange.execute(
                    """
                    CREATE TRIGGER fail_bad_seats BEFORE INSERT ON seats
                    WHEN NEW.event_key = (SELECT key FROM events WHERE id = 'evt_bad')
                    BEGIN SELECT RAISE(ABORT, 'injected failure'); END
                    """)
                let completions = Completions()
                let gate = Gate()
                #expect(writer.submit(completions.command("gate", eventSpec("evt_gate"), gate: gate)))
                #expect(gate.waitUntilEntered())
                for (tag, id) in [("first", "evt_first"), ("bad", "evt_bad"), ("dup", "evt_first"), ("last", "evt_last")] {
                    #expect(writer.submit(completions.command(tag, eventSpec(id))))
                }
                gate.open()
                #expect(completions.waitFor(5))
                #expect(completions.responses("first").map(\.status) == [201])
                #expect(completions.responses("bad").map(\.status) == [503])
                #expect(completions.responses("dup").map(\.status) == [409])
                #expect(completions.responses("last").map(\.status) == [201])
                #expect(writer.statistics.maxBatchSize >= 4, "the four commands shared one transaction")

                let reader = try SQLiteInventoryReader(path: databasePath(directory))
                #expect(try reader.event("evt_first") != nil && reader.event("evt_last") != nil)
                #expect(try scalarInt(arrange, "SELECT count(*) FROM events WHERE id = 'evt_bad'") == 0)
                #expect(try scalarInt(arrange, "SELECT count(*) FROM sections") == 3)
                #expect(try writer.recount(eventID: "evt_bad") == nil)
                #expect(try writer.recount(eventID: "evt_last")?.isConsistent == true)
            }
        }
    }

    @Test func commitFailure_answersWholeBatchWithStorageFailure_andUndoesMemory() throws {
        try withTemporaryDirectory { directory in
            try withWriter(directory) { (writer: Writer) throws in
                let arrange = try armCommitFailure(directory, onInsertInto: "events", when: "NEW.id = 'evt_trip'")
                let completions = Completions()
                let gate = Gate()
                #expect(writer.submit(completions.command("gate", eventSpec("evt_gate"), gate: gate)))
                #expect(gate.waitUntilEntered())
                for (tag, id) in [("before", "evt_before"), ("trip", "evt_trip"), ("after", "evt_after")] {
                    #expect(writer.submit(completions.command(tag, eventSpec(id))))
                }
                gate.open()
                #expect(completions.waitFor(4))
                for tag in ["before", "trip", "after"] {
                    #expect(completions.responses(tag).map(text) == ["SERVICE_UNAVAILABLE"], "\(tag)")
                }
                #expect(writer.statistics.failedBatches == 1)
                #expect(writer.statistics.lastError != nil)
                #expect(try writer.recount(eventID: "evt_before") == nil, "the in-memory event was undone")
                #expect(try scalarInt(arrange, "SELECT count(*) FROM events WHERE id != 'evt_gate'") == 0)

                // The writer carries on, and the same id can be created now.
                #expect(try create(writer, eventSpec("evt_before")).status == 201)
            }
        }
    }

    @Test func restart_keepsEventsAndCounters_rebuildingTheIndexFromSeatRows() throws {
        try withTemporaryDirectory { directory in
            try withWriter(directory) { (writer: Writer) throws in
                #expect(try create(writer, eventSpec("evt_one", seats: [70, 5])).status == 201)
                #expect(try create(writer, eventSpec("evt_two", seats: [3])).status == 201)
                // Held seats across a word boundary of the index (64 | 65), and one sold seat.
                _ = try heldReservation(hold(writer, "evt_one", seats: ["A-1", "A-64", "A-65"]))
                let sold = try heldReservation(hold(writer, "evt_one", seats: ["B-5"]))
                #expect(try confirm(writer, sold.id).order != nil)
            }
            try withWriter(directory) { (writer: Writer) throws in
                let one = try #require(try writer.recount(eventID: "evt_one"))
                #expect(one.isConsistent)
                #expect(one.sections.map(\.index) == [
                    RecountReport.Tally(available: 67, held: 3, sold: 0),
                    RecountReport.Tally(available: 4, held: 0, sold: 1),
                ])
                #expect(try writer.recount(eventID: "evt_two")?.isConsistent == true)
                let reader = try SQLiteInventoryReader(path: databasePath(directory))
                let counts = try #require(try reader.event("evt_one")).counts
                #expect(counts.available == 71 && counts.held == 3 && counts.sold == 1 && counts.totalSeats == 75)
            }
        }
    }

    @Test func restart_repairsSectionCountersThatDisagreeWithSeatRows() throws {
        try withTemporaryDirectory { directory in
            try withWriter(directory) { (writer: Writer) throws in
                #expect(try create(writer, eventSpec("evt_drift", seats: [10])).status == 201)
            }
            do {
                let arrange = try openTestConnection(directory)
                try arrange.run("UPDATE sections SET available = 8, held = 1, sold = 1")
            }
            try withWriter(directory) { (writer: Writer) throws in
                #expect(try writer.recount(eventID: "evt_drift")?.isConsistent == true)
                #expect(writer.statistics.lastError?.contains("repaired") == true)
            }
        }
    }

    @Test func startup_removesEventsWhoseCreationNeverFinished() throws {
        try withTemporaryDirectory { directory in
            try withWriter(directory) { (writer: Writer) throws in
                #expect(try create(writer, eventSpec("evt_kept")).status == 201)
            }
            do {
                // What a crash between two chunks leaves behind.
                let arrange = try openTestConnection(directory)
                try arrange.execute(
                    """
                    INSERT INTO events(key, id, name, currency, total_seats, created_at_ms, complete)
                    VALUES (99, 'evt_half', 'Half', 'KRW', 100, 0, 0);
                    INSERT INTO sections VALUES (99, 0, 'A', 100, 1, 100, 0, 0);
                    INSERT INTO seats(event_key, section_index, seat_number) VALUES (99, 0, 1), (99, 0, 2);
                    """)
            }
            try withWriter(directory) { (writer: Writer) throws in
                let check = try openTestConnection(directory)
                #expect(try scalarInt(check, "SELECT count(*) FROM events WHERE id = 'evt_half'") == 0)
                #expect(try scalarInt(check, "SELECT count(*) FROM seats WHERE event_key = 99") == 0)
                #expect(try writer.recount(eventID: "evt_kept")?.isConsistent == true)
                #expect(try create(writer, eventSpec("evt_half")).status == 201, "the id is free again")
            }
        }
    }

    @Test func failedChunk_failsTheCreationAndCleansUpCommittedChunks() throws {
        try withTemporaryDirectory { directory in
            try withWriter(directory, configure: { $0.seatsPerChunk = 100 }) { (writer: Writer) throws in
                let arrange = try openTestConnection(directory)
                try arrange.execute(
                    """
                    CREATE TRIGGER fail_late_chunk BEFORE INSERT ON seats
                    WHEN NEW.seat_number = 250 AND NEW.event_key = (SELECT key FROM events WHERE id = 'evt_chunky')
                    BEGIN SELECT RAISE(ABORT, 'injected failure'); END
                    """)
                let response = try create(writer, eventSpec("evt_chunky", seats: [300]))
                #expect(response.status == 503)
                #expect(eventually { ((try? scalarInt(arrange, "SELECT count(*) FROM events")) ?? -1) == 0 })
                #expect(try scalarInt(arrange, "SELECT count(*) FROM seats") == 0)
                #expect(try scalarInt(arrange, "SELECT count(*) FROM sections") == 0)

                try arrange.execute("DROP TRIGGER fail_late_chunk")
                #expect(try create(writer, eventSpec("evt_chunky", seats: [300])).status == 201)
                #expect(try writer.recount(eventID: "evt_chunky")?.isConsistent == true)
            }
        }
    }

    @Test func shutdown_runsEverythingAdmitted() throws {
        try withTemporaryDirectory { directory in
            let completions = Completions()
            try withWriter(directory, configure: { $0.seatsPerChunk = 7 }) { (writer: Writer) throws in
                for n in 0..<20 {
                    #expect(writer.submit(completions.command("s\(n)", eventSpec("evt_s\(n)", seats: [10, 10]))))
                }
                writer.shutdown()
                #expect(!writer.submit(completions.command("late", eventSpec("evt_late"))))
                #expect(!writer.isReady)
            }
            #expect(completions.all.count == 20, "every admitted command completed before shutdown returned")
            #expect(completions.all.allSatisfy { $0.response.status == 201 })
            try withWriter(directory) { (writer: Writer) throws in
                for n in 0..<20 {
                    #expect(try writer.recount(eventID: "evt_s\(n)")?.isConsistent == true)
                }
            }
        }
    }

    @Test func startupFailure_isReported_andRefusesWork() throws {
        try withTemporaryDirectory { directory in
            // A directory where the database file should be: SQLite cannot open it.
            try FileManager.default.createDirectory(atPath: databasePath(directory), withIntermediateDirectories: true)
            let writer = try Writer(configuration: Writer.Configuration(path: databasePath(directory)))
            defer { writer.shutdown() }
            #expect(throws: (any Error).self) { try writer.waitUntilReady() }
            #expect(!writer.isReady)
            #expect(eventually { !writer.submit(Completions().command("x", eventSpec("evt_x"))) })
            #expect(throws: WriterError.stopped) { try writer.recount(eventID: "evt_x") }
        }
    }

    @Test func millionSeatEvent_isCreatedInChunks_whileOtherCommandsInterleave() throws {
        try withTemporaryDirectory { directory in
            try withWriter(directory) { (writer: Writer) throws in
                let completions = Completions()
                let seats = [400_000, 300_000, 200_000, 100_000]
                #expect(writer.submit(completions.command("big", eventSpec("evt_big", seats: seats))))

                // Wait until the creation is under way (its incomplete row has committed).
                let watcher = try openTestConnection(directory)
                #expect(eventually { ((try? scalarInt(watcher, "SELECT count(*) FROM events WHERE complete = 0")) ?? 0) == 1 })
                let reader = try SQLiteInventoryReader(path: databasePath(directory))
                #expect(try reader.event("evt_big") == nil, "invisible until its last chunk commits")

                #expect(writer.submit(completions.command("small", eventSpec("evt_small"))))
                #expect(completions.waitFor(2))
                #expect(completions.all.map(\.tag) == ["small", "big"])
                #expect(completions.all.map(\.response.status) == [201, 201])

                let (event, counts) = try #require(try reader.event("evt_big"))
                #expect(event.totalSeats == 1_000_000)
                #expect(counts.available == 1_000_000 && counts.held == 0 && counts.sold == 0)
                #expect(counts.sections.map(\.seatCount) == seats)
                let last = try reader.seats(eventID: "evt_big", status: nil, section: "D", limit: 2, cursor: nil)
                #expect(last.seats.map(\.seatID) == ["D-1", "D-2"])
                #expect(try scalarInt(watcher, "SELECT count(*) FROM seats") == 1_000_010)
                #expect(writer.statistics.batches >= 20, "50,000 seats per batch")
                #expect(try writer.recount(eventID: "evt_big")?.isConsistent == true)
            }
        }
    }

    @Test func recount_unknownEvent_isNil() throws {
        try withTemporaryDirectory { directory in
            try withWriter(directory) { (writer: Writer) throws in
                #expect(try writer.recount(eventID: "evt_nothing") == nil)
            }
        }
    }
}
