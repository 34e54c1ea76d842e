import RewardCore
import RewardOps
import RewardStores

/// The live controls (control store): each switch and fleet rate in force, a form per control
/// (value and a required reason; the next page shows the change and asks to confirm), and the
/// recent history with who changed what and why.
struct SwitchesPanel {
    let state: ControlState
    let history: [ControlChange]
    /// Keys worth a row even without an override: every reward type, every limited rate bucket.
    let keys: [ControlKey]
    let session: OperatorSession
    /// The version a change just recorded (after a redirect), shown as a banner.
    var applied: Int64?

    var html: HTML {
        let rows = (Set(keys).union(state.settings.keys)).sorted().map(row)
        let changes = history.map { change -> HTML in
            let key = (try? ControlKey(parsing: change.key))
            let old = key?.format(change.oldValue) ?? change.oldValue.map(String.init) ?? "default"
            let new = key?.format(change.newValue) ?? change.newValue.map(String.init) ?? "default"
            let moved = "\(old) → \(new)"
            return .row([
                PageLayout.figure("control-history-version", "\(change.version)", "\(change.version)"),
                .cell(Formatting.timestamp(change.changedAt)),
                "<td data-figure=\"control-history-by\" data-key=\"\(change.version)\">\(change.changedBy)</td>",
                .cell(change.key), .cell(moved), .cell(change.reason),
            ])
        }
        let banner: HTML = applied.map { "<p class=\"ok\" data-figure=\"control-applied\">change recorded as version \($0)</p>" } ?? ""
        let unreadable: HTML = state.unreadable.isEmpty ? ""
            : "<p class=\"bad\">rows the store could not read (ignored): \(state.unreadable.joined(separator: "; "))</p>"
        return """
            \(banner)<p>controls at version <b data-figure="control-version" data-key="store">\(state.version)</b>; \
            daemons apply a change within 2 s. A change asks for a reason, shows itself, and is recorded under your name.</p>
            \(unreadable)\(PageLayout.table(["control", "in force", "set by", "change"], rows, empty: "no controls"))
            <details><summary>Another control (activity:&lt;id&gt;, type:&lt;id&gt;, rate:&lt;bucket&gt;)</summary>\(form(key: nil))</details>
            <h3>Recent changes</h3>
            \(PageLayout.table(["version", "at", "by", "control", "change", "reason"], changes, empty: "no change recorded yet"))
            """
    }

    private func row(_ key: ControlKey) -> HTML {
        let setting = state.settings[key]
        let setBy = setting.map { "\($0.changedBy), \(Formatting.timestamp($0.changedAt)): \($0.reason)" } ?? "default"
        return .row([.cell(key.description), PageLayout.figure("control", key.description, key.format(state.value(key)), "value"),
                     .cell(setBy), .cell(form(key: key))])
    }

    /// A form for one control, or (`nil`) for a control named in the form.
    private func form(key: ControlKey?) -> HTML {
        let keyField: HTML = key.map { "<input type=\"hidden\" name=\"key\" value=\"\($0.description)\">" }
            ?? "<input name=\"key\" required maxlength=\"80\" placeholder=\"activity:fest-2027\" aria-label=\"control\">"
        let valueField: HTML = if let key, key.isSwitch {
            // The change an operator most likely wants comes first: the opposite of what is in force.
            state.isOn(key)
                ? "<select name=\"value\" aria-label=\"value\"><option>off</option><option>on</option><option>default</option></select>"
                : "<select name=\"value\" aria-label=\"value\"><option>on</option><option>off</option><option>default</option></select>"
        } else {
            "<input name=\"value\" required maxlength=\"12\" size=\"9\" placeholder=\"on/off or n/s\" aria-label=\"value\">"
        }
        let name = key?.description ?? "other"
        return """
            <form class="inline" method="post" action="/controls/preview" data-control="\(name)">\(keyField)\(valueField)
            <input name="reason" required minlength="3" maxlength="500" placeholder="reason" aria-label="reason">
            <input type="hidden" name="version" value="\(state.version)"><input type="hidden" name="csrf" value="\(session.csrfToken)">
            <button type="submit">Preview</button></form>
            """
    }
}
