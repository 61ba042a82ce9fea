import Reservations

/// Reads committed outbox rows in sequence order — for the pull feed and stream on a loop's thread, the
/// webhook relay, and tests — on its own connection.
///
/// Works on a read-only connection: it only reads the outbox's primary key range, so it runs beside
/// the writer under WAL without blocking it. Recording delivery is a change, and changes go through
/// the writer.
public final class SQLiteOutboxReader: OutboxReader, @unchecked Sendable {
    // @unchecked Sendable: like SQLiteInventoryReader, it belongs to the one thread that uses its
    // connection (checked in debug builds by the connection); only the hand-over crosses threads.

    /// Most rows one call returns.
    public static let maxLimit = 10_000

    /// The connection read through.
    public let connection: SQLiteConnection

    /// Opens a read-only connection to `path`; the writer must have created the file (in WAL mode).
    public convenience init(path: String, options: SQLiteOptions = SQLiteOptions()) throws {
        try self.init(connection: SQLiteConnection(path: path, mode: .readOnly, options: options))
    }

    /// Reads through `connection`, which this reader then owns.
    public init(connection: SQLiteConnection) {
        self.connection = connection
    }

    /// Up to `limit` (1...maxLimit) committed rows whose sequence is greater than `sequence`, in
    /// sequence order. Start with 0; continue from the last row's sequence. Rows committed later with
    /// a lower sequence cannot appear: the single writer assigns sequences in commit order.
    public func events(after sequence: Int64, limit: Int) throws -> [OutboxRecord] {
        precondition((1...Self.maxLimit).contains(limit), "outbox limit must be 1...\(Self.maxLimit)")
        return try ReservationQueries.outbox(connection, .all, after: sequence, limit: limit)
    }

    /// Like `events`, only rows neither delivered nor dead.
    public func pending(after sequence: Int64, limit: Int) throws -> [OutboxRecord] {
        precondition((1...Self.maxLimit).contains(limit), "outbox limit must be 1...\(Self.maxLimit)")
        return try ReservationQueries.outbox(connection, .pending, after: sequence, limit: limit)
    }

    /// Like `events`, only dead rows.
    public func dead(after sequence: Int64, limit: Int) throws -> [OutboxRecord] {
        precondition((1...Self.maxLimit).contains(limit), "outbox limit must be 1...\(Self.maxLimit)")
        return try ReservationQueries.outbox(connection, .dead, after: sequence, limit: limit)
    }

    /// The highest sequence ever assigned; 0 when none was.
    public func latestSequence() throws -> Int64 {
        try ReservationQueries.latestOutboxSequence(connection)
    }

    /// Releases the read snapshot between polls, so the checkpointer can recycle the WAL.
    public func resetStatements() {
        connection.resetAll()
    }
}
