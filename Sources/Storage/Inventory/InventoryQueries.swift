import Reservations

/// SQL for events, sections and seats shared by the writer and the readers. Every query here is a
/// point lookup or a range read of one event's key prefix.
enum InventoryQueries {
    /// A stored event's row, before its sections are attached.
    struct EventRow {
        let key: Int64
        let id: EventID
        let name: String
        let currency: String
        let createdAtMs: Int64
        let complete: Bool
    }

    /// The complete event called `id`, or nil (also while it is still being created).
    static func eventRow(_ connection: SQLiteConnection, id: EventID) throws -> EventRow? {
        try connection.withStatement(
            "SELECT key, id, name, currency, created_at_ms, complete FROM events WHERE id = ? AND complete = 1"
        ) { statement in
            try statement.bind(1, id)
            return try statement.step() ? row(statement) : nil
        }
    }

    /// Every event's row in key order, optionally only complete or only incomplete ones.
    static func eventRows(_ connection: SQLiteConnection, complete: Bool) throws -> [EventRow] {
        try connection.withStatement(
            "SELECT key, id, name, currency, created_at_ms, complete FROM events WHERE complete = ? ORDER BY key"
        ) { statement in
            try statement.bind(1, complete ? 1 : 0)
            var rows: [EventRow] = []
            while try statement.step() { rows.append(row(statement)) }
            return rows
        }
    }

    private static func row(_ statement: SQLiteStatement) -> EventRow {
        EventRow(
            key: statement.int64(0), id: statement.string(1), name: statement.string(2),
            currency: statement.string(3), createdAtMs: statement.int64(4), complete: statement.int64(5) == 1)
    }

    /// The event's sections and their stored counters, in section order (at most 1,000 rows).
    static func sections(_ connection: SQLiteConnection, eventKey: Int64) throws -> (sections: [Section], counts: [SectionCounts]) {
        try connection.withStatement(
            """
            SELECT name, seat_count, price_minor, available, held, sold
            FROM sections WHERE event_key = ? ORDER BY section_index
            """
        ) { statement in
            try statement.bind(1, eventKey)
            var sections: [Section] = []
            var counts: [SectionCounts] = []
            while try statement.step() {
                let name = statement.string(0)
                let seatCount = statement.int(1)
                sections.append(Section(name: name, seatCount: seatCount, priceMinor: statement.int64(2)))
                counts.append(
                    SectionCounts(
                        name: name, seatCount: seatCount, available: statement.int(3), held: statement.int(4),
                        sold: statement.int(5)))
            }
            return (sections, counts)
        }
    }

    /// The indexes of the event's sections whose counters have at least one seat in `status`.
    static func sectionsWithSeats(_ connection: SQLiteConnection, eventKey: Int64, in status: SeatStatus) throws -> Set<Int> {
        let column = switch status {
        case .available: "available"
        case .held: "held"
        case .sold: "sold"
        }
        return try connection.withStatement(
            "SELECT section_index FROM sections WHERE event_key = ? AND \(column) > 0"
        ) { statement in
            try statement.bind(1, eventKey)
            var found = Set<Int>()
            while try statement.step() { found.insert(statement.int(0)) }
            return found
        }
    }

    /// The complete event `id` with its stored counters, or nil.
    static func event(_ connection: SQLiteConnection, id: EventID) throws -> (event: Event, counts: InventoryCounts)? {
        guard let row = try eventRow(connection, id: id) else { return nil }
        let (sections, counts) = try sections(connection, eventKey: row.key)
        return (event(row, sections), InventoryCounts(sections: counts))
    }

    /// Joins a row and its sections into the domain value.
    static func event(_ row: EventRow, _ sections: [Section]) -> Event {
        Event(
            key: row.key, id: row.id, name: row.name, currency: row.currency, sections: sections,
            createdAtMs: row.createdAtMs)
    }

    /// Maps a stored seat status code to the domain value.
    static func seatStatus(_ code: Int64) -> SeatStatus {
        switch code {
        case Schema.SeatCode.held: .held
        case Schema.SeatCode.sold: .sold
        default: .available
        }
    }

    /// The stored code of a seat status.
    static func code(_ status: SeatStatus) -> Int64 {
        switch status {
        case .available: Schema.SeatCode.available
        case .held: Schema.SeatCode.held
        case .sold: Schema.SeatCode.sold
        }
    }
}
