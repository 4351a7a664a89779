import Fleet
import JSON

/// A bot configuration as `POST /api/v1/bots` and `PATCH /api/v1/bots/{name}` accept it: the body's
/// JSON object, checked by Fleet's `BotConfigValidator` (the same checks `botvisorctl bot add` and
/// `bot set` go through), with its failures as 422 `VALIDATION_FAILED` listing every failing field.
package struct BotConfigInput {
    /// The JSON object, field by field; absent fields keep their value on update.
    package var fields: [String: JSON]

    package static var knownFields: Set<String> { BotConfigValidator.knownFields }
    package static var builtInCommands: Set<String> { BotConfigValidator.builtInCommands }
    package static var maximumCustomCommands: Int { BotConfigValidator.maximumCustomCommands }

    package static func parse(_ body: [UInt8]) throws(APIError) -> BotConfigInput {
        guard let json = try? JSON.parse(body), let object = json.object else {
            throw APIError(.badRequest, .invalidJSON, "the body must be a JSON object")
        }
        return BotConfigInput(fields: object)
    }

    /// Applies the fields to `base` (the defaults on create, the stored bot on update) and returns the
    /// result, or every failing field.
    package func apply(to base: BotDefinition, creating: Bool) throws(APIError) -> BotDefinition {
        do {
            return try BotConfigValidator(fields: fields).apply(to: base, creating: creating)
        } catch {
            throw APIError.validation(error.fields.map { APIError.Field($0.field, $0.message) })
        }
    }

    package static func isSnowflake(_ s: String) -> Bool { BotConfigValidator.isSnowflake(s) }

    package init(fields: [String: JSON]) {
        self.fields = fields
    }
}
