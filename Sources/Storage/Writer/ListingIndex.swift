/// The writer's side of `reservations_by_user`, the table that lists a caller's reservations.
///
/// An index on `reservations(user_id, key)` would put each hold's entry on its caller's own page:
/// one more page written per hold for every distinct caller in a batch (measured with 1,000
/// callers: +45% bytes written per hold). Instead the writer copies new reservations into the table
/// in key order, in chunks of up to `chunkRows` rows, once `chunkRows` have piled up or the oldest
/// has waited `intervalMilliseconds` — as one more step of a batch, in its transaction — so that a
/// caller's page takes many rows at once. Readers see the rows not copied yet through a bounded
/// range read of the newest reservations (`ReservationQueries.reservations`), so a listing is
/// always current. Used only on the writer thread.
struct ListingIndex {
    /// Most rows one copy step takes (and so about the most a reader scans for the rest).
    static let chunkRows: Int64 = 8_192
    /// Longest a reservation waits to be copied while the writer is idle or slow.
    static let intervalMilliseconds: Int64 = 1_000
    /// Rows one start-up transaction copies while catching up.
    static let startupChunkRows: Int64 = 100_000
    /// The `server_state` row that records progress.
    static let progressName = "listing_copied_through"

    /// Every reservation key up to this one is in the table.
    private(set) var copiedThrough: Int64 = 0
    /// The newest committed reservation key.
    private(set) var newestKey: Int64 = 0
    /// When the oldest reservation not copied yet was committed (wall-clock ms); nil when none waits.
    private var waitingSinceMs: Int64?

    /// Start-up: reads the progress and the newest key, then copies everything not copied yet in
    /// bounded transactions (after an upgrade, every reservation made before it).
    mutating func load(_ connection: SQLiteConnection) throws {
        copiedThrough = try Self.copiedThrough(connection)
        newestKey = try connection.withStatement("SELECT coalesce(max(key), 0) FROM reservations") { statement in
            _ = try statement.step()
            return statement.int64(0)
        }
        while copiedThrough < newestKey {
            let through = min(newestKey, copiedThrough + Self.startupChunkRows)
            try connection.inTransaction { try Self.copy(connection, after: copiedThrough, through: through) }
            copiedThrough = through
        }
    }

    /// A batch committed reservations up to `key` at `nowMs`.
    mutating func committed(newestKey key: Int64, atMs nowMs: Int64) {
        guard key > newestKey else { return }
        newestKey = key
        if waitingSinceMs == nil { waitingSinceMs = nowMs }
    }

    /// The keys a copy step at `nowMs` should take, or nil when none is due.
    func due(atMs nowMs: Int64) -> ClosedRange<Int64>? {
        guard newestKey > copiedThrough, let since = waitingSinceMs else { return nil }
        guard newestKey - copiedThrough >= Self.chunkRows || nowMs - since >= Self.intervalMilliseconds else { return nil }
        return (copiedThrough + 1)...min(newestKey, copiedThrough + Self.chunkRows)
    }

    /// When an idle writer should wake to copy (wall-clock ms), or nil when nothing waits.
    var wakeMs: Int64? {
        waitingSinceMs.map { $0 + Self.intervalMilliseconds }
    }

    /// A copy step's batch committed.
    mutating func copied(through key: Int64, atMs nowMs: Int64) {
        copiedThrough = max(copiedThrough, key)
        waitingSinceMs = copiedThrough < newestKey ? nowMs : nil
    }

    /// Copies the reservations with keys in (`after`, `through`] into the table, sorted by caller so
    /// each caller's page is written once, and records the progress.
    static func copy(_ connection: SQLiteConnection, after: Int64, through: Int64) throws {
        try connection.run(
            """
            INSERT INTO reservations_by_user(user_id, key)
            SELECT user_id, key FROM reservations WHERE key > ?1 AND key <= ?2 ORDER BY user_id, key
            """,
            .integer(after), .integer(through))
        try connection.run("UPDATE server_state SET value = ? WHERE name = ?", .integer(through), .text(progressName))
    }

    /// The stored progress (0 when the row is missing).
    static func copiedThrough(_ connection: SQLiteConnection) throws -> Int64 {
        try connection.withStatement("SELECT value FROM server_state WHERE name = ?") { statement in
            try statement.bind(1, progressName)
            return try statement.step() ? statement.int64(0) : 0
        }
    }
}
