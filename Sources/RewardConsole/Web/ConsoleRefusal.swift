import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// A request the console answers with an error page: not signed in, a missing or wrong CSRF
/// token, a malformed form, an unknown dead letter.
struct ConsoleRefusal: Error {
    var status: HTTPResponse.Status
    var message: String

    init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }

    var response: Response {
        let page = PageLayout.page(title: "\(status.code) · Reward console", """
            <section class="wide"><h2>\(status.code) \(status.reasonPhrase)</h2><p data-figure="refusal">\(message)</p>
            <p><a href="/">back to the console</a></p></section>
            """)
        return ConsoleResponse.html(page, status: status)
    }
}

/// How the console answers: HTML pages and redirects.
enum ConsoleResponse {
    static func html(_ page: HTML, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: page.text)))
    }

    /// 303: after a POST the browser GETs the target, so a reload never posts the form again.
    static func redirect(to location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }
}
