import HTTPServer
import JSON

/// One operation of the API description (OpenAPI 3.1 Operation Object), given beside the route it
/// describes with `RouterBuilder.describe`.
public struct OperationDescription: RouteDescription {
    public var operationID: String
    public var summary: String
    /// Longer text (CommonMark), when the summary is not enough.
    public var details: String?
    public var tags: [String]
    /// Parameter Objects, or references to `#/components/parameters`.
    public var parameters: [JSONValue]
    /// A Request Body Object.
    public var requestBody: JSONValue?
    /// Response Objects by status code (`"200"`, `"4XX"`), in the order they are listed.
    public var responses: [(status: String, response: JSONValue)]
    /// Security Requirement Objects; nil leaves the document's default in force.
    public var security: [JSONValue]?

    public init(operationID: String, summary: String, details: String? = nil, tags: [String], parameters: [JSONValue] = [],
                requestBody: JSONValue? = nil, responses: [(status: String, response: JSONValue)], security: [JSONValue]? = nil) {
        self.operationID = operationID
        self.summary = summary
        self.details = details
        self.tags = tags
        self.parameters = parameters
        self.requestBody = requestBody
        self.responses = responses
        self.security = security
    }

    /// Adds `response` for `status`, or merges it into the one already listed: the descriptions are
    /// joined and the schemas become alternatives (`oneOf` is wrong when they overlap, so `anyOf`).
    public mutating func add(_ status: String, _ response: JSONValue) {
        guard let index = responses.firstIndex(where: { $0.status == status }) else {
            responses.append((status, response))
            return
        }
        responses[index].response = Self.merge(responses[index].response, response)
    }

    private static func merge(_ first: JSONValue, _ second: JSONValue) -> JSONValue {
        guard case .object(var merged) = first, case .object(let other) = second else { return first }
        let texts = [first["description"]?.stringValue, second["description"]?.stringValue].compactMap { $0 }
        merged["description"] = .string(texts.joined(separator: "; "))
        if case .object(let otherHeaders)? = other["headers"] {
            var headers = merged["headers"]?.objectValue ?? JSONObject()
            for (name, header) in otherHeaders.members where headers[name] == nil { headers[name] = header }
            merged["headers"] = .object(headers)
        }
        if let mine = first["content"]?["application/json"], let theirs = other["content"]?["application/json"],
            let schema = mine["schema"], let otherSchema = theirs["schema"]
        {
            var media = mine.objectValue ?? JSONObject()
            var alternatives: [JSONValue] = schema["anyOf"]?.arrayValue ?? [schema]
            alternatives.append(otherSchema)
            media["schema"] = ["anyOf": .array(alternatives)]
            merged["content"] = ["application/json": .object(media)]
        } else if merged["content"] == nil, let content = other["content"] {
            merged["content"] = content
        }
        return .object(merged)
    }

    var json: JSONValue {
        var operation = JSONObject()
        operation["tags"] = .array(tags.map(JSONValue.string))
        operation["summary"] = .string(summary)
        if let details { operation["description"] = .string(details) }
        operation["operationId"] = .string(operationID)
        if !parameters.isEmpty { operation["parameters"] = .array(parameters) }
        if let requestBody { operation["requestBody"] = requestBody }
        var byStatus = JSONObject()
        for (status, response) in responses { byStatus[status] = response }
        operation["responses"] = .object(byStatus)
        if let security { operation["security"] = .array(security) }
        return .object(operation)
    }
}

/// Parameter Objects (OpenAPI 3.1 §4.8.12).
public enum Parameter {
    public static func path(_ name: String, _ schema: JSONValue, _ description: String, example: JSONValue? = nil) -> JSONValue {
        make(name, in: "path", required: true, schema, description, example: example)
    }

    public static func query(_ name: String, _ schema: JSONValue, _ description: String, example: JSONValue? = nil) -> JSONValue {
        make(name, in: "query", required: false, schema, description, example: example)
    }

    public static func header(_ name: String, _ schema: JSONValue, _ description: String, required: Bool = false,
                              example: JSONValue? = nil) -> JSONValue {
        make(name, in: "header", required: required, schema, description, example: example)
    }

    /// A reference to `#/components/parameters/<name>`.
    public static func ref(_ name: String) -> JSONValue {
        ["$ref": .string("#/components/parameters/\(name)")]
    }

    private static func make(_ name: String, in location: String, required: Bool, _ schema: JSONValue, _ description: String,
                             example: JSONValue?) -> JSONValue {
        var parameter = JSONObject()
        parameter["name"] = .string(name)
        parameter["in"] = .string(location)
        parameter["description"] = .string(description)
        parameter["required"] = .bool(required)
        parameter["schema"] = schema
        if let example { parameter["example"] = example }
        return .object(parameter)
    }
}

/// Response, Header and Request Body Objects.
public enum Response {
    /// A response with a body of `mediaType` (`schema`, and an example when given) and `headers`
    /// (name → Header Object, or a reference to one).
    public static func body(_ description: String, mediaType: String = "application/json", _ schema: JSONValue,
                            example: JSONValue? = nil, headers: KeyValuePairs<String, JSONValue> = [:]) -> JSONValue {
        var media = JSONObject()
        media["schema"] = schema
        if let example { media["example"] = example }
        guard case .object(var response) = empty(description, headers: headers) else { return .null }
        response["content"] = .object(JSONObject([(mediaType, .object(media))]))
        return .object(response)
    }

    /// A response without a body.
    public static func empty(_ description: String, headers: KeyValuePairs<String, JSONValue> = [:]) -> JSONValue {
        var response = JSONObject()
        response["description"] = .string(description)
        if !headers.isEmpty {
            var fields = JSONObject()
            for (name, header) in headers { fields[name] = header }
            response["headers"] = .object(fields)
        }
        return .object(response)
    }

    /// A Header Object.
    public static func header(_ schema: JSONValue, _ description: String, required: Bool = false) -> JSONValue {
        ["description": .string(description), "required": .bool(required), "schema": schema]
    }

    /// A reference to `#/components/headers/<name>`.
    public static func headerRef(_ name: String) -> JSONValue {
        ["$ref": .string("#/components/headers/\(name)")]
    }

    /// A JSON request body.
    public static func requestBody(_ schema: JSONValue, required: Bool, example: JSONValue? = nil, _ description: String? = nil) -> JSONValue {
        var media = JSONObject()
        media["schema"] = schema
        if let example { media["example"] = example }
        var body = JSONObject()
        if let description { body["description"] = .string(description) }
        body["required"] = .bool(required)
        body["content"] = ["application/json": .object(media)]
        return .object(body)
    }
}
