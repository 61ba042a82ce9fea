import API
import CLinux
import Connect
import EventLoop
import GRPC
import Glibc
import HTTPServer
import Logging
import Metrics
import Outbox
import OpenAPI
import Protobuf
import RPC
import Reservations
import Service
import Storage
import Threading
import Timing

/// Wires the layers together, runs until SIGTERM/SIGINT, then drains and returns the exit status.
final class Application: Sendable {
    let configuration: Configuration
    let log: Log
    let clock: any Clock = SystemClock()
    /// When the application was made, on the monotonic clock, for the start-up duration in the `ready` line.
    private let createdAtNanoseconds = SystemClock().monotonicNanoseconds()

    init(configuration: Configuration) {
        self.configuration = configuration
        self.log = Log(level: configuration.logLevel)
    }

    /// The parts `run` builds and later stops.
    private struct Parts {
        let writer: Writer
        let readiness: Readiness
        let group: EventLoopGroup
        let checkpointer: CheckpointerSlot
        let outbox: OutboxDelivery
        let registry: MetricsRegistry
    }

    func run() -> Int32 {
        defer { log.flushAndStop() }
        logStart(openFileLimit: Socket.raiseOpenFileLimit())
        // Metrics: one shard per loop, one for the writer and one for the outbox relay, summed on scrape.
        let registry = MetricsRegistry(shardCount: configuration.threadCount + 2)
        registry.registerProcessMetrics()
        let signals = clinux_signalfd_term_int()
        guard signals >= 0 else {
            log.error("cannot create signalfd", ["errno": .int(Int64(errno))])
            return 1
        }
        let parts: Parts
        do {
            parts = try start(registry: registry)
        } catch {
            log.error("cannot start", ["error": .string(String(describing: error))])
            return 1
        }
        let startupFailure = OneShot<String>()
        do {
            try OSThread.detached(name: "startup") { [self] in finishStartup(parts, failure: startupFailure) }
        } catch {
            fail(startupFailure, error.description)
        }
        let signal = waitForSignal(signals)
        drain(parts, signal: signal)
        return startupFailure.current == nil ? 0 : 1
    }

    /// Records why start-up failed and asks the process to stop (through the same signal path an
    /// operator's SIGTERM takes).
    private func fail(_ failure: OneShot<String>, _ reason: String) {
        log.error("start-up failed", ["error": .string(reason)])
        failure.fulfil(reason)
        kill(getpid(), SIGTERM)
    }

    // MARK: Phases

    private func logStart(openFileLimit: Int) {
        log.info("starting", [
            "version": "0.2.0",
            "host": .string(configuration.host),
            "port": .int(Int64(configuration.port)),
            "threads": .int(Int64(configuration.threadCount)),
            "maxConnections": .int(Int64(configuration.connectionsMax)),
            "db": .string(configuration.databasePath),
            "synchronous": .string(configuration.synchronousFull ? "FULL" : "NORMAL"),
            "idempotencyTtlSeconds": .double(Double(configuration.idempotencyTTLMilliseconds) / 1000),
            "idempotencyKeysMax": .int(Int64(configuration.idempotencyKeysMax)),
            "demo": .bool(configuration.demo),
            "holdSeconds": .double(Double(configuration.holdPolicy.holdMilliseconds) / 1000),
            "maxHoldExtensions": .int(Int64(configuration.holdPolicy.maxExtensions)),
            "maxHoldSeconds": .double(Double(configuration.holdPolicy.maxHoldMilliseconds) / 1000),
            "maxQuantity": .int(Int64(configuration.quantityMax)),
            "rpcMessageBytesMax": .int(Int64(configuration.rpcMessageBytesMax)),
            "accessLogSampleRate": .double(configuration.accessLogSampleRate),
            "authMode": .string(configuration.access.jwt ? "jwt" : "none"),
            "rateLimitPerSecond": .double(configuration.access.rateLimitPerSecond),
            "maxLiveHoldsPerUser": .int(Int64(configuration.access.liveHoldsPerCallerMax)),
            "openFileLimit": .int(Int64(openFileLimit)),
        ])
    }

    /// Starts the writer (it opens, migrates and rebuilds in the background, so liveness answers at
    /// once and readiness follows), builds the doors and routes, and opens the port.
    private func start(registry: MetricsRegistry) throws -> Parts {
        let options = storageOptions
        let loopOutboxReaders: [any OutboxReader] = (0..<configuration.threadCount).map { _ in
            LazyOutboxReader(path: configuration.databasePath, options: options)
        }
        let outboxReaders = PerLoop(loopOutboxReaders)
        let feed = OutboxFeed(readers: loopOutboxReaders, streamsMax: configuration.outbox.streamsMax,
                              heartbeatMilliseconds: configuration.outbox.heartbeatMilliseconds)
        let outbox = OutboxDelivery(feed: feed)
        let writer = try Writer(configuration: writerConfiguration(registry: registry, outbox: outbox))
        let readiness = Readiness()
        let readers = PerLoop<any InventoryReader>((0..<configuration.threadCount).map { _ in
            LazyInventoryReader(path: configuration.databasePath, options: options)
        })
        var serviceConfiguration = ServiceConfiguration()
        serviceConfiguration.maxQuantity = configuration.quantityMax
        serviceConfiguration.holdPolicy = configuration.holdPolicy
        serviceConfiguration.authentication = configuration.access.authentication
        serviceConfiguration.tokenCacheEntries = configuration.access.tokenCacheEntries
        serviceConfiguration.rateLimit = configuration.access.rateLimit
        let service = ReservationService(configuration: serviceConfiguration, commands: writer, readers: readers,
                                         readiness: readiness, clock: clock) { writer.cursorKey }
        registry.counterFunction(name: "writer_rejected_total", help: "changes refused because the writer queue was full") {
            Double(writer.statistics.rejected)
        }
        registry.gaugeFunction(name: "log_dropped_lines", help: "log lines dropped because the log buffer was full") { [log] in
            Double(log.droppedCount)
        }
        registerAccessMetrics(service: service, registry: registry)
        try watchKeys()
        let rpc = ReservationRPC(service: service, messageBytesMax: configuration.rpcMessageBytesMax)
        let router: Router
        let document = PublishedDocument()
        do {
            var builder = routes(service: service, rpc: rpc, writer: writer, readiness: readiness, registry: registry, outbox: outbox)
            DocsRoutes.register(on: &builder, document: document, assetsURL: configuration.swaggerUIAssetsURL)
            router = try builder.build()
        } catch {
            writer.shutdown()
            throw StartupError(description: "invalid routes: \(error.description)")
        }
        publishDescription(of: router, into: document)
        let observability = HTTPObservability(
            registry: registry, log: configuration.accessLogSampleRate > 0 && log.enabled(.info) ? log : nil,
            accessLogSampleRate: configuration.accessLogSampleRate)
        let server = HTTPServer(router: router, configuration: configuration.http, loopCount: configuration.threadCount,
                                observability: observability)
        let grpc = GRPCServer(rpc: rpc, service: service, extra: grpcExtras(readiness: readiness, limits: rpc.limits), configuration: configuration.grpc,
                              loopCount: configuration.threadCount, registry: registry, clock: clock)
        var loopConfiguration = EventLoopConfiguration()
        // Both ports read through the loop's reader: reset its statements once per wake-up, after
        // the outbox feed served its waiting requests and streams through the loop's outbox reader.
        loopConfiguration.loopWillSleep = { [clock] loop in
            feed.loopWillSleep(loop: loop, nowMs: clock.wallMilliseconds())
            outboxReaders[loop].resetStatements()
            readers[loop].resetStatements()
        }
        loopConfiguration.host = configuration.host
        loopConfiguration.port = configuration.port
        loopConfiguration.threadCount = configuration.threadCount
        loopConfiguration.connectionsMax = configuration.connectionsMax
        let group: EventLoopGroup
        do {
            group = try EventLoopGroup(configuration: loopConfiguration, listeners: [
                ListenerSpec(port: configuration.port, service: server), ListenerSpec(port: configuration.grpcPort, service: grpc),
            ])
        } catch {
            writer.shutdown()
            throw StartupError(description: "cannot listen: \(error.description)")
        }
        feed.setWakers(group.loops.map { loop in { _ = loop.execute { _ in } } })
        try group.start()
        log.always("listening", ["host": .string(configuration.host), "port": .int(Int64(group.ports[0])),
                                 "grpcPort": .int(Int64(group.ports[1]))])
        return Parts(writer: writer, readiness: readiness, group: group, checkpointer: CheckpointerSlot(), outbox: outbox,
                     registry: registry)
    }

    /// Makes the OpenAPI document once, before the port opens; a route without a description, or
    /// a description without a route, is logged (and fails the tests that start the server).
    private func publishDescription(of router: Router, into document: PublishedDocument) {
        let startedNanoseconds = clock.monotonicNanoseconds()
        let description = RESTAPI.describeAPI(router: router, version: "0.2.0")
        document.publish(description)
        for problem in description.problems { log.error("API description incomplete", ["problem": .string(problem)]) }
        log.info("API description built", ["operations": .int(Int64(description.operationCount)), "bytes": .int(Int64(description.bytes.count)),
                                           "buildUs": .int(Int64((clock.monotonicNanoseconds() - startedNanoseconds) / 1_000)),
                                           "swaggerUIAssetsURL": .string(configuration.swaggerUIAssetsURL)])
    }

    private var storageOptions: SQLiteOptions {
        var options = SQLiteOptions()
        options.synchronous = configuration.synchronousFull ? .full : .normal
        return options
    }

    private func writerConfiguration(registry: MetricsRegistry, outbox: OutboxDelivery) -> Writer.Configuration {
        var writer = Writer.Configuration(
            path: configuration.databasePath, options: storageOptions,
            queueCapacity: configuration.writerQueueCapacity, batchLimit: configuration.writerBatchLimit)
        writer.clock = clock
        writer.maxHoldQuantity = configuration.quantityMax
        writer.holdPolicy = configuration.holdPolicy
        writer.idempotencyTTLMilliseconds = configuration.idempotencyTTLMilliseconds
        writer.expiryTickMilliseconds = configuration.expiryTickMilliseconds
        writer.idempotencyEntriesMax = configuration.idempotencyKeysMax
        writer.idempotencyEntriesPerCallerMax = configuration.access.idempotencyKeysPerCallerMax
        writer.liveHoldsPerCallerMax = configuration.access.liveHoldsPerCallerMax
        writer.metrics = registry
        writer.metricsShard = configuration.threadCount
        writer.onOutboxCommitted = { outbox.committed() }
        writer.onInvariantBreach = { [log] message in log.error("INVARIANT BREACH", ["detail": .string(message)]) }
        return writer
    }

    /// The gRPC port's methods besides the reservation service: health (SERVING once ready) and
    /// server reflection, v1 and v1alpha.
    private func grpcExtras(readiness: Readiness, limits: ProtoLimits) -> GRPCExtraMethods {
        let health = HealthService { readiness.isReady }
        let reflection = ReflectionService()
        var extra = GRPCExtraMethods()
        extra.unary[HealthService.checkPath] = { raw in Result { () throws(RPCStatus) in try health.check(message: raw, limits: limits) } }
        extra.unary[HealthService.watchPath] = { _ in .failure(HealthService.watchStatus) }
        extra.perMessage[ReflectionService.infoPath] = { raw in
            Result { () throws(RPCStatus) in try reflection.respond(toMessage: raw, in: GRPCReflectionV1.self, limits: limits) }
        }
        extra.perMessage[ReflectionService.infoPathV1Alpha] = { raw in
            Result { () throws(RPCStatus) in try reflection.respond(toMessage: raw, in: GRPCReflectionV1Alpha.self, limits: limits) }
        }
        return extra
    }

    /// Health, metrics, the REST door and the Connect door.
    private func routes(service: ReservationService, rpc: ReservationRPC, writer: Writer, readiness: Readiness,
                        registry: MetricsRegistry, outbox: OutboxDelivery) -> RouterBuilder {
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
        RESTAPI(service: service, log: log, outbox: OutboxAccess(feed: outbox.feed) { record in outbox.revived(record) })
            .register(on: &routes)
        ConnectDoor(rpc: rpc, service: service, messageBytesMax: configuration.rpcMessageBytesMax, clock: clock)
            .register(on: &routes)
        return routes
    }

    /// Runs on its own thread while the port is already open: waits for the writer's start-up,
    /// starts the checkpointer, loads the demo event, then reports ready.
    private func finishStartup(_ parts: Parts, failure: OneShot<String>) {
        do {
            try parts.writer.waitUntilReady()
            // Automatic checkpoints are off (the writer's COMMIT never pays for one); this thread
            // copies the WAL back into the database with PASSIVE checkpoints and keeps it bounded.
            parts.checkpointer.start(path: configuration.databasePath, options: storageOptions, log: log)
            if configuration.demo { try loadDemo(writer: parts.writer) }
            try startOutboxDelivery(parts)
            parts.readiness.markReady()
            let statistics = parts.writer.statistics
            log.info("ready", [
                "startupMs": .int(Int64((clock.monotonicNanoseconds() - createdAtNanoseconds) / 1_000_000)),
                "expiredAtStartup": .int(Int64(statistics.expiredAtStartup)), "liveHolds": .int(Int64(statistics.liveHolds)),
            ])
        } catch {
            fail(failure, String(describing: error))
        }
    }

    /// Readiness off, stop accepting, let in-flight requests finish within the grace period, then
    /// let the writer commit everything it admitted.
    private func drain(_ parts: Parts, signal: Int32) {
        parts.readiness.markDraining()
        log.info("shutting down", ["signal": .int(Int64(signal)), "graceSeconds": .double(configuration.shutdownGraceSeconds)])
        let clean = parts.group.shutdown(graceSeconds: configuration.shutdownGraceSeconds)
        // The relay's last progress goes through the writer, so it stops first.
        parts.outbox.stop()
        parts.writer.shutdown()
        parts.checkpointer.stop()
        let statistics = parts.writer.statistics
        log.info("stopped", [
            "drainedWithinGrace": .bool(clean), "writerBatches": .int(Int64(statistics.batches)),
            "writerCommands": .int(Int64(statistics.commands)), "meanBatchSize": .double(statistics.meanBatchSize),
            "maxBatchSize": .int(Int64(statistics.maxBatchSize)), "expiredHolds": .int(Int64(statistics.expiredHolds)),
            "expiryLatenessP50Ms": .int(statistics.expiryLateness.percentileMs(0.5)),
            "expiryLatenessP99Ms": .int(statistics.expiryLateness.percentileMs(0.99)),
            "expiryLatenessMaxMs": .int(statistics.expiryLateness.maxMs),
        ])
    }

    /// Starts pushing to the webhook when one is configured, or the retention pruning of the pull
    /// feed when not.
    private func startOutboxDelivery(_ parts: Parts) throws {
        let settings = configuration.outbox
        guard let target = settings.webhook else {
            parts.outbox.start(retention: try OutboxRetentionThread(commands: parts.writer, clock: clock,
                                                                     retentionMilliseconds: settings.retentionMilliseconds))
            return
        }
        var relayConfiguration = WebhookRelay.Configuration(target: target)
        relayConfiguration.connections = settings.connections
        relayConfiguration.responseTimeoutMilliseconds = settings.responseTimeoutMilliseconds
        relayConfiguration.policy = settings.policy
        relayConfiguration.retentionMilliseconds = settings.retentionMilliseconds
        let reader = try SQLiteOutboxReader(path: configuration.databasePath, options: storageOptions)
        let relay = WebhookRelay(configuration: relayConfiguration, reader: reader, commands: parts.writer, clock: clock,
                                 metrics: parts.registry, metricsShard: configuration.threadCount + 1, log: log)
        try relay.start()
        parts.outbox.start(relay: relay)
        log.info("outbox webhook", ["url": .string(target.description), "connections": .int(Int64(settings.connections)),
                                    "maxAttempts": .int(Int64(settings.policy.maxAttempts))])
    }

    /// Creates `evt_2025_1001` (sections A–E, 100 seats each, 10000 KRW) unless it exists.
    private func loadDemo(writer: Writer) throws {
        let reader = try SQLiteInventoryReader(path: configuration.databasePath, options: storageOptions)
        if try reader.event(DemoEvent.id) != nil { return }
        // The reply's code is the outcome's error code, empty for success; it arrives once committed.
        let done = OneShot<Reply>()
        let command = WriteCommand(operation: .createEvent(DemoEvent.spec), render: { outcome in
            Reply(code: 0, body: Array((outcome.error?.code ?? "").utf8))
        }, completion: { delivery in
            done.fulfil(delivery.reply)
        })
        guard writer.submit(command) else { throw StartupError(description: "the writer refused the demo event") }
        let code = String(decoding: done.wait().body, as: UTF8.self)
        guard code.isEmpty || code == DomainError.eventAlreadyExists.code else {
            throw StartupError(description: "creating the demo event failed: \(code)")
        }
        log.info("demo event loaded", ["eventId": .string(DemoEvent.id)])
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

/// The event `--demo` loads (README, "Start here").
enum DemoEvent {
    static let id = "evt_2025_1001"
    static let spec = NewEvent(
        eventID: id, name: "Traffic Tacos demo concert", currency: "KRW",
        sections: ["A", "B", "C", "D", "E"].map { SectionSpec(name: $0, seatCount: 100, priceMinor: 10_000) })
}

struct StartupError: Error, CustomStringConvertible {
    let description: String
}
