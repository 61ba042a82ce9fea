import CSQLite

/// A primary SQLite result code: the low eight bits of any (possibly extended) result code.
///
/// SQLite defines extended codes as the primary code plus detail in the upper bits
/// (https://www.sqlite.org/rescode.html#pve), so callers match on these few values and only
/// look at `SQLiteError.extendedCode` when the detail matters (for example which constraint failed).
public struct ResultCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The primary code, always in 0...255.
    public let rawValue: Int32

    /// Wraps a primary or extended code, keeping only the primary part.
    public init(rawValue: Int32) {
        self.rawValue = rawValue & 0xFF
    }

    public static let ok = ResultCode(rawValue: SQLITE_OK)
    public static let error = ResultCode(rawValue: SQLITE_ERROR)
    public static let internalError = ResultCode(rawValue: SQLITE_INTERNAL)
    public static let permission = ResultCode(rawValue: SQLITE_PERM)
    public static let abort = ResultCode(rawValue: SQLITE_ABORT)
    public static let busy = ResultCode(rawValue: SQLITE_BUSY)
    public static let locked = ResultCode(rawValue: SQLITE_LOCKED)
    public static let noMemory = ResultCode(rawValue: SQLITE_NOMEM)
    public static let readOnly = ResultCode(rawValue: SQLITE_READONLY)
    public static let interrupt = ResultCode(rawValue: SQLITE_INTERRUPT)
    public static let ioErr = ResultCode(rawValue: SQLITE_IOERR)
    public static let corrupt = ResultCode(rawValue: SQLITE_CORRUPT)
    public static let notFound = ResultCode(rawValue: SQLITE_NOTFOUND)
    public static let full = ResultCode(rawValue: SQLITE_FULL)
    public static let cantOpen = ResultCode(rawValue: SQLITE_CANTOPEN)
    public static let protocolError = ResultCode(rawValue: SQLITE_PROTOCOL)
    public static let schema = ResultCode(rawValue: SQLITE_SCHEMA)
    public static let tooBig = ResultCode(rawValue: SQLITE_TOOBIG)
    public static let constraint = ResultCode(rawValue: SQLITE_CONSTRAINT)
    public static let mismatch = ResultCode(rawValue: SQLITE_MISMATCH)
    public static let misuse = ResultCode(rawValue: SQLITE_MISUSE)
    public static let noLFS = ResultCode(rawValue: SQLITE_NOLFS)
    public static let authorization = ResultCode(rawValue: SQLITE_AUTH)
    public static let range = ResultCode(rawValue: SQLITE_RANGE)
    public static let notADatabase = ResultCode(rawValue: SQLITE_NOTADB)

    /// SQLite's English name for the code followed by its number, e.g. "database is locked (5)".
    public var description: String {
        "\(String(cString: sqlite3_errstr(rawValue))) (\(rawValue))"
    }
}

/// A failure reported by SQLite, with the statement that caused it when there was one.
public struct SQLiteError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The primary result code, for `catch let e as SQLiteError where e.code == .constraint`.
    public let code: ResultCode
    /// The full extended result code (https://www.sqlite.org/rescode.html#extrc).
    public let extendedCode: Int32
    /// SQLite's message (sqlite3_errmsg) or the wrapper's own explanation.
    public let message: String
    /// The SQL text that failed, when the failure came from a statement.
    public let sql: String?

    /// Creates an error from an extended (or primary) result code.
    public init(extendedCode: Int32, message: String, sql: String? = nil) {
        self.code = ResultCode(rawValue: extendedCode)
        self.extendedCode = extendedCode
        self.message = message
        self.sql = sql
    }

    /// Builds the error for `code` as reported by `connection`; the message is read before any reset,
    /// because sqlite3_reset and later calls overwrite the connection's error state.
    init(code extendedCode: Int32, connection: OpaquePointer?, sql: String?) {
        let message: String
        if let connection, let text = sqlite3_errmsg(connection) {
            message = String(cString: text)
        } else {
            message = String(cString: sqlite3_errstr(extendedCode))
        }
        self.init(extendedCode: extendedCode, message: message, sql: sql)
    }

    /// A UNIQUE or PRIMARY KEY constraint failed: the row's key is already taken.
    public var isUniqueViolation: Bool {
        extendedCode == ConstraintCode.unique || extendedCode == ConstraintCode.primaryKey
    }

    /// Specifically a PRIMARY KEY constraint failed.
    public var isPrimaryKeyViolation: Bool { extendedCode == ConstraintCode.primaryKey }

    /// A FOREIGN KEY constraint failed.
    public var isForeignKeyViolation: Bool { extendedCode == ConstraintCode.foreignKey }

    /// A CHECK constraint failed.
    public var isCheckViolation: Bool { extendedCode == ConstraintCode.check }

    /// A NOT NULL constraint failed.
    public var isNotNullViolation: Bool { extendedCode == ConstraintCode.notNull }

    /// One line for logs: code, message and, when known, the SQL.
    public var description: String {
        var text = "SQLite error \(extendedCode) [\(code)]: \(message)"
        if let sql { text += " — in: \(sql)" }
        return text
    }
}

/// The extended SQLITE_CONSTRAINT_* codes. Swift cannot import sqlite3.h's parenthesised macros, so
/// they are rebuilt from their documented definition, primary code | (n << 8)
/// (https://www.sqlite.org/rescode.html#constraint_check and following).
enum ConstraintCode {
    static let check = SQLITE_CONSTRAINT | (1 << 8)
    static let foreignKey = SQLITE_CONSTRAINT | (3 << 8)
    static let notNull = SQLITE_CONSTRAINT | (5 << 8)
    static let primaryKey = SQLITE_CONSTRAINT | (6 << 8)
    static let unique = SQLITE_CONSTRAINT | (8 << 8)
}
