import JSON

/// JSON Schema (2020-12, the dialect of OpenAPI 3.1) as `JSONValue`s, written compactly. Only the
/// keywords this server's descriptions use.
public enum Schema {
    /// A reference to `#/components/schemas/<name>`.
    public static func ref(_ name: String) -> JSONValue {
        ["$ref": .string("#/components/schemas/\(name)")]
    }

    public static func string(_ description: String? = nil, minLength: Int? = nil, maxLength: Int? = nil,
                              pattern: String? = nil, format: String? = nil, values: [String]? = nil) -> JSONValue {
        var schema = JSONObject()
        schema["type"] = "string"
        if let description { schema["description"] = .string(description) }
        if let values { schema["enum"] = .array(values.map(JSONValue.string)) }
        if let format { schema["format"] = .string(format) }
        if let minLength { schema["minLength"] = .int(Int64(minLength)) }
        if let maxLength { schema["maxLength"] = .int(Int64(maxLength)) }
        if let pattern { schema["pattern"] = .string(pattern) }
        return .object(schema)
    }

    public static func integer(_ description: String? = nil, minimum: Int64? = nil, maximum: Int64? = nil,
                               format: String = "int64") -> JSONValue {
        var schema = JSONObject()
        schema["type"] = "integer"
        schema["format"] = .string(format)
        if let description { schema["description"] = .string(description) }
        if let minimum { schema["minimum"] = .int(minimum) }
        if let maximum { schema["maximum"] = .int(maximum) }
        return .object(schema)
    }

    public static func boolean(_ description: String? = nil) -> JSONValue {
        var schema = JSONObject()
        schema["type"] = "boolean"
        if let description { schema["description"] = .string(description) }
        return .object(schema)
    }

    public static func array(_ items: JSONValue, _ description: String? = nil, minItems: Int? = nil, maxItems: Int? = nil,
                             uniqueItems: Bool = false) -> JSONValue {
        var schema = JSONObject()
        schema["type"] = "array"
        if let description { schema["description"] = .string(description) }
        schema["items"] = items
        if let minItems { schema["minItems"] = .int(Int64(minItems)) }
        if let maxItems { schema["maxItems"] = .int(Int64(maxItems)) }
        if uniqueItems { schema["uniqueItems"] = true }
        return .object(schema)
    }

    /// An object with `properties` in this order; `closed` refuses properties not listed.
    public static func object(_ properties: KeyValuePairs<String, JSONValue>, required: [String] = [],
                              _ description: String? = nil, closed: Bool = false) -> JSONValue {
        object(properties.map { ($0.key, $0.value) }, required: required, description, closed: closed)
    }

    /// An object with `properties` in this order (a list, so that shared runs of properties can be joined).
    public static func object(_ properties: [(String, JSONValue)], required: [String] = [],
                              _ description: String? = nil, closed: Bool = false) -> JSONValue {
        var schema = JSONObject()
        schema["type"] = "object"
        if let description { schema["description"] = .string(description) }
        var members = JSONObject()
        for (name, property) in properties { members[name] = property }
        schema["properties"] = .object(members)
        if !required.isEmpty { schema["required"] = .array(required.map(JSONValue.string)) }
        if closed { schema["additionalProperties"] = false }
        return .object(schema)
    }

    /// An object whose every property value has the schema `values` (a map).
    public static func map(_ values: JSONValue, _ description: String? = nil) -> JSONValue {
        var schema = JSONObject()
        schema["type"] = "object"
        if let description { schema["description"] = .string(description) }
        schema["additionalProperties"] = values
        return .object(schema)
    }

    /// `schema` or `null`.
    public static func nullable(_ schema: JSONValue) -> JSONValue {
        ["anyOf": [schema, ["type": "null"]]]
    }

    /// Every one of `schemas` at once (e.g. a shared shape narrowed for one response).
    public static func allOf(_ schemas: [JSONValue]) -> JSONValue {
        ["allOf": .array(schemas)]
    }
}
