import CSQLite
import Foundation
import Storage
import Testing

@Suite struct SQLiteConnectionTests {
    @Test func open_readWrite_createsMissingDirectoriesAndSetsEveryPragma() throws {
        try withTemporaryDirectory { directory in
            let path = "\(directory)/nested/deeper/reservations.sqlite"
            let options = SQLiteOptions(
                synchronous: .full, busyTimeoutMilliseconds: 1_234, cacheSizeKibibytes: 2_048,
                journalSizeLimitBytes: 1_048_576, mmapSizeBytes: 0)
            let connection = try SQLiteConnection(
                path: path, mode: .readWrite(createDirectories: true), options: options)

            #expect(FileManager.default.fileExists(atPath: path))
            #expect(try scalarText(connection, "PRAGMA journal_mode") == "wal")
            #expect(try scalarInt(connection, "PRAGMA synchronous") == 2)
            #expect(try scalarInt(connection, "PRAGMA foreign_keys") == 1)
            #expect(try scalarInt(connection, "PRAGMA wal_autocheckpoint") == 0)
            #expect(try scalarInt(connection, "PRAGMA busy_timeout") == 1_234)
            #expect(try scalarInt(connection, "PRAGMA cache_size") == -2_048)
            #expect(try scalarInt(connection, "PRAGMA journal_size_limit") == 1_048_576)
            #expect(try scalarInt(connection, "PRAGMA temp_store") == 2)
            #expect(try scalarInt(connection, "PRAGMA mmap_size") == 0)
            #expect(try scalarInt(connection, "PRAGMA query_only") == 0)
        }
    }

    @Test func open_synchronousNormal_isApplied() throws {
        try withTemporaryDirectory { directory in
            let connection = try openWriter(directory, options: SQLiteOptions(synchronous: .normal))
            #expect(try scalarInt(connection, "PRAGMA synchronous") == 1)
        }
    }

    @Test func open_readOnly_isWALAndQueryOnly() throws {
        try withTemporaryDirectory { directory in
            let writer = try openWriter(directory)
            let reader = try SQLiteConnection(path: writer.path, mode: .readOnly)
            #expect(try scalarText(reader, "PRAGMA journal_mode") == "wal")
            #expect(try scalarInt(reader, "PRAGMA query_only") == 1)
            #expect(try scalarInt(reader, "PRAGMA foreign_keys") == 1)
            #expect(try scalarInt(reader, "PRAGMA temp_store") == 2)
        }
    }

    @Test func open_readOnlyMissingFile_failsWithCantOpen() throws {
        try withTemporaryDirectory { directory in
            let error = #expect(throws: SQLiteError.self) {
                _ = try SQLiteConnection(path: "\(directory)/absent.sqlite", mode: .readOnly)
            }
            #expect(error?.code == .cantOpen)
        }
    }

    @Test func open_withoutCreateDirectories_failsForMissingDirectory() throws {
        try withTemporaryDirectory { directory in
            let error = #expect(throws: SQLiteError.self) {
                _ = try SQLiteConnection(
                    path: "\(directory)/missing/db.sqlite", mode: .readWrite(createDirectories: false))
            }
            #expect(error?.code == .cantOpen)
        }
    }

    @Test func statement_sameSQL_returnsCachedInstance() throws {
        try withTemporaryDirectory { directory in
            let connection = try openWriter(directory)
            let before = connection.cachedStatementCount
            let first = try connection.statement("SELECT id FROM t WHERE id = ?")
            let second = try connection.statement("SELECT id FROM t WHERE id = ?")
            let other = try connection.statement("SELECT label FROM t WHERE id = ?")
            #expect(first === second)
            #expect(first !== other)
            #expect(connection.cachedStatementCount == before + 2)
        }
    }

    @Test func statement_reuse_clearsPreviousBindings() throws {
        try withTemporaryDirectory { directory in
            let connection = try openWriter(directory)
            let first = try connection.statement("SELECT ?")
            try first.bind(1, 42)
            _ = try first.step()
            let again = try connection.statement("SELECT ?")
            #expect(try again.step())
            #expect(again.isNull(0))
        }
    }

    @Test func statement_twoStatementsInOneString_isRejected() throws {
        try withTemporaryDirectory { directory in
            let connection = try openWriter(directory)
            let error = #expect(throws: SQLiteError.self) {
                _ = try connection.statement("SELECT 1; SELECT 2")
            }
            #expect(error?.code == .misuse)
        }
    }

    @Test func bindAndColumns_everyType_roundTrips() throws {
        try withTemporaryDirectory { directory in
            let connection = try openWriter(directory)
            try connection.execute("CREATE TABLE v(k INTEGER PRIMARY KEY, i INTEGER, r REAL, s TEXT, b BLOB)")
            let insert = "INSERT INTO v(k, i, r, s, b) VALUES (?, ?, ?, ?, ?)"
            let text = "Sitzplatz Ω 座席 🎟️ ü"
            let blob: [UInt8] = [0, 255, 1, 0, 128]

            let statement = try connection.statement(insert)
            try statement.bind(1, 1)
            try statement.bind(2, Int64.max)
            try statement.bind(3, 2.5)
            try statement.bind(4, text)
            try statement.bind(5, blob)
            #expect(try statement.run() == 1)

            try connection.run(insert, 2, .integer(Int64.min), .real(-0.25), "", .blob([]))
            try connection.run(insert, 3, nil, nil, nil, nil)
            try connection.run(insert, 4, SQLiteValue(Int?.none), SQLiteValue(Double?.none), SQLiteValue("x" as String?), SQLiteValue([7] as [UInt8]?))

            let read = try connection.statement("SELECT i, r, s, b FROM v WHERE k = ?")
            try read.bind(1, 1)
            #expect(try read.step())
            #expect(read.int64(0) == Int64.max)
            #expect(read.double(1) == 2.5)
            #expect(read.string(2) == text)
            #expect(read.bytes(3) == blob)
            #expect(!read.isNull(0) && !read.isNull(3))
            #expect(try read.step() == false)

            try read.bind(1, 2)
            #expect(try read.step())
            #expect(read.int64(0) == Int64.min)
            #expect(read.double(1) == -0.25)
            #expect(read.string(2) == "")
            #expect(read.bytes(3) == [])
            // Empty is not NULL: the two must stay distinguishable.
            #expect(!read.isNull(2))
            #expect(!read.isNull(3))

            // Rebinding needs a statement that is not mid-iteration: fetch it again (resets it).
            let again = try connection.statement("SELECT i, r, s, b FROM v WHERE k = ?")
            #expect(again === read)
            try read.bind(1, 3)
            #expect(try read.step())
            #expect((0..<4).allSatisfy { read.isNull($0) })
            #expect(read.int64(0) == 0 && read.string(2) == "" && read.bytes(3) == [])

            read.reset()
            try read.bind(1, 4)
            #expect(try read.step())
            #expect(read.isNull(0) && read.isNull(1))
            #expect(read.string(2) == "x" && read.bytes(3) == [7])
        }
    }

    @Test func bindArray_wrongValueCount_throwsRange() throws {
        try withTemporaryDirectory { directory in
            let connection = try openWriter(directory)
            let statement = try connection.statement("SELECT ?, ?")
            let error = #expect(throws: SQLiteError.self) { try statement.bindAll(1) }
            #expect(error?.code == .range)
        }
    }

    @Test func insert_duplicateUniqueKey_mapsToConstraintUniqueViolation() throws {
        try withTemporaryDirectory { directory in
            let connection = try openWriter(directory)
            try connection.run("INSERT INTO t(id, label) VALUES (?, ?)", 1, "A1")
            let error = #expect(throws: SQLiteError.self) {
                try connection.run("INSERT INTO t(id, label) VALUES (?, ?)", 2, "A1")
            }
            #expect(error?.code == .constraint)
            #expect(error?.isUniqueViolation == true)
            #expect(error?.isPrimaryKeyViolation == false)
            #expect(error?.sql == "INSERT INTO t(id, label) VALUES (?, ?)")

            let primary = #expect(throws: SQLiteError.self) {
                try connection.run("INSERT INTO t(id, label) VALUES (?, ?)", 1, "B2")
            }
            #expect(primary?.code == .constraint)
            #expect(primary?.isPrimaryKeyViolation == true)
            #expect(primary?.isUniqueViolation == true)
        }
    }

    @Test func insert_missingParent_mapsToForeignKeyViolation() throws {
        try withTemporaryDirectory { directory in
            let connection = try openWriter(directory)
            try connection.execute("CREATE TABLE child(id INTEGER PRIMARY KEY, parent INTEGER NOT NULL REFERENCES t(id))")
            let error = #expect(throws: SQLiteError.self) {
                try connection.run("INSERT INTO child(id, parent) VALUES (1, 99)")
            }
            #expect(error?.code == .constraint)
            #expect(error?.isForeignKeyViolation == true)
            #expect(error?.isUniqueViolation == false)
        }
    }

    @Test func changes_conditionalUpdate_countsMatchedRows() throws {
        try withTemporaryDirectory { directory in
            let connection = try openWriter(directory)
            try connection.run("INSERT INTO t(label) VALUES (?)", "A1")
            #expect(connection.lastInsertRowID == 1)
            try connection.run("INSERT INTO t(label) VALUES (?)", "A2")
            #expect(connection.lastInsertRowID == 2)

            let held = "UPDATE t SET label = ? WHERE id = ? AND label = ?"
            #expect(try connection.run(held, "B1", 1, "A1") == 1)
            #expect(connection.changes == 1)
            // The precondition no longer holds, so the conditional update matches nothing.
            #expect(try connection.run(held, "C1", 1, "A1") == 0)
            #expect(connection.changes == 0)
        }
    }

    @Test func execute_invalidScript_throwsWithMessageAndSQL() throws {
        try withTemporaryDirectory { directory in
            let connection = try openWriter(directory)
            let error = #expect(throws: SQLiteError.self) {
                try connection.execute("CREATE TABLE ok(x); SELEC nonsense")
            }
            #expect(error?.code == .error)
            #expect(error?.message.contains("syntax error") == true)
            #expect(error?.sql == "CREATE TABLE ok(x); SELEC nonsense")
        }
    }

    #if DEBUG
        @Test func connection_usedOffItsOwnerThread_trapsInDebugBuilds() async {
            await #expect(processExitsWith: .failure) {
                var template = Array("/tmp/storage-owner-XXXXXX".utf8CString)
                let directory = String(cString: mkdtemp(&template)!)
                let path = "\(directory)/owned.sqlite"
                let connection = try! SQLiteConnection(path: path, mode: .readWrite(createDirectories: false))
                // Remove the files now: the process is about to trap and cannot clean up later.
                for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) }
                rmdir(directory)
                runOnNewThread { connection.claim() }
                connection.resetAll()
            }
        }
    #endif
}
