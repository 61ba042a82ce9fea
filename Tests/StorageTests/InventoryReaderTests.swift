import Reservations
import Storage
import Testing

@Suite struct InventoryReaderTests {
    /// Runs `body` with a writer that created `specs`, and a reader on the same file.
    private func withEvents(
        _ specs: [NewEvent], _ body: (_ directory: String, _ reader: SQLiteInventoryReader) throws -> Void
    ) throws {
        try withTemporaryDirectory { directory in
            try withWriter(directory) { (writer: Writer) throws in
                for spec in specs {
                    #expect(try create(writer, spec).status == 201)
                }
                try body(directory, try SQLiteInventoryReader(path: databasePath(directory)))
            }
        }
    }

    /// Marks seats of section 0 of `eventID` held, as a hold would (seat rows and counters).
    private func hold(_ directory: String, _ eventID: String, section: Int, numbers: [Int]) throws {
        let connection = try openTestConnection(directory)
        try connection.inTransaction {
            for number in numbers {
                try connection.run(
                    """
                    UPDATE seats SET status = 1, reservation_key = 1
                    WHERE event_key = (SELECT key FROM events WHERE id = ?) AND section_index = ? AND seat_number = ?
                    """, .text(eventID), .integer(Int64(section)), .integer(Int64(number)))
            }
            try connection.run(
                """
                UPDATE sections SET available = available - ?, held = held + ?
                WHERE event_key = (SELECT key FROM events WHERE id = ?) AND section_index = ?
                """, .integer(Int64(numbers.count)), .integer(Int64(numbers.count)), .text(eventID), .integer(Int64(section)))
        }
    }

    /// Follows cursors from the first page to the last, returning every seat and the page count.
    private func allPages(
        _ reader: SQLiteInventoryReader, _ eventID: String, status: SeatStatus? = nil, section: String? = nil, limit: Int
    ) throws -> (seats: [SeatInfo], pages: Int) {
        var seats: [SeatInfo] = []
        var cursor: String?
        var pages = 0
        repeat {
            let page = try reader.seats(eventID: eventID, status: status, section: section, limit: limit, cursor: cursor)
            #expect(page.seats.count <= limit)
            seats += page.seats
            cursor = page.nextCursor
            pages += 1
        } while cursor != nil && pages < 10_000
        return (seats, pages)
    }

    @Test func event_returnsDefinitionAndCounters() throws {
        let spec = NewEvent(
            eventID: "evt_2025_1001", name: "Demo", currency: "KRW",
            sections: [SectionSpec(name: "A", seatCount: 100, priceMinor: 10_000), SectionSpec(name: "B", seatCount: 50, priceMinor: 5_000)])
        try withEvents([spec]) { directory, reader in
            try hold(directory, "evt_2025_1001", section: 1, numbers: [1, 2])
            let (event, counts) = try #require(try reader.event("evt_2025_1001"))
            #expect(event.name == "Demo" && event.currency == "KRW")
            #expect(event.sections == [Section(name: "A", seatCount: 100, priceMinor: 10_000), Section(name: "B", seatCount: 50, priceMinor: 5_000)])
            #expect(counts.totalSeats == 150 && counts.available == 148 && counts.held == 2 && counts.sold == 0)
            #expect(counts.sections.map(\.held) == [0, 2])
            #expect(try reader.event("evt_unknown") == nil)
        }
    }

    @Test func seats_pagesThroughEverySeatInOrder() throws {
        try withEvents([eventSpec("evt_p", seats: [70, 5])]) { _, reader in
            let first = try reader.seats(eventID: "evt_p", status: nil, section: nil, limit: 50, cursor: nil)
            #expect(first.seats.count == 50)
            #expect(first.seats.first == SeatInfo(seatID: "A-1", section: "A", status: .available, priceMinor: 10_000))
            #expect(first.seats.last?.seatID == "A-50")
            let second = try reader.seats(eventID: "evt_p", status: nil, section: nil, limit: 50, cursor: first.nextCursor)
            #expect(second.seats.map(\.seatID) == (51...70).map { "A-\($0)" } + (1...5).map { "B-\($0)" })
            #expect(second.nextCursor == nil)

            let (seats, pages) = try allPages(reader, "evt_p", limit: 7)
            #expect(seats.count == 75 && pages == 11)
            #expect(Set(seats.map(\.seatID)).count == 75)
        }
    }

    @Test func seats_exactlyFullLastPage_hasNoCursor() throws {
        try withEvents([eventSpec("evt_e", seats: [10])]) { _, reader in
            let page = try reader.seats(eventID: "evt_e", status: nil, section: nil, limit: 10, cursor: nil)
            #expect(page.seats.count == 10 && page.nextCursor == nil)
        }
    }

    @Test func seats_filtersBySectionAndStatus() throws {
        try withEvents([eventSpec("evt_f", seats: [20, 20, 20])]) { directory, reader in
            try hold(directory, "evt_f", section: 1, numbers: [3, 7, 19])
            let held = try allPages(reader, "evt_f", status: .held, limit: 2).seats
            #expect(held.map(\.seatID) == ["B-3", "B-7", "B-19"])
            #expect(held.allSatisfy { $0.status == .held })
            let sectionC = try allPages(reader, "evt_f", section: "C", limit: 8).seats
            #expect(sectionC.map(\.seatID) == (1...20).map { "C-\($0)" })
            let availableB = try allPages(reader, "evt_f", status: .available, section: "B", limit: 100).seats
            #expect(availableB.count == 17 && !availableB.contains { ["B-3", "B-7", "B-19"].contains($0.seatID) })
            #expect(try allPages(reader, "evt_f", status: .sold, limit: 100).seats.isEmpty)
        }
    }

    @Test func seats_sparseStatusFilter_scansOnForAMatch_withinABound() throws {
        let bound = SQLiteInventoryReader.maxRowsScannedForFirstMatch
        // Two held seats just past the first-match bound: one empty page with a cursor, then both.
        let last = bound + 10
        try withEvents([eventSpec("evt_sparse", seats: [last])]) { directory, reader in
            try hold(directory, "evt_sparse", section: 0, numbers: [last - 1, last])
            let first = try reader.seats(eventID: "evt_sparse", status: .held, section: nil, limit: 10, cursor: nil)
            #expect(first.seats.isEmpty && first.nextCursor != nil, "nothing held within the bound")
            let (held, pages) = try allPages(reader, "evt_sparse", status: .held, limit: 10)
            #expect(held.map(\.seatID) == ["A-\(last - 1)", "A-\(last)"])
            #expect(pages == 2)
        }
        // Matches deep inside a large event come on the first page: sections without any are
        // skipped by their counters, and a section is read on until a match.
        try withEvents([eventSpec("evt_deep", seats: [30_000, 30_000, 30_000])]) { directory, reader in
            try hold(directory, "evt_deep", section: 2, numbers: [29_000, 29_999])
            let page = try reader.seats(eventID: "evt_deep", status: .held, section: nil, limit: 10, cursor: nil)
            #expect(page.seats.map(\.seatID) == ["C-29000", "C-29999"] && page.nextCursor == nil)
            let inSection = try reader.seats(eventID: "evt_deep", status: .held, section: "C", limit: 1, cursor: nil)
            #expect(inSection.seats.map(\.seatID) == ["C-29000"] && inSection.nextCursor != nil)
            let rest = try reader.seats(eventID: "evt_deep", status: .held, section: "C", limit: 1, cursor: inSection.nextCursor)
            #expect(rest.seats.map(\.seatID) == ["C-29999"] && rest.nextCursor == nil)
            #expect(try reader.seats(eventID: "evt_deep", status: .sold, section: nil, limit: 10, cursor: nil).seats.isEmpty)
        }
    }

    @Test func seats_rejectsBadArguments() throws {
        try withEvents([eventSpec("evt_args")]) { _, reader in
            for limit in [0, 1_001] {
                let error = #expect(throws: DomainError.self) {
                    try reader.seats(eventID: "evt_args", status: nil, section: nil, limit: limit, cursor: nil)
                }
                #expect(error?.details.map(\.field) == ["limit"])
            }
            for cursor in ["", "zz", "00000000000000000", "0000000000000XYZ"] {
                let error = #expect(throws: DomainError.self) {
                    try reader.seats(eventID: "evt_args", status: nil, section: nil, limit: 10, cursor: cursor)
                }
                #expect(error?.details.map(\.field) == ["cursor"])
            }
            let section = #expect(throws: DomainError.self) {
                try reader.seats(eventID: "evt_args", status: nil, section: "Q", limit: 10, cursor: nil)
            }
            #expect(section?.details.map(\.field) == ["section"])
            #expect(throws: DomainError.eventNotFound) {
                try reader.seats(eventID: "evt_missing", status: nil, section: nil, limit: 10, cursor: nil)
            }
        }
    }

    @Test func incompleteEvent_isInvisible() throws {
        try withEvents([]) { directory, reader in
            let connection = try openTestConnection(directory)
            try connection.execute(
                """
                INSERT INTO events(key, id, name, currency, total_seats, created_at_ms, complete)
                VALUES (7, 'evt_pending', 'P', 'KRW', 1, 0, 0);
                INSERT INTO sections VALUES (7, 0, 'A', 1, 1, 1, 0, 0);
                INSERT INTO seats(event_key, section_index, seat_number) VALUES (7, 0, 1);
                """)
            #expect(try reader.event("evt_pending") == nil)
            #expect(throws: DomainError.eventNotFound) {
                try reader.seats(eventID: "evt_pending", status: nil, section: nil, limit: 10, cursor: nil)
            }
        }
    }

    @Test func resetStatements_releasesTheSnapshot() throws {
        try withEvents([eventSpec("evt_r", seats: [5])]) { directory, reader in
            let statement = try reader.connection.statement("SELECT seat_number FROM seats")
            #expect(try statement.step())
            reader.resetStatements()
            // A reset statement starts from the first row again.
            #expect(try statement.step())
            #expect(statement.int(0) == 1)
            reader.resetStatements()
            _ = directory
        }
    }
}
