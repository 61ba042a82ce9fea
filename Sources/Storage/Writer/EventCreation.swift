import Reservations

/// An event whose seat rows are being inserted over several batches.
///
/// The event row is stored with `complete = 0` by the first chunk and flipped by the last, so
/// readers never see a partial event and holds cannot reach it. Used only on the writer thread.
final class EventCreation {
    /// The create command; it is answered when the last chunk commits.
    let command: WriteCommand
    /// The event being created, with its storage key.
    let event: Event
    /// Commands with the same idempotency claim that arrived while the creation was in progress;
    /// they are answered with its response when it finishes.
    var waiters: [WriteCommand] = []
    /// The section and seat number the next chunk starts at.
    private(set) var section = 0
    private(set) var nextNumber = 1

    init(command: WriteCommand, event: Event) {
        self.command = command
        self.event = event
    }

    /// Whether every seat row has been inserted.
    var isComplete: Bool { section == event.sections.count }

    /// Inserts up to `limit` further seat rows, across sections as needed.
    ///
    /// Each section's range is generated inside SQLite by a recursive CTE, so a chunk is one
    /// statement per section rather than one bound statement per seat.
    func insertNextChunk(_ connection: SQLiteConnection, limit: Int) throws {
        var budget = limit
        let insert = try connection.statement(
            """
            WITH RECURSIVE numbers(n) AS (SELECT ?3 UNION ALL SELECT n + 1 FROM numbers WHERE n < ?4)
            INSERT INTO seats(event_key, section_index, seat_number, status) SELECT ?1, ?2, n, 0 FROM numbers
            """)
        while budget > 0 && !isComplete {
            let seatCount = event.sections[section].seatCount
            let last = min(seatCount, nextNumber + budget - 1)
            try insert.bindAll(
                .integer(event.key), .integer(Int64(section)), .integer(Int64(nextNumber)), .integer(Int64(last)))
            try insert.run()
            budget -= last - nextNumber + 1
            if last == seatCount {
                section += 1
                nextNumber = 1
            } else {
                nextNumber = last + 1
            }
        }
    }
}

/// Removes the rows of an event whose creation failed after some chunks had committed, a chunk at
/// a time like the creation itself. Used only on the writer thread.
final class EventPurge {
    /// Failed attempts after which the clean-up is left to the next start-up.
    static let maxAttempts = 3

    let eventKey: Int64
    let seatCounts: [Int]
    /// Attempts that failed so far.
    var failures = 0
    private var section = 0
    private var nextNumber = 1

    init(creation: EventCreation) {
        eventKey = creation.event.key
        seatCounts = creation.event.sections.map(\.seatCount)
    }

    /// Deletes up to `limit` seat numbers' worth of rows; once past the last section, deletes the
    /// sections and the event row and returns true.
    func deleteNextChunk(_ connection: SQLiteConnection, limit: Int) throws -> Bool {
        var budget = limit
        let delete = try connection.statement(
            "DELETE FROM seats WHERE event_key = ? AND section_index = ? AND seat_number BETWEEN ? AND ?")
        while budget > 0 && section < seatCounts.count {
            let last = min(seatCounts[section], nextNumber + budget - 1)
            try delete.bindAll(
                .integer(eventKey), .integer(Int64(section)), .integer(Int64(nextNumber)), .integer(Int64(last)))
            try delete.run()
            budget -= last - nextNumber + 1
            if last == seatCounts[section] {
                section += 1
                nextNumber = 1
            } else {
                nextNumber = last + 1
            }
        }
        guard section == seatCounts.count else { return false }
        try connection.run("DELETE FROM sections WHERE event_key = ?", .integer(eventKey))
        try connection.run("DELETE FROM events WHERE key = ? AND complete = 0", .integer(eventKey))
        return true
    }
}
