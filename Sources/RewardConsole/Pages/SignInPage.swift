/// The sign-in form: operator name and token, and the sign-in CSRF token (double-submitted: the
/// same random value in a cookie and in the form, which another site can neither read nor set).
struct SignInPage {
    let csrfToken: String
    var message: String?

    var html: HTML {
        let notice: HTML = message.map { "<p class=\"bad\" data-figure=\"signin-message\">\($0)</p>" } ?? ""
        return PageLayout.page(title: "Sign in · Reward console", """
            <form class="signin" method="post" action="/signin"><h2>Operator sign-in</h2>\(notice)
            <label>Name <input name="operator" autocomplete="username" required maxlength="64"></label>
            <label>Token <input name="token" type="password" autocomplete="current-password" required maxlength="512"></label>
            <input type="hidden" name="csrf" value="\(csrfToken)"><button type="submit">Sign in</button></form>
            """)
    }
}
