import Testing

@testable import RewardConsole

@Suite struct HTMLTests {
    @Test func interpolatedTextIsEscaped() {
        let payload = "<script>alert('x')</script> & \"quoted\""
        let html: HTML = "<td>\(payload)</td>"
        #expect(html.text == "<td>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quoted&quot;</td>")
    }

    @Test func attributeValuesCannotBeLeft() {
        let key = "a\" onmouseover=\"alert(1)"
        let html: HTML = "<td data-key=\"\(key)\">x</td>"
        #expect(!html.text.contains("\" onmouseover"))
        #expect(html.text.contains("&quot; onmouseover=&quot;"))
    }

    @Test func markupIsKeptAndOnlyTextEscaped() {
        let cell: HTML = "<td>\("1 < 2")</td>"
        let row: HTML = "<tr>\(cell)\([cell, cell])</tr>"
        #expect(row.text == "<tr><td>1 &lt; 2</td><td>1 &lt; 2</td><td>1 &lt; 2</td></tr>")
    }
}
