import Storage
import Testing

@Suite struct SQLiteTransactionTests {
    private func labels(_ connection: SQLiteConnection) throws -> [String] {
        try connection.withStatement("SELECT label FROM t ORDER BY id") { statement in
            var labels: [String] = []
            while try statement.step() { labels.append(statement.string(0)) }
            return labels
        }
    }

    @Test func rollbackToSavepoint_insideTransaction_undoesOnlyThatSavepoint() throws {
        try withTemporaryDirectory { directory in
            let connection = try openWriter(directory)
            try connection.inTransaction {
                try connection.run("INSERT INTO t(label) VALUES ('kept-before')")
                try connection.savepoint("command")
                try connection.run("INSERT INTO t(label) VALUES ('undone')")
                try connection.rollbackTo("command")
                try connection.release("command")
                try connection.savepoint("command")
                try connection.run("INSERT INTO t(label) VALUES ('kept-after')")
                try connection.release("command")
            }
            #expect(try labels(connection) == ["kept-before", "kept-after"])
            #expect(!connection.isInTransaction)
        }
    }

    @Test func withSavepoint_failingCommand_keepsTheRestOfTheBatch() throws {
        try withTemporaryDirectory { directory in
            let connection = try openWriter(directory)
            var failures: [SQLiteError] = []
            try connection.inTransaction {
                for label in ["A1", "A1", "A2"] {
                    do {
                        try connection.withSavepoint("command") {
                            try connection.run("INSERT INTO t(label) VALUES ('audit')")
                            try connection.run("DELETE FROM t WHERE label = 'audit'")
                            try connection.run("INSERT INTO t(label) VALUES (?)", .text(label))
                        }
                    } catch let error as SQLiteError where error.code == .constraint {
                        failures.append(error)
                    }
                }
            }
            #expect(try labels(connection) == ["A1", "A2"])
            #expect(failures.count == 1 && failures.first?.isUniqueViolation == true)
        }
    }

    @Test func inTransaction_bodyThrows_rollsBackEverything() throws {
        struct Abort: Error {}
        try withTemporaryDirectory { directory in
            let connection = try openWriter(directory)
            #expect(throws: Abort.self) {
                try connection.inTransaction {
                    try connection.run("INSERT INTO t(label) VALUES ('never')")
                    throw Abort()
                }
            }
            #expect(try labels(connection).isEmpty)
            #expect(!connection.isInTransaction)
        }
    }

    @Test func inTransaction_returnsBodyResultAndCommits() throws {
        try withTemporaryDirectory { directory in
            let connection = try openWriter(directory)
            let id = try connection.inTransaction {
                try connection.run("INSERT INTO t(label) VALUES ('x')")
                return connection.lastInsertRowID
            }
            #expect(id == 1)
            let other = try SQLiteConnection(path: connection.path, mode: .readOnly)
            #expect(try scalarInt(other, "SELECT count(*) FROM t") == 1)
        }
    }

    @Test func readOnlyConnection_write_failsWithReadOnlyAndSeesCommittedData() throws {
        try withTemporaryDirectory { directory in
            let writer = try openWriter(directory)
            try writer.run("INSERT INTO t(label) VALUES ('committed')")
            let reader = try SQLiteConnection(path: writer.path, mode: .readOnly)

            #expect(try scalarText(reader, "SELECT label FROM t") == "committed")
            let error = #expect(throws: SQLiteError.self) {
                try reader.run("INSERT INTO t(label) VALUES ('sneaky')")
            }
            #expect(error?.code == .readOnly)
            #expect(throws: SQLiteError.self) { try reader.beginImmediate() }
            #expect(try scalarInt(writer, "SELECT count(*) FROM t") == 1)
        }
    }

    @Test func reader_seesOnlyCommittedDataAndNewCommitsAfterResetAll() throws {
        try withTemporaryDirectory { directory in
            let writer = try openWriter(directory)
            try writer.run("INSERT INTO t(label) VALUES ('one')")
            let reader = try SQLiteConnection(path: writer.path, mode: .readOnly)
            let count = "SELECT count(*) FROM t"

            try writer.beginImmediate()
            try writer.run("INSERT INTO t(label) VALUES ('uncommitted')")
            #expect(try scalarInt(reader, count) == 1)
            try writer.commit()
            #expect(try scalarInt(reader, count) == 2)

            // A statement left mid-iteration keeps the reader's snapshot open...
            let cursor = try reader.statement("SELECT id FROM t ORDER BY id")
            #expect(try cursor.step())
            try writer.run("INSERT INTO t(label) VALUES ('three')")
            #expect(try scalarInt(reader, count) == 2)

            // ...until resetAll() ends the read transaction.
            reader.resetAll()
            #expect(try scalarInt(reader, count) == 3)
        }
    }
}
