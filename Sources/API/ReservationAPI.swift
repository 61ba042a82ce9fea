import HTTPServer
import Logging
import Reservations

/// Settings of the REST API, with units in the names.
public struct APIConfiguration: Sendable {
    public var quantityMax = 10
    public var holdMilliseconds: Int64 = 60_000

    public init() {}
}

/// The REST API: registers the `/v1/**` routes and connects them to the writer (for changes) and to
/// each loop's read-only inventory reader (for point lookups).
public final class ReservationAPI: Sendable {
    let configuration: APIConfiguration
    let commands: any CommandSink
    let readers: PerLoop<any InventoryReader>
    let readiness: Readiness
    let log: Log

    /// - Parameter readers: one reader per event loop, used only on that loop's thread.
    public init(configuration: APIConfiguration, commands: any CommandSink, readers: PerLoop<any InventoryReader>,
                readiness: Readiness, log: Log) {
        self.configuration = configuration
        self.commands = commands
        self.readers = readers
        self.readiness = readiness
        self.log = log
    }

    public func register(on router: inout RouterBuilder) {
        EventRoutes(api: self).register(on: &router)
        ReservationRoutes(api: self).register(on: &router)
    }

    /// The inventory reader of the calling loop.
    func inventory(_ loopIndex: Int) -> any InventoryReader { readers[loopIndex] }

    /// Runs `body` once the server is ready; until then (and while draining) answers 503.
    func guarded(_ context: inout RequestContext, _ body: (inout RequestContext) -> HandlerResult) -> HandlerResult {
        guard readiness.isReady else {
            return .respond(Responses.unavailable(&context, readiness.isDraining ? "the server is shutting down" : "the server is starting"))
        }
        return body(&context)
    }

    /// Sends a change to the writer and answers when it has committed. A full writer queue answers
    /// 503 with `Retry-After` at once.
    func submit(_ context: inout RequestContext, _ operation: WriteOperation, idempotency: IdempotencyClaim? = nil,
                render: @escaping @Sendable (WriteOutcome) -> RenderedResponse) -> HandlerResult {
        guard let promise = context.deferResponse() else {
            return .respond(Responses.unavailable(&context, "too many requests in flight; retry shortly"))
        }
        let command = WriteCommand(operation: operation, idempotency: idempotency, render: render) { rendered in
            promise.complete(rendered.httpResponse)
        }
        if !commands.submit(command) {
            promise.complete(Responses.unavailable(&context, "the write queue is full; retry shortly"))
        }
        return .deferred
    }

    func logInternal(_ context: inout RequestContext, _ error: any Error) {
        log.error("request failed", ["route": .string(context.route.template), "traceId": .string(context.traceID().description),
                                     "error": .string(String(describing: error))])
    }
}
