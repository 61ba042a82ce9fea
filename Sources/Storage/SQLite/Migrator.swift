import Timing
/// One schema change: a numbered, named SQL script. The list of migrations is append-only.
public struct Migration: Sendable, Hashable {
    /// Position in the list; strictly increasing, starting anywhere above zero.
    public let version: Int
    /// Short human-readable name, recorded with the version so a renumbered list is detected.
    public let name: String
    /// The script; it runs inside the migration's transaction, so it must not BEGIN or COMMIT, and
    /// `PRAGMA foreign_keys` changes in it have no effect (https://www.sqlite.org/foreignkeys.html#fk_enable).
    public let sql: String

    /// Creates a migration.
    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }
}

/// Why `Migrator.migrate` refused to run.
public enum MigrationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The binary's own list is malformed (versions not strictly increasing and positive, or a name empty).
    case invalidMigrationList(String)
    /// The database records versions that are not a prefix of the known list: it was written by a
    /// newer (or different) build, and running against it could corrupt data.
    case unknownVersions(recorded: [Int], known: [Int])
    /// The database applied a version under a different name: the list was edited after release.
    case nameMismatch(version: Int, recorded: String, known: String)

    /// An explanation naming the versions involved.
    public var description: String {
        switch self {
        case .invalidMigrationList(let reason):
            return "invalid migration list: \(reason)"
        case .unknownVersions(let recorded, let known):
            return "database schema versions \(recorded) are not a prefix of this build's migrations \(known); "
                + "the database was written by a newer or different build — refusing to start"
        case .nameMismatch(let version, let recorded, let known):
            return "migration \(version) is recorded as \"\(recorded)\" but this build calls it \"\(known)\"; "
                + "released migrations must never be edited"
        }
    }
}

/// Applies numbered migrations to a database, recording each in `schema_migrations`.
public enum Migrator {
    /// The bookkeeping table; its own shape never changes, so it is created outside the numbered list.
    static let createTable = """
        CREATE TABLE IF NOT EXISTS schema_migrations(
            version INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            applied_at_ms INTEGER NOT NULL
        )
        """

    /// Applies the migrations the database has not seen yet and returns their versions, in order.
    ///
    /// Each migration and its `schema_migrations` row commit in one BEGIN IMMEDIATE transaction, so a
    /// crash leaves the database either before or after a migration, never halfway. Running again
    /// when everything is applied changes nothing and returns `[]`. Throws `MigrationError` when the
    /// recorded history is not a prefix of `migrations`, and `SQLiteError` when a script fails (that
    /// migration is rolled back; earlier ones in this call stay applied).
    @discardableResult
    public static func migrate(
        _ connection: SQLiteConnection,
        _ migrations: [Migration],
        nowMilliseconds: () -> Int64 = Migrator.wallClockMilliseconds
    ) throws -> [Int] {
        try validate(migrations)
        let recorded = try connection.inTransaction {
            try connection.execute(createTable)
            return try appliedMigrations(connection)
        }
        try checkPrefix(recorded: recorded, known: migrations)

        var applied: [Int] = []
        for migration in migrations.dropFirst(recorded.count) {
            try connection.inTransaction {
                try connection.execute(migration.sql)
                try connection.run(
                    "INSERT INTO schema_migrations(version, name, applied_at_ms) VALUES (?, ?, ?)",
                    .integer(Int64(migration.version)), .text(migration.name), .integer(nowMilliseconds()))
            }
            applied.append(migration.version)
        }
        return applied
    }

    /// The recorded (version, name) pairs in version order; empty when the table does not exist yet.
    public static func appliedMigrations(_ connection: SQLiteConnection) throws -> [(version: Int, name: String)] {
        let exists = try connection.withStatement(
            "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'"
        ) { try $0.step() }
        guard exists else { return [] }
        return try connection.withStatement("SELECT version, name FROM schema_migrations ORDER BY version") {
            statement in
            var rows: [(version: Int, name: String)] = []
            while try statement.step() {
                rows.append((statement.int(0), statement.string(1)))
            }
            return rows
        }
    }

    /// The default clock for `applied_at_ms`: wall-clock milliseconds since the Unix epoch.
    public static func wallClockMilliseconds() -> Int64 {
        SystemClock().wallMilliseconds()
    }

    private static func validate(_ migrations: [Migration]) throws {
        var previous = 0
        for migration in migrations {
            guard migration.version > previous else {
                throw MigrationError.invalidMigrationList(
                    "version \(migration.version) does not follow \(previous); versions must be positive and increasing")
            }
            guard !migration.name.isEmpty else {
                throw MigrationError.invalidMigrationList("version \(migration.version) has an empty name")
            }
            previous = migration.version
        }
    }

    private static func checkPrefix(recorded: [(version: Int, name: String)], known: [Migration]) throws {
        let isPrefix =
            recorded.count <= known.count
            && zip(recorded, known).allSatisfy { $0.version == $1.version }
        guard isPrefix else {
            throw MigrationError.unknownVersions(recorded: recorded.map(\.version), known: known.map(\.version))
        }
        for (record, migration) in zip(recorded, known) where record.name != migration.name {
            throw MigrationError.nameMismatch(version: record.version, recorded: record.name, known: migration.name)
        }
    }
}
