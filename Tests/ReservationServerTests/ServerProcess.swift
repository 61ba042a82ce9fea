import Foundation
import Glibc

/// Runs the real `reservation-server` binary (built next to the test bundle) and reads its log.
final class ServerProcess {
    let process = Process()
    private let output = Pipe()
    private let errors = Pipe()
    private let standardOutput = LockedText()
    private let standardError = LockedText()
    private let readersDone = DispatchSemaphore(value: 0)
    private(set) var port = 0
    private var drained = false

    struct Failure: Error, CustomStringConvertible { let description: String }

    /// The binary `swift build` put beside the test bundle.
    static var binaryURL: URL {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var directory = executable.deletingLastPathComponent()
        // Inside a `.xctest` bundle directory on some layouts.
        while directory.pathExtension == "xctest" || directory.lastPathComponent == "Contents" || directory.lastPathComponent == "MacOS" {
            directory = directory.deletingLastPathComponent()
        }
        return directory.appendingPathComponent("reservation-server")
    }

    init(arguments: [String], environment: [String: String] = [:]) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binaryURL.path) else {
            throw Failure(description: "\(Self.binaryURL.path) is missing: run `swift build` before `swift test`")
        }
        process.executableURL = Self.binaryURL
        // Each process gets a database of its own, never the developer's ./data.
        let hasDatabase = arguments.contains { $0 == "--db" || $0.hasPrefix("--db=") } || environment["DB_PATH"] != nil
        var all = arguments
        if !hasDatabase {
            all += ["--db", FileManager.default.temporaryDirectory.appendingPathComponent("process-\(UUID().uuidString)/r.db").path]
        }
        // Several processes run at once: each picks a free gRPC port unless a test names one.
        if !arguments.contains(where: { $0.hasPrefix("--grpc-port") }) && environment["GRPC_SERVER_PORT"] == nil {
            all += ["--grpc-port", "0"]
        }
        process.arguments = all
        var env = ProcessInfo.processInfo.environment
        for key in ["SERVER_PORT", "SERVER_HOST", "THREADS", "LOG_LEVEL", "DB_PATH", "DEMO"] { env.removeValue(forKey: key) }
        env.merge(environment) { _, new in new }
        process.environment = env
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // One reader thread per pipe, reading in order until end of file: after the process exits
        // and both reach EOF, `log` holds everything it wrote.
        for (pipe, sink) in [(output, standardOutput), (errors, standardError)] {
            let handle = pipe.fileHandleForReading
            let done = readersDone
            Thread.detachNewThread {
                while true {
                    let chunk = handle.availableData
                    if chunk.isEmpty { break }
                    sink.append(chunk)
                }
                done.signal()
            }
        }
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    var log: String { standardOutput.text + standardError.text }

    /// Waits for the `"msg":"listening"` line and returns the port it names.
    @discardableResult
    func waitUntilListening(timeoutSeconds: Double = 10) throws -> Int {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while Date() < deadline {
            for line in log.split(separator: "\n") where line.contains(#""msg":"listening""#) {
                if let range = line.range(of: #""port":"#) {
                    let digits = line[range.upperBound...].prefix { $0.isNumber }
                    port = Int(digits) ?? 0
                    return port
                }
            }
            if !process.isRunning { throw Failure(description: "server exited early: \(log)") }
            usleep(10_000)
        }
        throw Failure(description: "server did not start listening: \(log)")
    }

    func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// Waits for the process to exit and returns its status, or nil after the timeout.
    func waitForExit(timeoutSeconds: Double = 15) -> Int32? {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { return nil }
        // Both readers reach end of file once the process is gone; then `log` is complete.
        if !drained {
            _ = readersDone.wait(timeout: .now() + 5)
            _ = readersDone.wait(timeout: .now() + 5)
            drained = true
        }
        return process.terminationStatus
    }
}

/// Text gathered from the child's pipes on a background thread.
final class LockedText: @unchecked Sendable {  // every access goes through `lock`
    private let lock = NSLock()
    private var data = Data()

    func append(_ chunk: Data) {
        lock.lock()
        data.append(chunk)
        lock.unlock()
    }

    var text: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: data, as: UTF8.self)
    }
}
