import Reservations

/// The writer's index of Idempotency-Key scopes to their stored responses (API.md, "Idempotency").
///
/// Why an index in memory over an append-only table, rather than a table looked up by scope: scopes
/// end in client-chosen random keys, and a B-tree keyed by them would take each insert to a random
/// page, dirtying many pages per batch. Here the table's key is `seq`, which grows with insertion
/// time, so a batch's inserts append to the right edge and the purge deletes a prefix; nothing
/// looks rows up by scope.
///
/// Memory is what limits how many keys a server can remember (the TTL times the rate of new keys),
/// so the index keeps no scope strings: a scope is known by a 64-bit digest (Swift's `Hasher`,
/// SipHash with a per-process random seed, so clients cannot aim keys at one another's slots). An
/// open-addressing table maps digests to the row's `seq` (12 bytes a slot, 35–70% full), and a
/// chunked queue of the stored rows in `seq` order keeps each row's `seq`, expiry and digest for the
/// purge (24 bytes), and another its caller's 4-byte tag for the per-caller bound: 45–62 bytes a
/// key in all, whatever the number of keys. A digest names a scope only probably, so the writer
/// reads the row (a rowid lookup it needs anyway, for the fingerprint and response) and compares
/// its scope before it replays anything; two scopes with one digest simply both have entries.
///
/// Entries follow the transaction: an insert is undone (`undoInsert`) when its savepoint or batch
/// rolls back, and a purge takes effect in memory (`dropPurged`) only after its DELETE committed.
/// An entry whose expiry has passed is treated as absent at once, even before it is purged.
///
/// Used only on the writer thread.
struct IdempotencyIndex {
    /// Where a stored response is, and until when it counts.
    struct Entry: Hashable {
        /// `idempotency_keys.seq` of the row.
        let seq: Int64
        /// Wall-clock ms at which the entry is forgotten.
        let expiresAtMs: Int64
    }

    /// One stored row in `seq` order, for the purge and for expiry lookups. `digest` is 0 for a row
    /// with no table entry (found expired at start-up): the purge deletes it and nothing else.
    private struct Row {
        let seq: Int64
        let expiresAtMs: Int64
        let digest: UInt64
    }

    /// Digest → seq, for every row with an entry (expired ones until purged).
    private var table = DigestTable()
    /// Every row still in the table, oldest first.
    private var rows = ChunkedQueue<Row>()
    /// Beside each row, its caller's tag (`callerTag(of:)`), for the per-caller bound.
    private var callerTags = ChunkedQueue<UInt32>()
    /// Entries per caller tag (expired ones count until purged, as for `count`).
    private var perCaller: [UInt32: Int32] = [:]

    /// The largest `seq` ever added, so `nextSeq` never goes back even when `rows` empties.
    private var lastSeq: Int64 = 0

    /// The digest a scope is known by (never 0, which marks an empty slot).
    static func digest(of scope: String) -> UInt64 {
        var hasher = Hasher()
        var scope = scope
        scope.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        let value = UInt64(bitPattern: Int64(hasher.finalize()))
        return value == 0 ? 1 : value
    }

    /// The tag a scope's caller is counted under: 32 bits of a digest of the scope's part before its
    /// first NUL (`IdempotencyKeys` puts the caller there). Two callers share a tag with a chance of
    /// one in four billion, and then share a count.
    static func callerTag(of scope: String) -> UInt32 {
        var hasher = Hasher()
        var scope = scope
        scope.withUTF8 { bytes in
            let end = bytes.firstIndex(of: 0) ?? bytes.count
            hasher.combine(bytes: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[0..<end])))
        }
        return UInt32(truncatingIfNeeded: hasher.finalize())
    }

    /// Entries held for the caller of `scope` (expired ones count until purged, as for `count`).
    func count(forCallerOf scope: String) -> Int {
        Int(perCaller[Self.callerTag(of: scope)] ?? 0)
    }

    private mutating func countEntry(tag: UInt32, by change: Int32) {
        let total = (perCaller[tag] ?? 0) + change
        perCaller[tag] = total > 0 ? total : nil
    }

    /// Entries held in memory (expired ones count until purged).
    var count: Int { table.count }

    /// Rows the index believes are in the table.
    var storedRows: Int { rows.count }

    /// Bytes the index holds in memory for its entries and rows (capacity, not just what is used).
    var memoryBytes: Int { table.memoryBytes + rows.capacity * MemoryLayout<Row>.stride + callerTags.capacity * 4 }

    /// The live entries that may be `scope`'s (their digest matches), newest first: usually none
    /// or one. The caller tells them apart by the stored row's scope.
    func candidates(_ scope: String, atMs nowMs: Int64) -> [Entry] {
        var found: [Entry] = []
        guard let oldest = rows.first?.seq else { return found }
        table.forEachSeq(of: Self.digest(of: scope)) { low in
            // Live seqs lie within 2^32 of the oldest row's: the low bits name one of them.
            let seq = oldest + Int64(low &- UInt32(truncatingIfNeeded: oldest))
            if let expiresAtMs = expiry(ofSeq: seq), expiresAtMs > nowMs {
                found.append(Entry(seq: seq, expiresAtMs: expiresAtMs))
            }
        }
        return found.sorted { $0.seq > $1.seq }
    }

    /// The expiry of stored row `seq` (a binary search of the rows, which are in `seq` order).
    private func expiry(ofSeq seq: Int64) -> Int64? {
        var low = rows.startIndex
        var high = rows.endIndex
        while low < high {
            let middle = (low + high) / 2
            if rows[middle].seq < seq { low = middle + 1 } else { high = middle }
        }
        return low < rows.endIndex && rows[low].seq == seq ? rows[low].expiresAtMs : nil
    }

    /// Adds the row just inserted as `seq` for `scope`. Rows must be added in `seq` order.
    mutating func insert(scope: String, seq: Int64, expiresAtMs: Int64) {
        precondition(rows.last.map { $0.seq < seq } ?? true, "idempotency rows out of sequence order")
        let digest = Self.digest(of: scope)
        rows.append(Row(seq: seq, expiresAtMs: expiresAtMs, digest: digest))
        let tag = Self.callerTag(of: scope)
        callerTags.append(tag)
        countEntry(tag: tag, by: 1)
        lastSeq = seq
        table.insert(digest: digest, seq: seq)
    }

    /// Reverses the latest `insert` (its savepoint or batch rolled back).
    mutating func undoInsert() {
        precondition(!rows.isEmpty, "no idempotency row to undo")
        let row = rows.removeLast()
        countEntry(tag: callerTags.removeLast(), by: -1)
        table.remove(digest: row.digest, seq: row.seq)
    }

    /// Start-up: adds a stored row in `seq` order; it gets an entry only if it is still live at
    /// `nowMs`, but every row is kept for the purge.
    mutating func restore(seq: Int64, scope: String, expiresAtMs: Int64, nowMs: Int64) {
        precondition(rows.last.map { $0.seq < seq } ?? true, "idempotency rows out of sequence order")
        let live = expiresAtMs > nowMs
        let digest = live ? Self.digest(of: scope) : 0
        rows.append(Row(seq: seq, expiresAtMs: expiresAtMs, digest: digest))
        let tag = live ? Self.callerTag(of: scope) : 0
        callerTags.append(tag)
        lastSeq = seq
        if live {
            table.insert(digest: digest, seq: seq)
            countEntry(tag: tag, by: 1)
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
        var index = rows.startIndex
        while index < rows.endIndex && index - rows.startIndex < limit && rows[index].expiresAtMs <= nowMs {
            index += 1
        }
        guard index > rows.startIndex else { return nil }
        return (index - rows.startIndex, rows[index - 1].seq)
    }

    /// When the oldest stored row expires (wall-clock ms), or nil when no row is stored.
    var oldestExpiryMs: Int64? {
        rows.first?.expiresAtMs
    }

    /// After the purge's DELETE committed: forgets the `count` oldest rows and their entries.
    mutating func dropPurged(_ count: Int) {
        precondition(count <= rows.count, "purging more idempotency rows than are stored")
        for position in rows.startIndex..<rows.startIndex + count {
            let row = rows[position]
            guard row.digest != 0 else { continue }
            table.remove(digest: row.digest, seq: row.seq)
            countEntry(tag: callerTags[position], by: -1)
        }
        rows.removeFirst(count)
        callerTags.removeFirst(count)
    }
}

/// An open-addressing hash table of (digest, seq) pairs: linear probing from the digest's low bits,
/// deletion by shifting the rest of the run back (no tombstones, so probes stay short however many
/// keys come and go), grown by doubling at 70% full and shrunk by half below 15% (so a peak's memory
/// is given back once its keys are forgotten). A digest may appear more than once.
///
/// A slot is 12 bytes, in two arrays: the digest (0 when empty), and the low 32 bits of the seq —
/// the owner knows the window of live seqs, which is far narrower than 2^32, and widens them back.
struct DigestTable {
    private static let minimumCapacity = 1_024
    private var digests = [UInt64](repeating: 0, count: DigestTable.minimumCapacity)
    private var seqs = [UInt32](repeating: 0, count: DigestTable.minimumCapacity)
    private var mask = DigestTable.minimumCapacity - 1
    private(set) var count = 0

    var memoryBytes: Int { digests.capacity * 8 + seqs.capacity * 4 }

    /// Calls `body` with the low 32 bits of the seq of every pair with this digest.
    func forEachSeq(of digest: UInt64, _ body: (UInt32) -> Void) {
        var index = Int(truncatingIfNeeded: digest) & mask
        while digests[index] != 0 {
            if digests[index] == digest { body(seqs[index]) }
            index = (index + 1) & mask
        }
    }

    mutating func insert(digest: UInt64, seq: Int64) {
        precondition(digest != 0, "digest 0 marks an empty slot")
        if (count + 1) * 10 > digests.count * 7 { resize(to: digests.count * 2) }
        place(digest: digest, seq: UInt32(truncatingIfNeeded: seq))
        count += 1
    }

    private mutating func place(digest: UInt64, seq: UInt32) {
        var index = Int(truncatingIfNeeded: digest) & mask
        while digests[index] != 0 { index = (index + 1) & mask }
        digests[index] = digest
        seqs[index] = seq
    }

    /// Removes the pair (digest, seq) if present.
    mutating func remove(digest: UInt64, seq: Int64) {
        let low = UInt32(truncatingIfNeeded: seq)
        var index = Int(truncatingIfNeeded: digest) & mask
        while digests[index] != 0 {
            if digests[index] == digest && seqs[index] == low {
                removeSlot(at: index)
                count -= 1
                if digests.count > Self.minimumCapacity && count * 100 < digests.count * 15 { resize(to: digests.count / 2) }
                return
            }
            index = (index + 1) & mask
        }
    }

    /// Empties slot `start`, then moves back each later slot of the run whose home lies at or before
    /// the hole (cyclically), so that every pair stays reachable from its home.
    private mutating func removeSlot(at start: Int) {
        var hole = start
        var index = (hole + 1) & mask
        while digests[index] != 0 {
            let home = Int(truncatingIfNeeded: digests[index]) & mask
            // The slot may move to the hole unless its home lies in (hole, index] cyclically.
            if (index - home) & mask >= (index - hole) & mask {
                digests[hole] = digests[index]
                seqs[hole] = seqs[index]
                hole = index
            }
            index = (index + 1) & mask
        }
        digests[hole] = 0
    }

    private mutating func resize(to capacity: Int) {
        let oldDigests = digests
        let oldSeqs = seqs
        digests = [UInt64](repeating: 0, count: capacity)
        seqs = [UInt32](repeating: 0, count: capacity)
        mask = capacity - 1
        for index in oldDigests.indices where oldDigests[index] != 0 { place(digest: oldDigests[index], seq: oldSeqs[index]) }
    }
}

/// A queue that grows and shrinks in fixed chunks, so its storage stays within one chunk of what it
/// holds (an array doubling would hold up to twice that), with indexed access for binary search.
struct ChunkedQueue<Element> {
    private static var chunkSize: Int { 4_096 }
    private var chunks: [[Element]] = []
    /// Position of `chunks[0][0]`, counted from the first element ever appended.
    private var chunksStart = 0
    /// Position of the first element held.
    private(set) var startIndex = 0
    /// One past the position of the last element held.
    private(set) var endIndex = 0

    var count: Int { endIndex - startIndex }
    var isEmpty: Bool { startIndex == endIndex }
    var first: Element? { isEmpty ? nil : self[startIndex] }
    var last: Element? { isEmpty ? nil : self[endIndex - 1] }
    var capacity: Int { chunks.count * Self.chunkSize }

    subscript(position: Int) -> Element {
        let offset = position - chunksStart
        return chunks[offset / Self.chunkSize][offset % Self.chunkSize]
    }

    mutating func append(_ element: Element) {
        if chunks.isEmpty || chunks[chunks.count - 1].count == Self.chunkSize {
            var chunk: [Element] = []
            chunk.reserveCapacity(Self.chunkSize)
            chunks.append(chunk)
        }
        chunks[chunks.count - 1].append(element)
        endIndex += 1
    }

    mutating func removeLast() -> Element {
        precondition(!isEmpty, "removeLast on an empty queue")
        let element = chunks[chunks.count - 1].removeLast()
        endIndex -= 1
        if chunks[chunks.count - 1].isEmpty { chunks.removeLast() }
        return element
    }

    /// Drops the first `count` elements; chunks go as soon as nothing in them is held.
    mutating func removeFirst(_ count: Int) {
        precondition(count <= self.count, "removing more than the queue holds")
        startIndex += count
        if startIndex == endIndex {
            chunks.removeAll()
            chunksStart = startIndex
            return
        }
        // Every chunk but the last is full, and the last holds something still.
        while chunksStart + Self.chunkSize <= startIndex {
            chunks.removeFirst()
            chunksStart += Self.chunkSize
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

    /// The stored row `seq`: its scope, fingerprint and response bytes (undecoded), or nil when it is gone.
    static func row(_ connection: SQLiteConnection, seq: Int64) throws -> (
        scope: String, fingerprint: [UInt8], status: Int, response: [UInt8]
    )? {
        try connection.withStatement(
            "SELECT scope, fingerprint, status, response FROM idempotency_keys WHERE seq = ?"
        ) { statement in
            try statement.bind(1, seq)
            guard try statement.step() else { return nil }
            return (statement.string(0), statement.bytes(1), statement.int(2), statement.bytes(3))
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
