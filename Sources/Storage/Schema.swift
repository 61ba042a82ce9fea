/// The database schema as numbered migrations. Append only: a released migration is never edited,
/// a change is a new entry (the Migrator refuses a database whose history differs).
public enum Schema {
    /// Every migration, in order.
    public static let migrations: [Migration] = [initial, idempotencyScopeOnly, listingAndExtensions, outboxDelivery]

    /// Seat status codes in `seats.status`. Integers rather than text because the seats table is by
    /// far the largest (one row per seat) and SQLite stores 0 and 1 in the record header alone.
    enum SeatCode {
        static let available: Int64 = 0
        static let held: Int64 = 1
        static let sold: Int64 = 2
    }

    /// Version 1: every table of DESIGN.md, shaped for one writer committing in batches.
    ///
    /// Keys grow with time wherever rows are inserted often (integer keys assigned in insert order,
    /// time-ordered text ids), so a batch of inserts appends to the right edge of each B-tree instead
    /// of dirtying random pages. Each secondary index costs a write per insert; each one below says
    /// which query it serves.
    static let initial = Migration(
        version: 1, name: "initial",
        sql: """
            -- One row per event. `key` is the small integer every section and seat row carries
            -- instead of repeating the text id.
            CREATE TABLE events(
                key INTEGER PRIMARY KEY,
                -- Index: GET /v1/events/{id} looks events up by id; UNIQUE also rejects duplicates.
                id TEXT NOT NULL UNIQUE,
                name TEXT NOT NULL,
                currency TEXT NOT NULL CHECK (length(currency) = 3),
                total_seats INTEGER NOT NULL CHECK (total_seats > 0),
                created_at_ms INTEGER NOT NULL,
                -- 0 while the seat rows are still being inserted chunk by chunk over several writer
                -- batches; readers and the writer's index only ever see events with 1.
                complete INTEGER NOT NULL DEFAULT 0 CHECK (complete IN (0, 1))
            );

            -- Sections in event order, with availability counters kept in the same transaction as
            -- every seat change: availability is a read of at most 1,000 rows, never a seat scan.
            CREATE TABLE sections(
                event_key INTEGER NOT NULL REFERENCES events(key),
                section_index INTEGER NOT NULL CHECK (section_index >= 0),
                name TEXT NOT NULL,
                seat_count INTEGER NOT NULL CHECK (seat_count > 0),
                price_minor INTEGER NOT NULL CHECK (price_minor >= 0),
                available INTEGER NOT NULL,
                held INTEGER NOT NULL,
                sold INTEGER NOT NULL,
                PRIMARY KEY (event_key, section_index),
                CHECK (available >= 0 AND held >= 0 AND sold >= 0 AND available + held + sold = seat_count)
            ) WITHOUT ROWID;

            -- The inventory: one row per seat, clustered by (event, section, number) so a seat is one
            -- B-tree lookup, a hold of adjacent seats touches one page, and a listing is a range read.
            -- WITHOUT ROWID avoids a second B-tree for that key. Seat ids (`A-12`) are derived from
            -- the section name and the number, never stored. status: 0 available, 1 held, 2 sold.
            -- reservation_key has no foreign key on purpose: checking it would cost a lookup per seat
            -- per hold; the writer sets it with the reservation row in one savepoint, and the CHECK
            -- ties it to the status.
            CREATE TABLE seats(
                event_key INTEGER NOT NULL,
                section_index INTEGER NOT NULL,
                seat_number INTEGER NOT NULL CHECK (seat_number >= 1),
                status INTEGER NOT NULL DEFAULT 0 CHECK (status IN (0, 1, 2)),
                reservation_key INTEGER,
                PRIMARY KEY (event_key, section_index, seat_number),
                FOREIGN KEY (event_key, section_index) REFERENCES sections(event_key, section_index),
                CHECK ((status = 0) = (reservation_key IS NULL))
            ) WITHOUT ROWID;

            -- Reservations. `key` is assigned in insert order, so inserts append; `id` is
            -- time-ordered (rsv_ + millisecond prefix), so its index appends too.
            CREATE TABLE reservations(
                key INTEGER PRIMARY KEY,
                -- Index: GET, confirm and cancel find a reservation by its public id.
                id TEXT NOT NULL UNIQUE,
                event_key INTEGER NOT NULL REFERENCES events(key),
                user_id TEXT NOT NULL,
                -- The seats in seat order, comma-separated (`A-12,A-13`); ids contain no commas.
                seat_ids TEXT NOT NULL,
                quantity INTEGER NOT NULL CHECK (quantity >= 1),
                status TEXT NOT NULL CHECK (status IN ('HOLD', 'CONFIRMED', 'CANCELLED', 'EXPIRED')),
                hold_expires_at_ms INTEGER NOT NULL,
                total_amount INTEGER NOT NULL CHECK (total_amount >= 0),
                currency TEXT NOT NULL,
                order_id TEXT,
                reservation_token TEXT,
                created_at_ms INTEGER NOT NULL,
                updated_at_ms INTEGER NOT NULL
            );
            -- Index: start-up finds the live holds (to expire overdue ones and arm timers for the
            -- rest) without reading every reservation ever made. Partial, so it holds only live holds
            -- and stays small; deadlines grow with time, so inserts append.
            CREATE INDEX reservations_live_holds ON reservations(hold_expires_at_ms) WHERE status = 'HOLD';

            -- Orders: one per confirmed reservation.
            CREATE TABLE orders(
                key INTEGER PRIMARY KEY,
                -- Index: orders are found by public id; time-ordered, so it appends.
                id TEXT NOT NULL UNIQUE,
                -- Index: UNIQUE is the last line of defence against two orders for one reservation.
                reservation_key INTEGER NOT NULL UNIQUE REFERENCES reservations(key),
                user_id TEXT NOT NULL,
                payment_intent_id TEXT NOT NULL,
                total_amount INTEGER NOT NULL CHECK (total_amount >= 0),
                currency TEXT NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('CONFIRMED')),
                created_at_ms INTEGER NOT NULL
            );

            -- Stored responses for idempotent replay. The writer keeps the live entries in memory
            -- (rebuilt from this table at start-up), so the table only needs append and purge by
            -- age: `seq` follows insertion order, which follows created_at_ms, and the purge deletes
            -- a prefix. No index on (scope, key): nothing looks rows up by it.
            CREATE TABLE idempotency_keys(
                seq INTEGER PRIMARY KEY,
                scope TEXT NOT NULL,
                key TEXT NOT NULL,
                fingerprint BLOB NOT NULL,
                -- HTTP status of the stored response; the response blob holds its headers and body.
                status INTEGER NOT NULL,
                response BLOB NOT NULL,
                created_at_ms INTEGER NOT NULL,
                expires_at_ms INTEGER NOT NULL
            );

            -- Events to publish, written in the same transaction as the change they describe.
            -- AUTOINCREMENT because `sequence` is published and must never repeat, even after the
            -- newest rows have been delivered and purged.
            CREATE TABLE outbox(
                sequence INTEGER PRIMARY KEY AUTOINCREMENT,
                id TEXT NOT NULL,
                type TEXT NOT NULL,
                aggregate_id TEXT NOT NULL,
                payload TEXT NOT NULL,
                traceparent TEXT,
                created_at_ms INTEGER NOT NULL,
                delivered_at_ms INTEGER
            );
            -- Index: the relay reads undelivered rows in sequence order; partial, so it holds only
            -- the backlog and the relay never walks delivered history.
            CREATE INDEX outbox_pending ON outbox(sequence) WHERE delivered_at_ms IS NULL;
            """)

    /// Version 2: `idempotency_keys` without its `key` column. The scope the API builds is (caller,
    /// method, route template, key) in one string, so a separate key column would only repeat its
    /// last part; the writer stores the scope whole. (DROP COLUMN needs SQLite 3.35; the images ship
    /// 3.40.) The response blob's layout is `IdempotencyRecord.encode`.
    static let idempotencyScopeOnly = Migration(
        version: 2, name: "idempotency_scope_only",
        sql: """
            ALTER TABLE idempotency_keys DROP COLUMN key;
            """)

    /// Version 3: what listing and extending holds need (API.md, "Listing and extending holds").
    static let listingAndExtensions = Migration(
        version: 3, name: "listing_and_extensions",
        sql: """
            -- How often a hold's deadline was moved; the policy caps it.
            ALTER TABLE reservations ADD COLUMN extensions_used INTEGER NOT NULL DEFAULT 0
                CHECK (extensions_used >= 0);
            -- GET /v1/reservations lists one caller's reservations newest first: a range read by
            -- (user, key) instead of a scan. Not an index on reservations: an index entry per hold
            -- would land on the caller's own page, one more page written per hold for every distinct
            -- caller in a batch. The writer copies new reservations here in key order every few
            -- thousand holds or every second instead (`ListingIndex`), so one page takes many rows
            -- of a caller; readers find the rows not copied yet by a short range read of the newest
            -- reservations, above `listing_copied_through` in server_state.
            CREATE TABLE reservations_by_user(
                user_id TEXT NOT NULL,
                key INTEGER NOT NULL,
                PRIMARY KEY (user_id, key)
            ) WITHOUT ROWID;
            -- Small named values the server keeps for itself: the key that signs listing cursors (so a
            -- cursor survives a restart but cannot be forged) and the listing copy's progress.
            CREATE TABLE server_state(
                name TEXT PRIMARY KEY,
                value NOT NULL
            ) WITHOUT ROWID;
            -- Reservations made before this version are copied at the first start-up.
            INSERT INTO server_state(name, value) VALUES ('listing_copied_through', 0);
            """)

    /// Version 4: what delivering the outbox needs (API.md, "Outbox events"): dead events, and a
    /// backlog index that leaves them out.
    static let outboxDelivery = Migration(
        version: 4, name: "outbox_delivery",
        sql: """
            -- Failed attempts, recorded when delivery gives up on an event; retries before that are
            -- counted in memory (a restart starts the count again).
            ALTER TABLE outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0);
            -- When delivery gave up (NULL while the event is pending or once delivered) and why.
            ALTER TABLE outbox ADD COLUMN dead_at_ms INTEGER;
            ALTER TABLE outbox ADD COLUMN last_error TEXT;
            -- Index: the relay reads the backlog (neither delivered nor dead) in sequence order;
            -- partial, so it holds only the backlog and the relay never walks delivered history.
            DROP INDEX outbox_pending;
            CREATE INDEX outbox_pending ON outbox(sequence) WHERE delivered_at_ms IS NULL AND dead_at_ms IS NULL;
            -- Index: GET /v1/outbox/dead lists dead events without reading the rest.
            CREATE INDEX outbox_dead ON outbox(sequence) WHERE dead_at_ms IS NOT NULL;
            """)
}
