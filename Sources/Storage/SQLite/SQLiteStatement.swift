import CSQLite

/// A value to bind to a statement parameter, for array and variadic binding.
public enum SQLiteValue: Sendable, Hashable, ExpressibleByNilLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByStringLiteral
{
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
    case null

    public init(nilLiteral: ()) { self = .null }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(stringLiteral value: String) { self = .text(value) }

    /// An integer, or NULL when absent.
    public init(_ value: Int64?) { self = value.map { .integer($0) } ?? .null }
    /// An integer, or NULL when absent.
    public init(_ value: Int?) { self = value.map { .integer(Int64($0)) } ?? .null }
    /// A floating-point number, or NULL when absent.
    public init(_ value: Double?) { self = value.map { .real($0) } ?? .null }
    /// UTF-8 text, or NULL when absent.
    public init(_ value: String?) { self = value.map { .text($0) } ?? .null }
    /// A blob, or NULL when absent.
    public init(_ value: [UInt8]?) { self = value.map { .blob($0) } ?? .null }
}

/// A prepared statement owned and cached by one `SQLiteConnection`.
///
/// Obtain it with `SQLiteConnection.statement(_:)`, which hands it out reset with bindings cleared.
/// It is only valid while its connection is open and, like the connection, is used only on the
/// connection's owner thread. Parameter and column indexes follow SQLite: parameters from 1,
/// columns from 0.
public final class SQLiteStatement {
    /// The SQL text this statement was prepared from (also its cache key).
    public let sql: String
    /// The sqlite3_stmt; nil once the connection has finalized it.
    private(set) var handle: OpaquePointer?
    /// The owning connection; it holds the statement strongly, so this back-reference is unowned.
    unowned let connection: SQLiteConnection

    init(sql: String, handle: OpaquePointer, connection: SQLiteConnection) {
        self.sql = sql
        self.handle = handle
        self.connection = connection
    }

    /// The live handle, checking in debug builds that the caller is the owner thread.
    private var live: OpaquePointer {
        connection.assertOwner()
        guard let handle else { preconditionFailure("statement used after its connection closed: \(sql)") }
        return handle
    }

    // MARK: Binding
    //
    // SQLite refuses to rebind a statement that is mid-iteration (SQLITE_MISUSE,
    // https://www.sqlite.org/c3ref/bind_blob.html): `reset()` it or fetch it again with
    // `SQLiteConnection.statement(_:)` first. A statement that stepped to completion is already reset.

    /// Binds a 64-bit integer to parameter `index` (1-based).
    public func bind(_ index: Int32, _ value: Int64) throws {
        try check(sqlite3_bind_int64(live, index, value))
    }

    /// Binds an integer to parameter `index` (1-based).
    public func bind(_ index: Int32, _ value: Int) throws {
        try check(sqlite3_bind_int64(live, index, Int64(value)))
    }

    /// Binds a floating-point number to parameter `index` (1-based).
    public func bind(_ index: Int32, _ value: Double) throws {
        try check(sqlite3_bind_double(live, index, value))
    }

    /// Binds UTF-8 text to parameter `index` (1-based); SQLite copies the bytes (SQLITE_TRANSIENT).
    public func bind(_ index: Int32, _ value: String) throws {
        let statement = live
        var value = value
        let rc = value.withUTF8 { utf8 -> Int32 in
            // A nil base address would bind NULL (https://www.sqlite.org/c3ref/bind_blob.html),
            // so an empty string is bound from a literal to stay the empty string.
            guard let base = utf8.baseAddress, !utf8.isEmpty else {
                return sqlite3_bind_text(statement, index, "", 0, csqlite_transient())
            }
            return base.withMemoryRebound(to: CChar.self, capacity: utf8.count) {
                sqlite3_bind_text64(
                    statement, index, $0, UInt64(utf8.count), csqlite_transient(), UInt8(SQLITE_UTF8))
            }
        }
        try check(rc)
    }

    /// Binds a blob to parameter `index` (1-based); SQLite copies the bytes (SQLITE_TRANSIENT).
    public func bind(_ index: Int32, _ value: [UInt8]) throws {
        let statement = live
        // As with text, a nil pointer would mean NULL; a zero-length zeroblob is an empty blob.
        guard !value.isEmpty else {
            try check(sqlite3_bind_zeroblob(statement, index, 0))
            return
        }
        let rc = value.withUnsafeBytes {
            sqlite3_bind_blob64(statement, index, $0.baseAddress, UInt64($0.count), csqlite_transient())
        }
        try check(rc)
    }

    /// Binds SQL NULL to parameter `index` (1-based).
    public func bindNull(_ index: Int32) throws {
        try check(sqlite3_bind_null(live, index))
    }

    /// Binds any `SQLiteValue` (including `nil`) to parameter `index` (1-based).
    public func bind(_ index: Int32, _ value: SQLiteValue) throws {
        switch value {
        case .integer(let v): try bind(index, v)
        case .real(let v): try bind(index, v)
        case .text(let v): try bind(index, v)
        case .blob(let v): try bind(index, v)
        case .null: try bindNull(index)
        }
    }

    /// Binds `values` to parameters 1...n; the count must match the statement's parameter count,
    /// because a missing value would otherwise silently stay NULL.
    public func bind(_ values: [SQLiteValue]) throws {
        let expected = sqlite3_bind_parameter_count(live)
        guard values.count == Int(expected) else {
            throw SQLiteError(
                extendedCode: SQLITE_RANGE,
                message: "statement has \(expected) parameters but \(values.count) values were bound",
                sql: sql)
        }
        for (offset, value) in values.enumerated() {
            try bind(Int32(offset + 1), value)
        }
    }

    /// Variadic form of `bind(_:)` with an array: `try statement.bindAll(seatID, "alice", nil)`.
    public func bindAll(_ values: SQLiteValue...) throws {
        try bind(values)
    }

    /// Clears every binding back to NULL.
    public func clearBindings() {
        sqlite3_clear_bindings(live)
    }

    // MARK: Stepping

    /// Advances the statement: true when a row is available, false when it has finished.
    ///
    /// On completion or error the statement is reset at once, so it stops holding the connection's
    /// read transaction open (an active statement keeps its WAL snapshot alive:
    /// https://www.sqlite.org/lang_transaction.html, "implicit transactions"). Bindings are kept.
    public func step() throws -> Bool {
        let statement = live
        let rc = sqlite3_step(statement)
        switch rc {
        case SQLITE_ROW:
            return true
        case SQLITE_DONE:
            sqlite3_reset(statement)
            return false
        default:
            let error = SQLiteError(code: rc, connection: sqlite3_db_handle(statement), sql: sql)
            sqlite3_reset(statement)
            throw error
        }
    }

    /// Steps until the statement finishes, ignoring any rows, and returns the rows it changed
    /// (sqlite3_changes64, meaningful for INSERT, UPDATE and DELETE).
    @discardableResult
    public func run() throws -> Int {
        while try step() {}
        return connection.changes
    }

    /// Resets the statement so it can run again and releases any snapshot it holds; bindings stay.
    public func reset() {
        sqlite3_reset(live)
    }

    // MARK: Columns

    /// Number of columns in the result.
    public var columnCount: Int32 {
        sqlite3_column_count(live)
    }

    /// Whether column `column` (0-based) of the current row is NULL.
    public func isNull(_ column: Int32) -> Bool {
        sqlite3_column_type(live, column) == SQLITE_NULL
    }

    /// Column `column` as a 64-bit integer; NULL reads as 0 (check `isNull` when that matters).
    public func int64(_ column: Int32) -> Int64 {
        sqlite3_column_int64(live, column)
    }

    /// Column `column` as an integer; NULL reads as 0.
    public func int(_ column: Int32) -> Int {
        Int(sqlite3_column_int64(live, column))
    }

    /// Column `column` as a floating-point number; NULL reads as 0.
    public func double(_ column: Int32) -> Double {
        sqlite3_column_double(live, column)
    }

    /// Column `column` as UTF-8 text; NULL reads as the empty string.
    public func string(_ column: Int32) -> String {
        let statement = live
        // Fetch the pointer before the length: sqlite3_column_bytes then reports the size of the
        // converted text (https://www.sqlite.org/c3ref/column_blob.html).
        guard let text = sqlite3_column_text(statement, column) else { return "" }
        let count = Int(sqlite3_column_bytes(statement, column))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }

    /// Column `column` as bytes; NULL and the empty blob both read as `[]`.
    public func bytes(_ column: Int32) -> [UInt8] {
        let statement = live
        guard let blob = sqlite3_column_blob(statement, column) else { return [] }
        let count = Int(sqlite3_column_bytes(statement, column))
        return Array(UnsafeRawBufferPointer(start: blob, count: count))
    }

    // MARK: Lifecycle (connection only)

    /// Finalizes the statement; called by the connection when it closes.
    func finalize() {
        if let handle {
            sqlite3_finalize(handle)
            self.handle = nil
        }
    }

    /// Resets without the owner check, for the connection's bulk operations.
    func resetUnchecked() {
        if let handle { sqlite3_reset(handle) }
    }

    private func check(_ rc: Int32) throws {
        guard rc == SQLITE_OK else {
            throw SQLiteError(code: rc, connection: connection.handle, sql: sql)
        }
    }
}
