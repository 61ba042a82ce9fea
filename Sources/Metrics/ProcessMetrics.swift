#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension MetricsRegistry {
    /// Registers the standard `process_*` metrics, read from /proc/self at each scrape.
    ///
    /// Metrics whose source cannot be read (for example on a system without /proc) are
    /// skipped, so the output never carries made-up values.
    public func registerProcessMetrics() {
        if ProcessStatistics.cpuSeconds() != nil {
            counterFunction(name: "process_cpu_seconds_total", help: "Total user and system CPU time spent in seconds.") {
                ProcessStatistics.cpuSeconds() ?? .nan
            }
        }
        if ProcessStatistics.memoryBytes() != nil {
            gaugeFunction(name: "process_resident_memory_bytes", help: "Resident memory size in bytes.") {
                ProcessStatistics.memoryBytes().map { Double($0.resident) } ?? .nan
            }
            gaugeFunction(name: "process_virtual_memory_bytes", help: "Virtual memory size in bytes.") {
                ProcessStatistics.memoryBytes().map { Double($0.virtual) } ?? .nan
            }
        }
        if ProcessStatistics.openFileDescriptors() != nil {
            gaugeFunction(name: "process_open_fds", help: "Number of open file descriptors.") {
                ProcessStatistics.openFileDescriptors().map(Double.init) ?? .nan
            }
        }
        if let maximum = ProcessStatistics.maximumFileDescriptors() {
            gaugeFunction(name: "process_max_fds", help: "Maximum number of open file descriptors.") { maximum }
        }
        // The start time cannot change, so it is read once here.
        if let started = ProcessStatistics.startTimeSeconds() {
            gaugeFunction(name: "process_start_time_seconds", help: "Start time of the process since unix epoch in seconds.") {
                started
            }
        }
    }
}

/// Readers for the kernel's per-process statistics under /proc.
enum ProcessStatistics {
    /// User plus system CPU time, from fields 14 and 15 of /proc/self/stat (in clock ticks).
    static func cpuSeconds() -> Double? {
        guard let fields = statFields(), fields.count > 12,
              let user = Double(fields[11]), let system = Double(fields[12]),
              let ticksPerSecond = clockTicksPerSecond()
        else { return nil }
        return (user + system) / ticksPerSecond
    }

    /// Virtual and resident size, from /proc/self/statm (in pages).
    static func memoryBytes() -> (virtual: Int, resident: Int)? {
        guard let text = readFile("/proc/self/statm") else { return nil }
        let fields = text.split(separator: " ")
        let pageBytes = sysconf(Int32(_SC_PAGESIZE))
        guard fields.count > 1, let virtualPages = Int(fields[0]), let residentPages = Int(fields[1]), pageBytes > 0
        else { return nil }
        return (virtualPages * pageBytes, residentPages * pageBytes)
    }

    /// Entries in /proc/self/fd, not counting the descriptor used to list them.
    static func openFileDescriptors() -> Int? {
        guard let directory = opendir("/proc/self/fd") else { return nil }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            let isDotEntry = withUnsafeBytes(of: entry.pointee.d_name) { $0.first == UInt8(ascii: ".") }
            if !isDotEntry { count += 1 }
        }
        return max(count - 1, 0)
    }

    /// The soft limit on open files.
    static func maximumFileDescriptors() -> Double? {
        var limits = rlimit()
        #if canImport(Glibc)
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        #else
        let resource = RLIMIT_NOFILE
        #endif
        guard getrlimit(resource, &limits) == 0 else { return nil }
        // RLIM_INFINITY is all ones; its C definition does not import into Swift.
        return limits.rlim_cur == rlim_t.max ? .infinity : Double(limits.rlim_cur)
    }

    /// Boot time from /proc/stat plus the start time in field 22 of /proc/self/stat (ticks since boot).
    static func startTimeSeconds() -> Double? {
        guard let fields = statFields(), fields.count > 19, let startTicks = Double(fields[19]),
              let ticksPerSecond = clockTicksPerSecond(),
              let systemStat = readFile("/proc/stat"),
              let bootLine = systemStat.split(separator: "\n").first(where: { $0.hasPrefix("btime ") }),
              let bootSeconds = Double(bootLine.dropFirst("btime ".count))
        else { return nil }
        return bootSeconds + startTicks / ticksPerSecond
    }

    /// Fields of /proc/self/stat from field 3 (state) on; element `i` is field `i + 3`.
    ///
    /// Field 2 is the command name in parentheses and may itself contain spaces and
    /// parentheses, so fields are counted from the last closing parenthesis.
    private static func statFields() -> [Substring]? {
        guard let text = readFile("/proc/self/stat"), let close = text.lastIndex(of: ")") else { return nil }
        return text[text.index(after: close)...].split(separator: " ")
    }

    private static func clockTicksPerSecond() -> Double? {
        let ticks = sysconf(Int32(_SC_CLK_TCK))
        return ticks > 0 ? Double(ticks) : nil
    }

    /// Reads a whole (small) file; /proc files report size 0, so read until end of file.
    private static func readFile(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var contents: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let readCount = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if readCount < 0 && errno == EINTR { continue }
            guard readCount >= 0 else { return nil }
            if readCount == 0 { break }
            contents.append(contentsOf: chunk[0..<readCount])
        }
        return String(decoding: contents, as: UTF8.self).trimmingTrailingNewlines()
    }
}

extension String {
    fileprivate func trimmingTrailingNewlines() -> String {
        var result = Substring(self)
        while result.last == "\n" { result.removeLast() }
        return String(result)
    }
}
