import Foundation

/// `promtool check metrics` (from the Debian `prometheus` package) for tests of the metrics text.
public enum Promtool {
    /// promtool from PATH, or nil; tests that need it are skipped and reported as such (CI installs it).
    public static let path: String? = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/usr/local/bin")
        .split(separator: ":")
        .map { "\($0)/promtool" }
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Runs `promtool check metrics` on `text`; returns its exit status and what it printed.
    public static func checkMetrics(_ text: [UInt8]) throws -> (status: Int32, report: String) {
        guard let path else { throw TestClient.Failure(description: "promtool is not installed") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["check", "metrics"]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        // promtool reads all of its input before it writes, and scrapes here are small: no deadlock.
        input.fileHandleForWriting.write(Data(text))
        try input.fileHandleForWriting.close()
        let report = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, report)
    }
}
