import Foundation
import TestSupport
import Glibc
import Testing

@Suite struct ProcessTests {
    @Test func help_listsEveryFlagAndExitsZero() throws {
        let server = try ServerProcess(arguments: ["--help"])
        #expect(server.waitForExit() == 0)
        for flag in ["--host", "--port", "--threads", "--max-connections", "--shutdown-grace-seconds", "--log-level", "--request-line-bytes-max", "--body-bytes-max"] {
            #expect(server.log.contains(flag), "missing \(flag)")
        }
    }

    @Test(arguments: [["--bogus"], ["--port", "70000"], ["--port"], ["--threads", "zero"], ["--log-level", "loud"]])
    func badFlag_exitsTwoWithAMessage(arguments: [String]) throws {
        let server = try ServerProcess(arguments: arguments)
        #expect(server.waitForExit() == 2)
        #expect(server.log.contains("reservation-server:"))
    }

    @Test func badEnvironmentValue_exitsTwo() throws {
        let server = try ServerProcess(arguments: [], environment: ["SERVER_PORT": "eighty"])
        #expect(server.waitForExit() == 2)
        #expect(server.log.contains("SERVER_PORT"))
    }

    @Test func portZero_logsTheRealPortAndServesHealth() throws {
        let server = try ServerProcess(arguments: ["--port", "0", "--host", "127.0.0.1"])
        let port = try server.waitUntilListening()
        #expect(port > 0)
        let client = try TestClient(port: port)
        try client.send("GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.bodyText == #"{"status":"UP"}"#)
        server.signal(SIGTERM)
        #expect(server.waitForExit() == 0)
    }

    @Test func flag_winsOverItsEnvironmentTwin() throws {
        let server = try ServerProcess(arguments: ["--port", "0", "--host", "127.0.0.1"], environment: ["SERVER_PORT": "1"])
        #expect(try server.waitUntilListening() > 1)
        server.signal(SIGINT)
        #expect(server.waitForExit() == 0)
    }

    @Test func sigterm_letsTheRequestInFlightFinishThenExitsZero() throws {
        let server = try ServerProcess(arguments: ["--port", "0", "--host", "127.0.0.1", "--shutdown-grace-seconds", "10"])
        let port = try server.waitUntilListening()
        let idle = try TestClient(port: port)
        let busy = try TestClient(port: port)
        // The head and half the body are in; the request is in flight when the signal lands.
        try busy.send("GET /health HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\nab")
        usleep(100_000)
        server.signal(SIGTERM)
        usleep(200_000)
        #expect(server.process.isRunning, "the server must wait for the request in flight")
        #expect(idle.isClosedByPeer(), "idle connections close at once")
        try busy.send("cd")
        let response = try busy.readResponse()
        #expect(response.status == 200)
        #expect(response.header("connection") == "close")
        #expect(server.waitForExit() == 0)
        #expect(server.log.contains(#""msg":"stopped""#))
        // New connections are refused once draining began.
        #expect(throws: (any Error).self) { try TestClient(port: port) }
    }
}
