import Storage
import Testing

@Suite struct MigratorTests {
    private let v1 = Migration(version: 1, name: "seats", sql: "CREATE TABLE seats(id INTEGER PRIMARY KEY, label TEXT NOT NULL UNIQUE);")
    private let v2 = Migration(
        version: 2, name: "holds",
        sql: """
            CREATE TABLE holds(id INTEGER PRIMARY KEY, seat_id INTEGER NOT NULL REFERENCES seats(id));
            CREATE INDEX holds_by_seat ON holds(seat_id);
            """)
    private let v3 = Migration(version: 3, name: "seat_price", sql: "ALTER TABLE seats ADD COLUMN price_cents INTEGER NOT NULL DEFAULT 0;")

    private func open(_ directory: String) throws -> SQLiteConnection {
        try SQLiteConnection(path: "\(directory)/db/app.sqlite", mode: .readWrite(createDirectories: true))
    }

    private func tableExists(_ connection: SQLiteConnection, _ name: String) throws -> Bool {
        try connection.withStatement("SELECT 1 FROM sqlite_schema WHERE name = ?") { statement in
            try statement.bind(1, name)
            return try statement.step()
        }
    }

    @Test func migrate_emptyFile_appliesAllAndRecordsThem() throws {
        try withTemporaryDirectory { directory in
            let connection = try open(directory)
            let applied = try Migrator.migrate(connection, [v1, v2], nowMilliseconds: { 1_700_000_000_000 })
            #expect(applied == [1, 2])
            #expect(try tableExists(connection, "seats") && tableExists(connection, "holds"))
            let recorded = try Migrator.appliedMigrations(connection)
            #expect(recorded.map(\.version) == [1, 2])
            #expect(recorded.map(\.name) == ["seats", "holds"])
            #expect(try scalarInt(connection, "SELECT min(applied_at_ms) FROM schema_migrations") == 1_700_000_000_000)
        }
    }

    @Test func migrate_everythingApplied_isIdempotent() throws {
        try withTemporaryDirectory { directory in
            let connection = try open(directory)
            try Migrator.migrate(connection, [v1, v2])
            #expect(try Migrator.migrate(connection, [v1, v2]) == [])
            #expect(try scalarInt(connection, "SELECT count(*) FROM schema_migrations") == 2)
        }
    }

    @Test func migrate_existingFile_appliesOnlyNewOnes() throws {
        try withTemporaryDirectory { directory in
            do {
                let old = try open(directory)
                #expect(try Migrator.migrate(old, [v1]) == [1])
                try old.run("INSERT INTO seats(label) VALUES ('A1')")
            }
            let connection = try open(directory)
            #expect(try Migrator.migrate(connection, [v1, v2, v3]) == [2, 3])
            #expect(try scalarInt(connection, "SELECT price_cents FROM seats WHERE label = 'A1'") == 0)
            #expect(try Migrator.appliedMigrations(connection).map(\.version) == [1, 2, 3])
        }
    }

    @Test func migrate_databaseFromNewerBuild_refuses() throws {
        try withTemporaryDirectory { directory in
            let connection = try open(directory)
            try Migrator.migrate(connection, [v1, v2, v3])
            let error = #expect(throws: MigrationError.self) {
                try Migrator.migrate(connection, [v1, v2])
            }
            #expect(error == .unknownVersions(recorded: [1, 2, 3], known: [1, 2]))
            #expect(error?.description.contains("newer") == true)
        }
    }

    @Test func migrate_historyNotAPrefix_refuses() throws {
        try withTemporaryDirectory { directory in
            let connection = try open(directory)
            let other = Migration(version: 5, name: "elsewhere", sql: "CREATE TABLE elsewhere(x);")
            try Migrator.migrate(connection, [v1, other])
            #expect(throws: MigrationError.unknownVersions(recorded: [1, 5], known: [1, 2, 3])) {
                try Migrator.migrate(connection, [v1, v2, v3])
            }
        }
    }

    @Test func migrate_renamedMigration_refuses() throws {
        try withTemporaryDirectory { directory in
            let connection = try open(directory)
            try Migrator.migrate(connection, [v1])
            let renamed = Migration(version: 1, name: "chairs", sql: v1.sql)
            #expect(throws: MigrationError.nameMismatch(version: 1, recorded: "seats", known: "chairs")) {
                try Migrator.migrate(connection, [renamed])
            }
        }
    }

    @Test func migrate_failingScript_rollsBackThatMigrationOnly() throws {
        try withTemporaryDirectory { directory in
            let connection = try open(directory)
            let broken = Migration(
                version: 2, name: "broken", sql: "CREATE TABLE half(x); INSERT INTO missing VALUES (1);")
            #expect(throws: SQLiteError.self) { try Migrator.migrate(connection, [v1, broken]) }
            #expect(try Migrator.appliedMigrations(connection).map(\.version) == [1])
            #expect(try tableExists(connection, "half") == false)
            #expect(!connection.isInTransaction)
        }
    }

    @Test func migrate_unorderedList_isRejectedBeforeTouchingTheFile() throws {
        try withTemporaryDirectory { directory in
            let connection = try open(directory)
            #expect(throws: MigrationError.self) { try Migrator.migrate(connection, [v2, v1]) }
            #expect(try tableExists(connection, "schema_migrations") == false)
        }
    }
}
