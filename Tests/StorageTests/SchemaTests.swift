import Storage
import Testing

@Suite struct SchemaTests {
    private func open(_ directory: String) throws -> SQLiteConnection {
        try SQLiteConnection(path: "\(directory)/schema.sqlite", mode: .readWrite(createDirectories: true))
    }

    private func names(_ connection: SQLiteConnection, _ type: String) throws -> Set<String> {
        try connection.withStatement(
            "SELECT name FROM sqlite_schema WHERE type = ? AND name NOT LIKE 'sqlite_%'"
        ) { statement in
            try statement.bind(1, type)
            var names = Set<String>()
            while try statement.step() { names.insert(statement.string(0)) }
            return names
        }
    }

    @Test func migrate_emptyFile_createsEveryTableAndOnlyTheJustifiedIndexes() throws {
        try withTemporaryDirectory { directory in
            let connection = try open(directory)
            #expect(try Migrator.migrate(connection, Schema.migrations) == [1, 2, 3, 4])
            #expect(
                try names(connection, "table")
                    == ["schema_migrations", "events", "sections", "seats", "reservations", "orders",
                        "idempotency_keys", "outbox", "reservations_by_user", "server_state"])
            // Explicit indexes; UNIQUE constraints add their own automatic ones.
            #expect(try names(connection, "index") == ["reservations_live_holds", "outbox_pending", "outbox_dead"])
            let seatsSQL = try scalarText(connection, "SELECT sql FROM sqlite_schema WHERE name = 'seats'")
            #expect(seatsSQL.contains("WITHOUT ROWID"))
            #expect(
                try Migrator.appliedMigrations(connection).map(\.name)
                    == ["initial", "idempotency_scope_only", "listing_and_extensions", "outbox_delivery"])
        }
    }

    @Test func migrate_existingFile_keepsDataAndAppliesNothing() throws {
        try withTemporaryDirectory { directory in
            do {
                let first = try open(directory)
                try Migrator.migrate(connection: first)
                try first.run(
                    "INSERT INTO events(id, name, currency, total_seats, created_at_ms, complete) VALUES ('evt_x', 'X', 'KRW', 1, 0, 1)")
            }
            let again = try open(directory)
            #expect(try Migrator.migrate(again, Schema.migrations) == [])
            #expect(try scalarText(again, "SELECT name FROM events WHERE id = 'evt_x'") == "X")
        }
    }

    @Test func constraints_guardTheInventoryInvariants() throws {
        try withTemporaryDirectory { directory in
            let connection = try open(directory)
            try Migrator.migrate(connection: connection)
            try connection.execute(
                """
                INSERT INTO events(key, id, name, currency, total_seats, created_at_ms, complete)
                VALUES (1, 'evt_x', 'X', 'KRW', 2, 0, 1);
                INSERT INTO sections VALUES (1, 0, 'A', 2, 100, 2, 0, 0);
                INSERT INTO seats(event_key, section_index, seat_number) VALUES (1, 0, 1), (1, 0, 2);
                """)
            // Counters must always add up to the section size.
            #expect(throws: SQLiteError.self) { try connection.run("UPDATE sections SET available = 1") }
            #expect(try connection.run("UPDATE sections SET available = 1, held = 1") == 1)
            // A taken seat names its reservation, a free one does not.
            #expect(throws: SQLiteError.self) { try connection.run("UPDATE seats SET status = 1 WHERE seat_number = 1") }
            #expect(throws: SQLiteError.self) { try connection.run("UPDATE seats SET reservation_key = 7 WHERE seat_number = 1") }
            #expect(try connection.run("UPDATE seats SET status = 1, reservation_key = 7 WHERE seat_number = 1") == 1)
            // Seats belong to an existing section.
            let orphan = #expect(throws: SQLiteError.self) {
                try connection.run("INSERT INTO seats(event_key, section_index, seat_number) VALUES (1, 5, 1)")
            }
            #expect(orphan?.isForeignKeyViolation == true)
            // The same event id cannot be stored twice.
            let duplicate = #expect(throws: SQLiteError.self) {
                try connection.run(
                    "INSERT INTO events(id, name, currency, total_seats, created_at_ms) VALUES ('evt_x', 'Y', 'KRW', 1, 0)")
            }
            #expect(duplicate?.isUniqueViolation == true)
        }
    }

    @Test func orders_atMostOnePerReservation() throws {
        try withTemporaryDirectory { directory in
            let connection = try open(directory)
            try Migrator.migrate(connection: connection)
            try connection.execute(
                """
                INSERT INTO events(key, id, name, currency, total_seats, created_at_ms, complete)
                VALUES (1, 'evt_x', 'X', 'KRW', 1, 0, 1);
                INSERT INTO reservations(key, id, event_key, user_id, seat_ids, quantity, status, hold_expires_at_ms,
                    total_amount, currency, created_at_ms, updated_at_ms)
                VALUES (1, 'rsv_1', 1, 'u', 'A-1', 1, 'CONFIRMED', 60000, 100, 'KRW', 0, 0);
                INSERT INTO orders(id, reservation_key, user_id, payment_intent_id, total_amount, currency, status, created_at_ms)
                VALUES ('ord_1', 1, 'u', 'pay_1', 100, 'KRW', 'CONFIRMED', 0);
                """)
            let second = #expect(throws: SQLiteError.self) {
                try connection.run(
                    """
                    INSERT INTO orders(id, reservation_key, user_id, payment_intent_id, total_amount, currency, status, created_at_ms)
                    VALUES ('ord_2', 1, 'u', 'pay_1', 100, 'KRW', 'CONFIRMED', 0)
                    """)
            }
            #expect(second?.isUniqueViolation == true)
        }
    }

    @Test func outbox_sequenceNeverRepeats_evenAfterTheNewestRowsAreDeleted() throws {
        try withTemporaryDirectory { directory in
            let connection = try open(directory)
            try Migrator.migrate(connection: connection)
            let insert = "INSERT INTO outbox(id, type, aggregate_id, payload, created_at_ms) VALUES (?, 'reservation.created', 'rsv_1', '{}', 0)"
            try connection.run(insert, "evn_1")
            try connection.run(insert, "evn_2")
            try connection.run("DELETE FROM outbox")
            try connection.run(insert, "evn_3")
            #expect(try scalarInt(connection, "SELECT sequence FROM outbox WHERE id = 'evn_3'") == 3)
        }
    }

    @Test func readQueries_usePrimaryKeyRanges() throws {
        try withTemporaryDirectory { directory in
            let connection = try open(directory)
            try Migrator.migrate(connection: connection)
            let plan = try connection.withStatement(
                """
                EXPLAIN QUERY PLAN SELECT section_index, seat_number, status FROM seats
                WHERE event_key = 1 AND (section_index, seat_number) > (0, 5) ORDER BY section_index, seat_number LIMIT 10
                """
            ) { statement in
                var details: [String] = []
                while try statement.step() { details.append(statement.string(3)) }
                return details.joined(separator: "; ")
            }
            #expect(plan.contains("SEARCH seats USING PRIMARY KEY"))
            #expect(!plan.contains("TEMP B-TREE"), "no sort step: rows come out in key order")
        }
    }
}

extension Migrator {
    /// Applies the server's schema.
    static func migrate(connection: SQLiteConnection) throws {
        try migrate(connection, Schema.migrations)
    }
}
