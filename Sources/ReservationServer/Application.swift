import API
import CLinux
import EventLoop
import Glibc
import HTTPServer
import Logging

/// Wires the layers together, runs until SIGTERM/SIGINT, then drains and returns the exit status.
final class Application {
    let configuration: Configuration
    let log: Log

    init(configuration: Configuration) {
        self.configuration = configuration
        self.log = Log(level: configuration.logLevel)
    }

    func run() -> Int32 {
        let openFileLimit = Socket.raiseOpenFileLimit()
        log.info("starting", [
            "version": "0.1.0",
            "host": .string(configuration.host),
            "port": .int(Int64(configuration.port)),
            "threads": .int(Int64(configuration.threadCount)),
            "maxConnections": .int(Int64(configuration.connectionsMax)),
            "openFileLimit": .int(Int64(openFileLimit)),
        ])

        var routes = RouterBuilder()
        HealthRoutes.register(on: &routes)
        let router: Router
        do {
            router = try routes.build()
        } catch {
            log.error("invalid routes", ["error": .string(error.description)])
            log.flushAndStop()
            return 1
        }

        let server = HTTPServer(router: router, configuration: configuration.http, loopCount: configuration.threadCount)
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
            log.flushAndStop()
            return 1
        }
        let signals = clinux_signalfd_term_int()
        guard signals >= 0 else {
            log.error("cannot create signalfd", ["errno": .int(Int64(errno))])
            log.flushAndStop()
            return 1
        }
        group.start()
        log.info("listening", ["host": .string(configuration.host), "port": .int(Int64(group.port))])

        let signal = waitForSignal(signals)
        log.info("shutting down", ["signal": .int(Int64(signal)), "graceSeconds": .double(configuration.shutdownGraceSeconds)])
        let clean = group.shutdown(graceSeconds: configuration.shutdownGraceSeconds)
        log.info("stopped", ["drainedWithinGrace": .bool(clean)])
        log.flushAndStop()
        return 0
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
