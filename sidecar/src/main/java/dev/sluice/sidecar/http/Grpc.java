package dev.sluice.sidecar.http;

import io.undertow.client.ClientResponse;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.AttachmentKey;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.StatusCodes;
import java.nio.charset.StandardCharsets;

/**
 * The sidecar's own answers to a gRPC call. A gRPC client reads a call's outcome from {@code grpc-status},
 * not from the HTTP status: a 429 or 503 with a JSON body reaches its caller as an opaque
 * {@code UNKNOWN} or {@code UNAVAILABLE} "HTTP status code 429" with the reason lost. So a call the
 * sidecar refuses is answered the gRPC way, trailers-only: HTTP 200, {@code content-type: application/grpc},
 * {@code grpc-status}, {@code grpc-message} (percent-encoded, as the protocol asks) and, when there is
 * one, the retry delay in {@code grpc-retry-pushback-ms} (which a client's retry policy honours), all in
 * the one HEADERS frame that ends the stream. The rate-limit fields and {@code Retry-After} set before
 * stay beside them.
 *
 * <p>What the answer means in HTTP terms is kept on the exchange ({@link #httpStatus}), so that the
 * request metrics and the adaptive concurrency limit count a refused call as what it is, not as a 200.
 */
final class Grpc {
    static final int UNKNOWN = 2;
    static final int DEADLINE_EXCEEDED = 4;
    static final int PERMISSION_DENIED = 7;
    static final int RESOURCE_EXHAUSTED = 8;
    static final int UNIMPLEMENTED = 12;
    static final int INTERNAL = 13;
    static final int UNAVAILABLE = 14;
    static final int UNAUTHENTICATED = 16;
    static final HttpString GRPC_STATUS = new HttpString("grpc-status");
    static final HttpString GRPC_MESSAGE = new HttpString("grpc-message");
    static final HttpString RETRY_PUSHBACK_MS = new HttpString("grpc-retry-pushback-ms");
    private static final String CONTENT_TYPE = "application/grpc";
    private static final AttachmentKey<Integer> HTTP_EQUIVALENT = AttachmentKey.create(Integer.class);
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private Grpc() {
    }

    /** A gRPC call: its content type is {@code application/grpc}, or {@code application/grpc+proto} and the like. */
    static boolean isCall(HttpServerExchange exchange) {
        String type = exchange.getRequestHeaders().getFirst(Headers.CONTENT_TYPE);
        return type != null && type.regionMatches(true, 0, CONTENT_TYPE, 0, CONTENT_TYPE.length())
                && (type.length() == CONTENT_TYPE.length() || type.charAt(CONTENT_TYPE.length()) == '+'
                || type.charAt(CONTENT_TYPE.length()) == ';');
    }

    /**
     * Answers the call trailers-only with {@code status} and {@code message}.
     *
     * @param httpStatus what the answer stands for in HTTP (429, 503, 504...)
     * @param retryAfterMillis the delay the client should wait before retrying, or a negative number for none
     */
    static void refuse(HttpServerExchange exchange, int status, String message, int httpStatus, long retryAfterMillis) {
        exchange.putAttachment(HTTP_EQUIVALENT, httpStatus);
        exchange.setStatusCode(StatusCodes.OK);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, CONTENT_TYPE);
        exchange.getResponseHeaders().put(GRPC_STATUS, status);
        exchange.getResponseHeaders().put(GRPC_MESSAGE, percentEncode(message));
        if (retryAfterMillis >= 0) {
            exchange.getResponseHeaders().put(RETRY_PUSHBACK_MS, retryAfterMillis);
        }
        exchange.endExchange();
    }

    /** The exchange's status, or for a call the sidecar refused the gRPC way, the HTTP status the refusal stands for. */
    static int httpStatus(HttpServerExchange exchange) {
        Integer equivalent = exchange.getAttachment(HTTP_EQUIVALENT);
        return equivalent == null ? exchange.getStatusCode() : equivalent;
    }

    /**
     * The upstream's answer as the breaker and the retry policy judge it: its HTTP status, but for a trailers-only gRPC
     * answer (a call that failed before any message, its {@code grpc-status} in the headers) the HTTP status its code
     * maps to (grpc-gateway's table: UNAVAILABLE 503, DEADLINE_EXCEEDED 504, INTERNAL 500...), so that a breaker's
     * {@code failureStatuses} count failed calls. A status that comes in the trailers after messages is not known
     * when the response starts, and the call counts as its HTTP status, 200.
     */
    static int upstreamStatus(ClientResponse response) {
        int status = response.getResponseCode();
        String grpcStatus = status == StatusCodes.OK ? response.getResponseHeaders().getFirst(GRPC_STATUS) : null;
        if (grpcStatus == null) {
            return status;
        }
        return switch (grpcStatus.trim()) {
            case "0" -> 200;
            case "1" -> 499;
            case "3", "9", "11" -> 400;
            case "4" -> 504;
            case "5" -> 404;
            case "6", "10" -> 409;
            case "7" -> 403;
            case "8" -> 429;
            case "12" -> 501;
            case "14" -> 503;
            case "16" -> 401;
            default -> 500;
        };
    }

    /**
     * The gRPC status a client reads from an answer that ends the call as it starts, which is what a retry policy's
     * {@code grpcRetryOn} names: a trailers-only answer's {@code grpc-status}; for an answer that is not gRPC's (an HTTP
     * error from something in front of the app) the status gRPC clients make of its HTTP status (gRPC's
     * http-grpc-status-mapping: 400 INTERNAL, 401 UNAUTHENTICATED, 403 PERMISSION_DENIED, 404 UNIMPLEMENTED, 429, 502,
     * 503 and 504 UNAVAILABLE, any other UNKNOWN). -1 for a call whose status comes later, after its messages.
     */
    static int callStatus(ClientResponse response) {
        int status = response.getResponseCode();
        if (status == StatusCodes.OK) {
            String grpcStatus = response.getResponseHeaders().getFirst(GRPC_STATUS);
            if (grpcStatus == null) {
                return -1;
            }
            try {
                return Integer.parseInt(grpcStatus.trim());
            } catch (NumberFormatException e) {
                // What grpc-java makes of a grpc-status it cannot read.
                return UNKNOWN;
            }
        }
        return switch (status) {
            case 400 -> INTERNAL;
            case 401 -> UNAUTHENTICATED;
            case 403 -> PERMISSION_DENIED;
            case 404 -> UNIMPLEMENTED;
            case 429, 502, 503, 504 -> UNAVAILABLE;
            default -> UNKNOWN;
        };
    }

    /** gRPC's percent-encoding of {@code grpc-message}: UTF-8, every byte outside printable ASCII, and '%', as %XX. */
    static String percentEncode(String message) {
        byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
        StringBuilder encoded = new StringBuilder(bytes.length + 16);
        for (byte b : bytes) {
            int c = b & 0xFF;
            if (c >= 0x20 && c <= 0x7E && c != '%') {
                encoded.append((char) c);
            } else {
                encoded.append('%').append(HEX[c >> 4]).append(HEX[c & 0xF]);
            }
        }
        return encoded.toString();
    }
}
