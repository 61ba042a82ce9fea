import Foundation
import JSON
import Synchronization
import Threading
import Timing

/// Severity of a log line, lowest first.
public enum LogLevel: Int, Sendable, Comparable, CaseIterable {
    case debug, info, warn, error

    public var name: String {
        switch self {
        case .debug: "debug"
        case .info: "info"
        case .warn: "warn"
        case .error: "error"
        }
    }

    public init?(name: String) {
        guard let level = Self.allCases.first(where: { $0.name == name.lowercased() }) else { return nil }
        self = level
    }

    public static func < (left: LogLevel, right: LogLevel) -> Bool { left.rawValue < right.rawValue }
}

/// A value in a log line.
public enum LogValue: Sendable {
    case string(String)
    case int(Int64)
    case bool(Bool)
    case double(Double)
}

extension LogValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

/// One JSON object a line on stdout, written by one background thread through a bounded buffer:
/// callers (loop threads among them) never block on stdout; when the buffer is full the line is
/// dropped and counted.
public final class Log: Sendable {
    public let level: LogLevel
    private let pending: Mutex<Pending>
    private let wake = DispatchSemaphore(value: 0)
    /// The writer thread once started, for `flushAndStop` to join.
    private let writerThread = Mutex<OSThread?>(nil)
    private let output: Int32

    struct Pending {
        var bytes: [UInt8] = []
        var dropped: UInt64 = 0
        var stopping = false
        var writerStarted = false
    }

    /// Bytes of formatted lines waiting for the writer thread before new lines are dropped.
    public let bufferBytesMax: Int

    public init(level: LogLevel, bufferBytesMax: Int = 4 * 1024 * 1024, fileDescriptor: Int32 = 1) {
        self.level = level
        self.bufferBytesMax = bufferBytesMax
        self.output = fileDescriptor
        self.pending = Mutex(Pending())
    }

    /// Lines dropped because the buffer was full.
    public var droppedCount: UInt64 { pending.withLock { $0.dropped } }

    public func enabled(_ level: LogLevel) -> Bool { level >= self.level }

    public func debug(_ message: String, _ fields: KeyValuePairs<String, LogValue> = [:]) { log(.debug, message, fields) }
    public func info(_ message: String, _ fields: KeyValuePairs<String, LogValue> = [:]) { log(.info, message, fields) }
    public func warn(_ message: String, _ fields: KeyValuePairs<String, LogValue> = [:]) { log(.warn, message, fields) }
    public func error(_ message: String, _ fields: KeyValuePairs<String, LogValue> = [:]) { log(.error, message, fields) }

    /// Logs at info whatever the level: for the few lines tools depend on (e.g. `listening`).
    public func always(_ message: String, _ fields: KeyValuePairs<String, LogValue> = [:]) { log(.info, message, fields, force: true) }

    public func log(_ level: LogLevel, _ message: String, _ fields: KeyValuePairs<String, LogValue>, force: Bool = false) {
        guard force || enabled(level) else { return }
        var line: [UInt8] = []
        line.reserveCapacity(128)
        line.append(contentsOf: #"{"ts":""#.utf8)
        RFC3339.append(milliseconds: SystemClock().wallMilliseconds(), to: &line)
        line.append(contentsOf: #"","level":""#.utf8)
        line.append(contentsOf: level.name.utf8)
        line.append(contentsOf: #"","msg":"#.utf8)
        JSONWriter.appendQuoted(message, to: &line)
        for (key, value) in fields {
            line.append(0x2C)
            JSONWriter.appendQuoted(key, to: &line)
            line.append(0x3A)
            switch value {
            case .string(let text): JSONWriter.appendQuoted(text, to: &line)
            case .int(let number): JSONWriter.appendInteger(number, to: &line)
            case .bool(let flag): line.append(contentsOf: (flag ? "true" : "false").utf8)
            case .double(let number): line.append(contentsOf: (number.isFinite ? "\(number)" : "null").utf8)
            }
        }
        line.append(contentsOf: "}\n".utf8)
        enqueue(line)
    }

    /// Queues one complete line (already newline-terminated).
    public func enqueue(_ line: [UInt8]) {
        let startWriter: Bool = pending.withLock { state in
            if state.bytes.count + line.count > bufferBytesMax || state.stopping {
                state.dropped += 1
                return false
            }
            let wasEmpty = state.bytes.isEmpty
            state.bytes.append(contentsOf: line)
            if !state.writerStarted {
                state.writerStarted = true
                return true
            }
            if wasEmpty { wake.signal() }
            return false
        }
        if startWriter { startWriterThread() }
    }

    private func startWriterThread() {
        let body: @Sendable () -> Void = { [self] in
            var batch: [UInt8] = []
            while true {
                let stop: Bool = pending.withLock { state in
                    swap(&batch, &state.bytes)
                    return state.stopping
                }
                if !batch.isEmpty {
                    batch.withUnsafeBytes { raw in
                        var offset = 0
                        while offset < raw.count {
                            let written = Glibc.write(output, raw.baseAddress! + offset, raw.count - offset)
                            if written < 0 && errno == EINTR { continue }
                            if written <= 0 { break }
                            offset += written
                        }
                    }
                    batch.removeAll(keepingCapacity: true)
                    continue
                }
                if stop { break }
                wake.wait()
            }
        }
        // Without a thread the lines stay queued up to the buffer's bound and later ones are
        // counted as dropped; logging must never stop the server.
        let thread = try? OSThread.start(name: "log-writer", body)
        writerThread.withLock { $0 = thread }
    }

    /// Writes everything queued and stops the writer thread.
    public func flushAndStop() {
        let started: Bool = pending.withLock { state in
            state.stopping = true
            return state.writerStarted
        }
        guard started else { return }
        wake.signal()
        writerThread.withLock { thread in
            thread?.join()
            thread = nil
        }
    }
}
