import RewardStores

/// The confirm step: the change spelled out (from, to, why, who, based on which version), and a
/// form that applies exactly it. Nothing is written until that form is posted.
struct SwitchConfirmPage {
    let change: SwitchChange
    let state: ControlState
    let session: OperatorSession

    var html: HTML {
        let hidden = HTML(joining: change.fields.map { "<input type=\"hidden\" name=\"\($0.name)\" value=\"\($0.value)\">" })
        let stale: HTML = state.version == change.basedOnVersion ? ""
            : "<p class=\"warn\">the controls changed since you looked (version \(change.basedOnVersion), now \(state.version)): applying will be refused; go back and look again</p>"
        let body: HTML = """
            <section class="wide"><h2>Confirm a control change</h2>\(stale)<table>
            <tr><th>control</th><td data-figure="confirm-key">\(change.key.description)</td></tr>
            <tr><th>now</th><td>\(change.key.format(state.value(change.key)))</td></tr>
            <tr><th>becomes</th><td data-figure="confirm-value">\(change.key.format(change.value ?? change.key.defaultValue))</td></tr>
            <tr><th>reason</th><td>\(change.reason)</td></tr><tr><th>recorded as</th><td>\(session.operatorName)</td></tr>
            </table>
            <form method="post" action="/controls/apply">\(hidden)<input type="hidden" name="csrf" value="\(session.csrfToken)">
            <button type="submit" data-action="confirm">Confirm and apply</button> <a href="/#switches">Cancel</a></form></section>
            """
        return PageLayout.page(title: "Confirm · Reward console", operatorBar: PageLayout.operatorBar(session), body)
    }
}
