import Foundation
import Storage
import Testing

@Suite struct WALCheckpointerTests {
    /// Commits `count` single-row transactions so the WAL (never auto-checkpointed) holds many frames.
    private func fill(_ writer: SQLiteConnection, count: Int) throws {
        for index in 0..<count {
            try writer.run("INSERT INTO t(label) VALUES (?)", .text("seat-\(index)-" + String(repeating: "x", count: 200)))
        }
    }

    private func walSize(_ writer: SQLiteConnection) -> Int64 {
        let attributes = try? FileManager.default.attributesOfItem(atPath: writer.path + "-wal")
        return (attributes?[.size] as? NSNumber)?.int64Value ?? -1
    }

    @Test func requestCheckpoint_copiesEveryWALFrameIntoTheDatabase() throws {
        try withTemporaryDirectory { directory in
            let writer = try openWriter(directory)
            try fill(writer, count: 100)
            #expect(walSize(writer) > 0)

            let checkpointer = try WALCheckpointer(
                path: writer.path, intervalMilliseconds: 3_600_000, truncateOversizedWAL: false)
            defer { checkpointer.stop() }
            checkpointer.requestCheckpoint()
            #expect(eventually { checkpointer.statistics.checkpointsRun >= 1 })

            let statistics = checkpointer.statistics
            #expect(statistics.lastLogFrames > 0)
            #expect(statistics.lastCheckpointedFrames == statistics.lastLogFrames)
            #expect(statistics.failures == 0)
            #expect(statistics.truncationsRun == 0)
            #expect(walSize(writer) > 0)
        }
    }

    @Test func interval_runsCheckpointsWithoutRequests() throws {
        try withTemporaryDirectory { directory in
            let writer = try openWriter(directory)
            try fill(writer, count: 5)
            let checkpointer = try WALCheckpointer(path: writer.path, intervalMilliseconds: 5)
            defer { checkpointer.stop() }
            #expect(eventually { checkpointer.statistics.checkpointsRun >= 2 })
        }
    }

    @Test func oversizedWAL_isTruncatedWhenNothingBlocks() throws {
        try withTemporaryDirectory { directory in
            let options = SQLiteOptions(journalSizeLimitBytes: 4_096)
            let writer = try openWriter(directory, options: options)
            try fill(writer, count: 100)
            #expect(walSize(writer) > 4_096)

            let checkpointer = try WALCheckpointer(path: writer.path, options: options, intervalMilliseconds: 3_600_000)
            defer { checkpointer.stop() }
            checkpointer.requestCheckpoint()
            #expect(eventually { checkpointer.statistics.truncationsRun >= 1 })
            #expect(walSize(writer) == 0)

            // Everything reached the database file, and the writer carries on normally.
            try writer.run("INSERT INTO t(label) VALUES ('after')")
            let reader = try SQLiteConnection(path: writer.path, mode: .readOnly)
            #expect(try scalarInt(reader, "SELECT count(*) FROM t") == 101)
        }
    }

    @Test func oversizedWAL_readerPinningSnapshot_skipsTruncation() throws {
        try withTemporaryDirectory { directory in
            let options = SQLiteOptions(journalSizeLimitBytes: 4_096)
            let writer = try openWriter(directory, options: options)
            try fill(writer, count: 50)
            let reader = try SQLiteConnection(path: writer.path, mode: .readOnly)
            let cursor = try reader.statement("SELECT id FROM t")
            #expect(try cursor.step())

            let checkpointer = try WALCheckpointer(path: writer.path, options: options, intervalMilliseconds: 3_600_000)
            defer { checkpointer.stop() }
            checkpointer.requestCheckpoint()
            #expect(eventually { checkpointer.statistics.checkpointsRun >= 1 })
            #expect(checkpointer.statistics.truncationsRun == 0)
            #expect(checkpointer.statistics.failures == 0)
            #expect(walSize(writer) > 0)
            reader.resetAll()
        }
    }

    @Test func stop_calledTwice_isSafe() throws {
        try withTemporaryDirectory { directory in
            let writer = try openWriter(directory)
            let checkpointer = try WALCheckpointer(path: writer.path)
            checkpointer.stop()
            checkpointer.stop()
            checkpointer.requestCheckpoint()
            #expect(checkpointer.statistics.failures == 0)
        }
    }
}
