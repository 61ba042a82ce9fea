import Crypto
import HTTPServer
import JSON

/// The parts of the document that operations refer to (`#/components/...`), contributed by each
/// module that describes routes.
public struct Components: Sendable {
    public var schemas = JSONObject()
    public var parameters = JSONObject()
    public var headers = JSONObject()
    public var securitySchemes = JSONObject()

    public init() {}

    /// Adds `other`'s entries; an entry of the same name is replaced.
    public mutating func merge(_ other: Components) {
        for (name, value) in other.schemas.members { schemas[name] = value }
        for (name, value) in other.parameters.members { parameters[name] = value }
        for (name, value) in other.headers.members { headers[name] = value }
        for (name, value) in other.securitySchemes.members { securitySchemes[name] = value }
    }

    var json: JSONValue {
        var object = JSONObject()
        if !schemas.isEmpty { object["schemas"] = .object(schemas) }
        if !parameters.isEmpty { object["parameters"] = .object(parameters) }
        if !headers.isEmpty { object["headers"] = .object(headers) }
        if !securitySchemes.isEmpty { object["securitySchemes"] = .object(securitySchemes) }
        return .object(object)
    }
}

/// What the document says about the API as a whole (Info, Server and Tag Objects).
public struct DocumentInfo: Sendable {
    public var title: String
    public var version: String
    public var summary: String
    /// CommonMark.
    public var details: String
    /// Server URLs; relative ones resolve against where the document was fetched.
    public var serverURLs: [String] = ["/"]
    /// Tag names and what each groups, in display order.
    public var tags: [(name: String, description: String)] = []

    public init(title: String, version: String, summary: String, details: String) {
        self.title = title
        self.version = version
        self.summary = summary
        self.details = details
    }
}

/// The OpenAPI 3.1 document of a router's routes, made once from the descriptions given beside them.
public struct APIDocument: Sendable {
    /// The document as sent: UTF-8 JSON.
    public let bytes: [UInt8]
    /// A strong entity tag for `bytes` (RFC 9110 §8.8.3), quotes included.
    public let entityTag: String
    /// Described operations.
    public let operationCount: Int
    /// Routes without a description and descriptions of routes that do not exist; empty when the
    /// document is complete.
    public let problems: [String]

    public init(router: Router, info: DocumentInfo, components: Components) {
        var problems: [String] = []
        var described = Set<String>()
        var paths = JSONObject()
        var count = 0
        let routes = Set(router.routes.map { "\($0.method) \($0.template)" })
        for entry in router.descriptions {
            let name = "\(entry.method) \(entry.template)"
            guard described.insert(name).inserted else {
                problems.append("\(name) is described twice")
                continue
            }
            guard routes.contains(name) else {
                problems.append("\(name) is described but no such route exists")
                continue
            }
            guard let operation = entry.description as? OperationDescription else { continue }
            var item = paths[entry.template]?.objectValue ?? JSONObject()
            item[entry.method.description.lowercased()] = operation.json
            paths[entry.template] = .object(item)
            count += 1
        }
        for route in router.routes where !described.contains("\(route.method) \(route.template)") {
            problems.append("\(route.method) \(route.template) has no description")
        }

        var document = JSONObject()
        document["openapi"] = "3.1.0"
        document["info"] = [
            "title": .string(info.title), "summary": .string(info.summary), "description": .string(info.details),
            "version": .string(info.version),
        ]
        document["servers"] = .array(info.serverURLs.map { ["url": .string($0)] })
        if !info.tags.isEmpty {
            document["tags"] = .array(info.tags.map { ["name": .string($0.name), "description": .string($0.description)] })
        }
        document["paths"] = .object(paths)
        document["components"] = components.json
        var writer = JSONWriter(reservingCapacity: 64 * 1024)
        writer.value(.object(document))
        bytes = writer.bytes
        entityTag = "\"" + hexString(Array(SHA256.hash(bytes).prefix(16))) + "\""
        operationCount = count
        self.problems = problems
    }
}
