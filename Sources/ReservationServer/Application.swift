import API
import CLinux
import Dispatch
import Foundation
import EventLoop
import Glibc
import HTTPServer
import Logging
import Metrics
import Reservations
import Storage

/// Wires the layers together, runs until SIGTERM/SIGINT, then drains and returns the exit status.
final class Application: Sendable {
    let configuration: Configuration
    let log: Log

    init(configuration: Configuration) {
        self.configuration = configuration
        self.log = Log(level: configuration.logLevel)
    }

    /// When `run` began, on the uptime clock, for the start-up duration in the `ready` line.
    private let processStartNanoseconds = DispatchTime.now().uptimeNanoseconds

    func run() -> Int32 {
        defer { log.flushAndStop() }
        let openFileLimit = Socket.raiseOpenFileLimit()
        log.info("starting", [
            "version": "0.1.0",
            "host": .string(configuration.host),
            "port": .int(Int64(configuration.port)),
            "threads": .int(Int64(configuration.threadCount)),
            "maxConnections": .int(Int64(configuration.connectionsMax)),
            "db": .string(configuration.databasePath),
            "synchronous": .string(configuration.synchronousFull ? "FULL" : "NORMAL"),
            "idempotencyTtlSeconds": .double(Double(configuration.idempotencyTTLMilliseconds) / 1000),
            "idempotencyKeysMax": .int(Int64(configuration.idempotencyKeysMax)),
            "demo": .bool(configuration.demo),
            "holdSeconds": .double(Double(configuration.holdMilliseconds) / 1000),
            "maxQuantity": .int(Int64(configuration.quantityMax)),
            "accessLogSampleRate": .double(configuration.accessLogSampleRate),
            "openFileLimit": .int(Int64(openFileLimit)),
        ])

        // Storage: the writer opens, migrates and rebuilds in the background while the port opens,
        // so liveness answers at once and readiness follows.
        // Metrics: one shard per loop plus one for the writer (the last), summed on scrape.
        let registry = MetricsRegistry(shardCount: configuration.threadCount + 1)
        registry.registerProcessMetrics()

        var options = SQLiteOptions()
        options.synchronous = configuration.synchronousFull ? .full : .normal
        let writer: Writer
        do {
            var writerConfiguration = Writer.Configuration(
                path: configuration.databasePath, options: options,
                queueCapacity: configuration.writerQueueCapacity, batchLimit: configuration.writerBatchLimit)
            writerConfiguration.maxHoldQuantity = configuration.quantityMax
            writerConfiguration.idempotencyTTLMilliseconds = configuration.idempotencyTTLMilliseconds
            writerConfiguration.expiryTickMilliseconds = configuration.expiryTickMilliseconds
            writerConfiguration.idempotencyEntriesMax = configuration.idempotencyKeysMax
            writerConfiguration.metrics = registry
            writerConfiguration.onInvariantBreach = { [log] message in log.error("INVARIANT BREACH", ["detail": .string(message)]) }
            writer = try Writer(configuration: writerConfiguration)
        } catch {
            log.error("cannot start the writer", ["error": .string(String(describing: error))])
            return 1
        }
        let readiness = Readiness()
        let readers = PerLoop<any InventoryReader>((0..<configuration.threadCount).map { _ in
            LazyInventoryReader(path: configuration.databasePath, options: options)
        })
        var apiConfiguration = APIConfiguration()
        apiConfiguration.quantityMax = configuration.quantityMax
        apiConfiguration.holdMilliseconds = configuration.holdMilliseconds
        let api = ReservationAPI(configuration: apiConfiguration, commands: writer, readers: readers, readiness: readiness, log: log)

        registry.counterFunction(name: "writer_rejected_total", help: "changes refused because the writer queue was full") { Double(writer.statistics.rejected) }
        registry.gaugeFunction(name: "log_dropped_lines", help: "log lines dropped because the log buffer was full") { [log] in Double(log.droppedCount) }
        let observability = HTTPObservability(registry: registry, log: configuration.accessLogSampleRate > 0 && log.enabled(.info) ? log : nil,
                                              accessLogSampleRate: configuration.accessLogSampleRate)

        var routes = RouterBuilder()
        let databasePath = configuration.databasePath
        HealthRoutes.register(on: &routes, readiness: readiness) {
            let statistics = writer.statistics
            return [
                // The database is up once the writer opened and migrated it; the last storage error,
                // if any, is shown for diagnosis.
                HealthComponent(name: "database", isUp: writer.isReady,
                                details: [("path", databasePath), ("lastError", statistics.lastError ?? "none")]),
                HealthComponent(name: "writer", isUp: writer.isReady, details: [
                    ("batches", String(statistics.batches)), ("meanBatchSize", String(statistics.meanBatchSize)),
                    ("rejected", String(statistics.rejected)), ("failedBatches", String(statistics.failedBatches)),
                ]),
                HealthComponent(name: "recovery", isUp: readiness.isReady || readiness.isDraining, details: [
                    ("expiredAtStartup", String(statistics.expiredAtStartup)), ("liveHolds", String(statistics.liveHolds)),
                ]),
            ]
        }
        MetricsRoutes.register(on: &routes, registry: registry)
        api.register(on: &routes)
        let router: Router
        do {
            router = try routes.build()
        } catch {
            log.error("invalid routes", ["error": .string(error.description)])
            return 1
        }

        let server = HTTPServer(router: router, configuration: configuration.http, loopCount: configuration.threadCount,
                                observability: observability) { loop in
            readers[loop].resetStatements()
        }
        var loopConfiguration = EventLoopConfiguration()
        loopConfiguration.host = configuration.host
        loopConfiguration.port = configuration.port
        loopConfiguration.threadCount = configuration.threadCount
        loopConfiguration.connectionsMax = configuration.connectionsMax
        let group: EventLoopGroup
        do {
            group = try EventLoopGroup(configuration: loopConfiguration, service: server)
        } catch {
            log.error("cannot listen", ["error": .string(error.description)])
            writer.shutdown()
            return 1
        }
        let signals = clinux_signalfd_term_int()
        guard signals >= 0 else {
            log.error("cannot create signalfd", ["errno": .int(Int64(errno))])
            return 1
        }
        group.start()
        log.always("listening", ["host": .string(configuration.host), "port": .int(Int64(group.port))])

        let storageOptions = options
        let startedAt = processStartNanoseconds
        // Automatic checkpoints are off (the writer's COMMIT never pays for one); this thread copies
        // the WAL back into the database with PASSIVE checkpoints and keeps the WAL file bounded.
        let checkpointer = CheckpointerSlot()
        let startup = DispatchSemaphore(value: 0)
        let startupFailed = StartupResult()
        Thread.detachNewThread { [self] in
            do {
                try writer.waitUntilReady()
                checkpointer.start(path: configuration.databasePath, options: storageOptions, log: log)
                if configuration.demo { try loadDemo(writer: writer, path: configuration.databasePath, options: storageOptions) }
                readiness.markReady()
                let statistics = writer.statistics
                log.info("ready", [
                    "startupMs": .int(Int64((DispatchTime.now().uptimeNanoseconds - startedAt) / 1_000_000)),
                    "expiredAtStartup": .int(Int64(statistics.expiredAtStartup)), "liveHolds": .int(Int64(statistics.liveHolds)),
                ])
            } catch {
                startupFailed.set("\(error)")
                log.error("start-up failed", ["error": .string(String(describing: error))])
                kill(getpid(), SIGTERM)
            }
            startup.signal()
        }

        let signal = waitForSignal(signals)
        readiness.markDraining()
        log.info("shutting down", ["signal": .int(Int64(signal)), "graceSeconds": .double(configuration.shutdownGraceSeconds)])
        let clean = group.shutdown(graceSeconds: configuration.shutdownGraceSeconds)
        writer.shutdown()
        checkpointer.stop()
        let statistics = writer.statistics
        log.info("stopped", [
            "drainedWithinGrace": .bool(clean), "writerBatches": .int(Int64(statistics.batches)),
            "writerCommands": .int(Int64(statistics.commands)), "meanBatchSize": .double(statistics.meanBatchSize),
            "maxBatchSize": .int(Int64(statistics.maxBatchSize)), "expiredHolds": .int(Int64(statistics.expiredHolds)),
            "expiryLatenessP50Ms": .int(statistics.expiryLateness.percentileMs(0.5)),
            "expiryLatenessP99Ms": .int(statistics.expiryLateness.percentileMs(0.99)),
            "expiryLatenessMaxMs": .int(statistics.expiryLateness.maxMs),
        ])
        _ = startup.wait(timeout: .now() + 1)
        return startupFailed.value == nil ? 0 : 1
    }

    /// Creates `evt_2025_1001` (sections A–E, 100 seats each, 10000 KRW) unless it exists.
    private func loadDemo(writer: Writer, path: String, options: SQLiteOptions) throws {
        let reader = try SQLiteInventoryReader(path: path, options: options)
        if try reader.event("evt_2025_1001") != nil { return }
        let demo = NewEvent(eventID: "evt_2025_1001", name: "Traffic Tacos demo concert", currency: "KRW",
                            sections: ["A", "B", "C", "D", "E"].map { SectionSpec(name: $0, seatCount: 100, priceMinor: 10_000) })
        let done = DispatchSemaphore(value: 0)
        let status = StartupResult()
        let command = WriteCommand(operation: .createEvent(demo), render: { outcome in
            if case .failed(let error) = outcome { return RenderedResponse(status: error.httpStatus) }
            return RenderedResponse(status: 201)
        }, completion: { rendered in
            status.set(String(rendered.status))
            done.signal()
        })
        guard writer.submit(command) else { throw StartupError(description: "the writer refused the demo event") }
        done.wait()
        guard let result = status.value, result == "201" || result == "409" else {
            throw StartupError(description: "creating the demo event answered \(status.value ?? "nothing")")
        }
        log.info("demo event loaded", ["eventId": "evt_2025_1001"])
    }

    /// Blocks until SIGTERM or SIGINT arrives on the signalfd; returns its number.
    private func waitForSignal(_ fd: Int32) -> Int32 {
        while true {
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            _ = poll(&descriptor, 1, -1)
            let number = clinux_signalfd_read(fd)
            if number > 0 { return number }
        }
    }
}

struct StartupError: Error, CustomStringConvertible {
    let description: String
}
