import NIOCore
import NIOHTTP1

/// Answers bytes that do not parse as an HTTP/1.1 request (a Content-Length that is not a number
/// or disagrees with another, headers over the decoder's limits, a control character in a header,
/// Content-Length together with chunked encoding) with the JSON error body every other refusal
/// has, instead of the framework's empty `400`, and closes the connection: after a parse error the
/// rest of the byte stream cannot be framed.
///
/// Sits right behind NIO's HTTP/1 decoder (see ``MalformedRequestHandler/Installer``). It answers
/// only when no request is in flight on the connection; an error inside a request's body reaches
/// that request's handler instead, which answers it (see ``APIError/init(parserError:)``).
final class MalformedRequestHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// Requests whose head went up the pipeline and whose answer has not ended yet.
    private var inFlight = 0
    private var answered = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) { inFlight += 1 }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { inFlight = max(0, inFlight - 1) }
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError, inFlight == 0, !answered else {
            context.fireErrorCaught(error)
            return
        }
        answered = true
        let refusal = APIError(parserError: parserError)
        let body = ByteBuffer(bytes: refusal.jsonBody)
        let headers = HTTPHeaders([
            ("Content-Type", "application/json"), ("Content-Length", "\(body.readableBytes)"), ("Connection", "close"),
        ])
        let head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: Int(refusal.status.code)),
                                    headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        written.futureResult.whenComplete { _ in bound.value.close(promise: nil) }
    }

    /// What `reward-api` hands Hummingbird as an extra channel handler. Hummingbird adds those
    /// after its HTTP/1-to-HTTP-types codec, where a parse error no longer passes on its way to
    /// the request loop, so this one puts a ``MalformedRequestHandler`` right behind the decoder.
    final class Installer: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = NIOAny

        func handlerAdded(context: ChannelHandlerContext) {
            let pipeline = context.pipeline.syncOperations
            guard let decoder = try? pipeline.context(handlerType: ByteToMessageHandler<HTTPRequestDecoder>.self) else { return }
            try? pipeline.addHandler(MalformedRequestHandler(), position: .after(decoder.handler))
        }
    }
}
