import Reservations

/// The writer's map of Idempotency-Key scopes to their stored responses (API.md, "Idempotency").
///
/// Why a map in memory over an append-only table, rather than a table looked up by scope: scopes
/// end in client-chosen random keys, and a B-tree keyed by them would take each insert to a random
/// page, dirtying many pages per batch. Here the table's key is `seq`, which grows with insertion
/// time, so a batch's inserts append to the right edge and the purge deletes a prefix; nothing
/// looks rows up by scope. The map finds the row (by `seq`, a rowid lookup) when a retry arrives,
/// which is rare, so it keeps no response bytes: an entry costs its scope string plus about 50
/// bytes of map overhead, roughly 150 bytes in all for a typical scope.
///
/// Entries follow the transaction: an insert is undone (`undoInsert`) when its savepoint or batch
/// rolls back, and a purge takes effect in memory (`dropPurged`) only after its DELETE committed.
/// An entry whose expiry has passed is treated as absent at once, even before it is purged.
///
/// Used only on the writer thread.
struct IdempotencyIndex {
    /// Where the stored response of a live scope is, and until when it counts.
    struct Entry: Hashable {
        /// `idempotency_keys.seq` of the row.
        let seq: Int64
        /// Wall-clock ms at which the entry is forgotten.
        let expiresAtMs: Int64
    }

    /// One stored row in `seq` order, for the purge. `scope` is nil for a row that has no map entry
    /// (found expired at start-up): the purge deletes it without touching the map.
    private struct Row {
        let seq: Int64
        let expiresAtMs: Int64
        let scope: String?
    }

    /// The latest entry per scope; may include expired entries not yet purged.
    private var entries: [String: Entry] = [:]
    /// Every row still in the table, oldest first, from `head` on.
    private var rows: [Row] = []
    private var head = 0

    /// The largest `seq` ever added, so `nextSeq` never goes back even when `rows` empties.
    private var lastSeq: Int64 = 0
    /// Entries per caller (a scope's part before its first NUL), for the per-caller bound.
    private var perCaller: [String: Int] = [:]

    /// The caller a scope belongs to: `IdempotencyKeys` puts it first, ended by NUL.
    static func caller(of scope: String) -> String {
        String(decoding: scope.utf8.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// Entries held for the caller of `scope` (expired ones count until purged, as for `count`).
    func count(forCallerOf scope: String) -> Int {
        perCaller[Self.caller(of: scope)] ?? 0
    }

    private mutating func countEntry(of scope: String, by change: Int) {
        let caller = Self.caller(of: scope)
        let total = (perCaller[caller] ?? 0) + change
        perCaller[caller] = total > 0 ? total : nil
    }

    /// Entries held in memory (expired ones count until purged).
    var count: Int { entries.count }

    /// Rows the index believes are in the table.
    var storedRows: Int { rows.count - head }

    /// The entry for `scope` if it has not expired at `nowMs`.
    func live(_ scope: String, atMs nowMs: Int64) -> Entry? {
        guard let entry = entries[scope], entry.expiresAtMs > nowMs else { return nil }
        return entry
    }

    /// Adds the row just inserted as `seq`; returns the entry it replaced (an expired one), which
    /// `undoInsert` needs. Rows must be added in `seq` order.
    mutating func insert(scope: String, seq: Int64, expiresAtMs: Int64) -> Entry? {
        precondition(rows.last.map { $0.seq < seq } ?? true, "idempotency rows out of sequence order")
        rows.append(Row(seq: seq, expiresAtMs: expiresAtMs, scope: scope))
        lastSeq = seq
        let previous = entries.updateValue(Entry(seq: seq, expiresAtMs: expiresAtMs), forKey: scope)
        if previous == nil { countEntry(of: scope, by: 1) }
        return previous
    }

    /// Reverses the latest `insert` (its savepoint or batch rolled back).
    mutating func undoInsert(scope: String, previous: Entry?) {
        precondition(rows.count > head, "no idempotency row to undo")
        rows.removeLast()
        entries[scope] = previous
        if previous == nil { countEntry(of: scope, by: -1) }
    }

    /// Start-up: adds a stored row in `seq` order; it gets a map entry only if it is still live at
    /// `nowMs`, but every row is kept for the purge.
    mutating func restore(seq: Int64, scope: String, expiresAtMs: Int64, nowMs: Int64) {
        precondition(rows.last.map { $0.seq < seq } ?? true, "idempotency rows out of sequence order")
        let live = expiresAtMs > nowMs
        rows.append(Row(seq: seq, expiresAtMs: expiresAtMs, scope: live ? scope : nil))
        lastSeq = seq
        if live, entries.updateValue(Entry(seq: seq, expiresAtMs: expiresAtMs), forKey: scope) == nil {
            countEntry(of: scope, by: 1)
        }
    }

    /// The `seq` the next inserted row takes: one past the newest row ever added in this process.
    ///
    /// The writer assigns `seq` itself rather than letting SQLite pick max(rowid) + 1: when a batch
    /// purges every row, SQLite would start again from 1 inside that same batch, while this index
    /// still lists the purged rows until COMMIT, and the order of `rows` would break.
    var nextSeq: Int64 { max(lastSeq, rows.last?.seq ?? 0) + 1 }

    /// The oldest rows that have expired at `nowMs`, at most `limit`: how many, and the `seq` of the
    /// last, so that `DELETE … WHERE seq <= last` removes exactly them. Stops at the first row still
    /// live: `seq` follows the batch clock, so rows expire in order unless the wall clock stepped
    /// back, and then a row merely waits a little longer for its purge (lookups check the expiry).
    func purgeCandidates(atMs nowMs: Int64, limit: Int) -> (count: Int, lastSeq: Int64)? {
        var index = head
        while index < rows.count && index - head < limit && rows[index].expiresAtMs <= nowMs {
            index += 1
        }
        guard index > head else { return nil }
        return (index - head, rows[index - 1].seq)
    }

    /// When the oldest stored row expires (wall-clock ms), or nil when no row is stored.
    var oldestExpiryMs: Int64? {
        head < rows.count ? rows[head].expiresAtMs : nil
    }

    /// After the purge's DELETE committed: forgets the `count` oldest rows, and their map entries
    /// unless a newer row of the same scope has replaced them.
    mutating func dropPurged(_ count: Int) {
        precondition(count <= rows.count - head, "purging more idempotency rows than are stored")
        for row in rows[head..<head + count] {
            if let scope = row.scope, entries[scope]?.seq == row.seq {
                entries[scope] = nil
                countEntry(of: scope, by: -1)
            }
        }
        head += count
        // Drop the consumed prefix now and then, not on every purge, so a purge costs O(count).
        if head == rows.count {
            rows.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 65_536 && head * 2 >= rows.count {
            rows.removeFirst(head)
            head = 0
        }
    }
}

/// The layout of `idempotency_keys.response`: the stored reply's fields and body (its code has a
/// column of its own).
///
/// `[1]` (layout version), field count (u16), then per field the name length (u16), the name,
/// the value length (u32) and the value, then the body to the end. Lengths are big-endian. A
/// version byte so that a later layout can read rows written by this one.
enum IdempotencyRecord {
    static let version: UInt8 = 1

    /// The blob for `reply`; nil when a field is too long for the layout (never the case for the
    /// fields the doors write), and then the reply is not stored.
    static func encode(_ reply: Reply) -> [UInt8]? {
        guard reply.fields.count <= Int(UInt16.max) else { return nil }
        var bytes: [UInt8] = [version]
        bytes.reserveCapacity(3 + reply.fields.count * 32 + reply.body.count)
        append(UInt64(reply.fields.count), width: 2, to: &bytes)
        for header in reply.fields {
            let name = Array(header.name.utf8)
            let value = Array(header.value.utf8)
            guard name.count <= Int(UInt16.max), value.count <= Int(UInt32.max) else { return nil }
            append(UInt64(name.count), width: 2, to: &bytes)
            bytes += name
            append(UInt64(value.count), width: 4, to: &bytes)
            bytes += value
        }
        bytes += reply.body
        return bytes
    }

    /// The reply stored as `code` and `bytes`; nil when the blob does not follow the layout.
    static func decode(code: Int, _ bytes: [UInt8]) -> Reply? {
        var reader = Reader(bytes: bytes)
        guard reader.integer(width: 1) == UInt64(version), let headerCount = reader.integer(width: 2) else {
            return nil
        }
        var fields: [ReplyField] = []
        for _ in 0..<headerCount {
            guard let nameLength = reader.integer(width: 2), let name = reader.take(Int(nameLength)),
                let valueLength = reader.integer(width: 4), let value = reader.take(Int(valueLength))
            else { return nil }
            fields.append(
                ReplyField(name: String(decoding: name, as: UTF8.self), value: String(decoding: value, as: UTF8.self)))
        }
        return Reply(code: code, fields: fields, body: reader.rest())
    }

    private static func append(_ value: UInt64, width: Int, to bytes: inout [UInt8]) {
        for shift in stride(from: (width - 1) * 8, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
        }
    }

    /// Reads the layout front to back; every read fails rather than run past the end.
    private struct Reader {
        let bytes: [UInt8]
        var offset = 0

        mutating func integer(width: Int) -> UInt64? {
            guard let field = take(width) else { return nil }
            return field.reduce(0) { $0 << 8 | UInt64($1) }
        }

        mutating func take(_ count: Int) -> ArraySlice<UInt8>? {
            guard count >= 0, bytes.count - offset >= count else { return nil }
            defer { offset += count }
            return bytes[offset..<offset + count]
        }

        func rest() -> [UInt8] {
            Array(bytes[offset...])
        }
    }
}

/// SQL for `idempotency_keys`. Rows are appended and purged by `seq` and read back by `seq` only.
enum IdempotencyQueries {
    /// Appends row `seq` (see `IdempotencyIndex.nextSeq`).
    static func insert(
        _ connection: SQLiteConnection, seq: Int64, scope: String, fingerprint: [UInt8], status: Int, response: [UInt8],
        createdAtMs: Int64, expiresAtMs: Int64
    ) throws {
        try connection.run(
            """
            INSERT INTO idempotency_keys(seq, scope, fingerprint, status, response, created_at_ms, expires_at_ms)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """,
            .integer(seq), .text(scope), .blob(fingerprint), .integer(Int64(status)), .blob(response), .integer(createdAtMs),
            .integer(expiresAtMs))
    }

    /// The stored row `seq`: its fingerprint and response bytes (undecoded), or nil when it is gone.
    static func row(_ connection: SQLiteConnection, seq: Int64) throws -> (
        fingerprint: [UInt8], status: Int, response: [UInt8]
    )? {
        try connection.withStatement(
            "SELECT fingerprint, status, response FROM idempotency_keys WHERE seq = ?"
        ) { statement in
            try statement.bind(1, seq)
            guard try statement.step() else { return nil }
            return (statement.bytes(0), statement.int(1), statement.bytes(2))
        }
    }

    /// Deletes every row up to and including `seq` (a prefix of the table's B-tree); returns how many.
    static func purge(_ connection: SQLiteConnection, throughSeq seq: Int64) throws -> Int {
        try connection.run("DELETE FROM idempotency_keys WHERE seq <= ?", .integer(seq))
    }

    /// Every row's `seq`, scope and expiry in `seq` order (start-up; the blobs are not read).
    static func forEachRow(
        _ connection: SQLiteConnection, _ body: (_ seq: Int64, _ scope: String, _ expiresAtMs: Int64) throws -> Void
    ) throws {
        try connection.withStatement(
            "SELECT seq, scope, expires_at_ms FROM idempotency_keys ORDER BY seq"
        ) { statement in
            while try statement.step() {
                try body(statement.int64(0), statement.string(1), statement.int64(2))
            }
        }
    }
}
