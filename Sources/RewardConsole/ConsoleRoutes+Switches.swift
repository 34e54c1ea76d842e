import Hummingbird
import RewardStores

/// Changing a control: a preview that shows the change and asks to confirm, then the apply,
/// recorded in the control store under the signed-in operator's name. Both are POSTs with the
/// session's CSRF token; the apply is refused when any control changed since the operator looked.
extension ConsoleRoutes {
    func previewSwitch(_ request: Request) async throws -> Response {
        let (session, form) = try await authorizedForm(request)
        let change = try SwitchChange(form: form)
        let state = try await ControlStore(pool: sources.pool).state()
        return ConsoleResponse.html(SwitchConfirmPage(change: change, state: state, session: session).html)
    }

    func applySwitch(_ request: Request) async throws -> Response {
        let (session, form) = try await authorizedForm(request)
        let change = try SwitchChange(form: form)
        let recorded: ControlChange
        do {
            recorded = try await ControlStore(pool: sources.pool).set(change.key, to: change.value, by: session.operatorName,
                                                                      reason: change.reason, expectedVersion: change.basedOnVersion)
        } catch let error as ControlError {
            throw ConsoleRefusal(error.code == .conflict ? .conflict : .badRequest, error.message)
        }
        logger.notice("control changed", metadata: [
            "operator": "\(session.operatorName)", "control": "\(change.key)", "value": "\(change.key.format(change.value))",
            "version": "\(recorded.version)",
        ])
        return ConsoleResponse.redirect(to: "/?applied=\(recorded.version)#switches")
    }
}
