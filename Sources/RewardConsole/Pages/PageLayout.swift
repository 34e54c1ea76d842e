/// The frame of every page: head, style (no script, no remote resource) and the operator's bar.
enum PageLayout {
    static func page(title: String, operatorBar: HTML = "", _ body: HTML) -> HTML {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(title)</title><style>\(style)</style></head>
        <body><header><h1><a href="/">Reward console</a></h1>\(operatorBar)</header><main>\(body)</main></body></html>
        """
    }

    /// Who is signed in, and the sign-out form (a POST, so it carries the CSRF token too).
    static func operatorBar(_ session: OperatorSession) -> HTML {
        """
        <form class="who" method="post" action="/signout"><span>signed in as <b data-figure="operator">\(session.operatorName)</b></span>
        <input type="hidden" name="csrf" value="\(session.csrfToken)"><button type="submit">Sign out</button></form>
        """
    }

    /// A panel with a heading; `failure` replaces its body when its source could not be read.
    static func panel<T>(_ id: String, _ title: String, _ figure: Figure<T>, wide: Bool = false, _ body: (T) -> HTML) -> HTML {
        let content: HTML = switch figure {
        case .success(let value): body(value)
        case .failure(let failure): "<p class=\"bad\" data-figure=\"unavailable\">unavailable: \(failure.message)</p>"
        }
        return "<section id=\"\(id)\"\(wide ? HTML(" class=\"wide\"") : HTML(""))><h2>\(title)</h2>\(content)</section>"
    }

    /// A table; `rows` are `<tr>` elements, and an empty table says so.
    static func table(_ headers: [String], _ rows: [HTML], empty: String) -> HTML {
        guard !rows.isEmpty else { return "<p class=\"quiet\">\(empty)</p>" }
        let head = HTML(joining: headers.map { "<th>\($0)</th>" })
        return "<table><thead><tr>\(head)</tr></thead><tbody>\(rows)</tbody></table>"
    }

    /// A cell the browser test reads: `data-figure` names the figure and `data-key` its row.
    static func figure(_ name: String, _ key: String, _ text: String, _ classes: String = "num") -> HTML {
        "<td class=\"\(classes)\" data-figure=\"\(name)\" data-key=\"\(key)\">\(text)</td>"
    }

    private static let style: HTML = """
        body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d2329;background:#f4f5f7}
        header{display:flex;justify-content:space-between;align-items:center;background:#1d2329;color:#fff;padding:8px 16px}
        header h1{font-size:18px;margin:0}header a{color:#fff;text-decoration:none}
        main{padding:12px 16px;display:grid;grid-template-columns:repeat(auto-fit,minmax(540px,1fr));gap:12px}
        section{background:#fff;border:1px solid #d8dce1;border-radius:6px;padding:8px 12px;overflow-x:auto}
        section.wide{grid-column:1/-1}h2{font-size:15px;margin:4px 0 8px}
        table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:3px 8px;border-bottom:1px solid #eceef1;vertical-align:top}
        th{font-weight:600;color:#4a525b;background:#fafbfc}td.num{text-align:right;font-variant-numeric:tabular-nums}
        .bad{color:#b3261e;font-weight:600}.warn{color:#9a5b00;font-weight:600}.ok{color:#1e7b34}.quiet{color:#6b737c}
        pre{white-space:pre-wrap;word-break:break-all;background:#f6f8fa;padding:8px;border-radius:4px;max-height:360px;overflow:auto}
        form.who{display:flex;gap:8px;align-items:center}form.inline{display:inline}
        label{display:block;margin:4px 0}input,select,button{font:inherit}button{cursor:pointer}
        .signin{max-width:360px;margin:40px auto;background:#fff;padding:16px;border:1px solid #d8dce1;border-radius:6px}
        """
}

extension HTML {
    /// A table cell of text (`num`: right-aligned figures).
    static func cell(_ text: String, numeric: Bool = false) -> HTML {
        numeric ? "<td class=\"num\">\(text)</td>" : "<td>\(text)</td>"
    }

    /// A table cell of markup.
    static func cell(_ markup: HTML) -> HTML { "<td>\(markup)</td>" }

    /// A table row of cells.
    static func row(_ cells: [HTML]) -> HTML { "<tr>\(cells)</tr>" }
}
