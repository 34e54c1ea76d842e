import RewardStores

/// A change of one control as an operator's form asks for it, checked by the control key's own
/// rules before anything is shown or written: the key, the value (`default` resets it), the
/// reason, and the version the operator was looking at.
struct SwitchChange: Sendable {
    var key: ControlKey
    /// `nil`: back to the default.
    var value: Int64?
    var reason: String
    var basedOnVersion: Int64

    /// - Throws: ``ConsoleRefusal`` (400) naming what is wrong, before anything is written.
    init(form: FormBody) throws(ConsoleRefusal) {
        do throws(ControlError) {
            key = try ControlKey(parsing: (form["key"] ?? "").trimmingCharacters(in: .whitespaces))
            let valueText = (form["value"] ?? "").trimmingCharacters(in: .whitespaces)
            value = valueText == "default" ? nil : try key.parseValue(valueText)
        } catch {
            throw ConsoleRefusal(.badRequest, error.message)
        }
        reason = (form["reason"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard reason.count >= 3 else { throw ConsoleRefusal(.badRequest, "say why (3-500 characters): the reason is kept in the history") }
        guard let version = form["version"].flatMap({ Int64($0) }), version >= 0 else {
            throw ConsoleRefusal(.badRequest, "the form has no control version; reload the page")
        }
        basedOnVersion = version
    }

    /// The form fields that carry this change to the confirm step.
    var fields: [(name: String, value: String)] {
        [("key", key.description), ("value", value.map { key.isSwitch ? ($0 == 0 ? "off" : "on") : "\($0)" } ?? "default"),
         ("reason", reason), ("version", "\(basedOnVersion)")]
    }
}
