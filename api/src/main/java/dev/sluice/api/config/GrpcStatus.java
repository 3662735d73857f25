package dev.sluice.api.config;

/**
 * The gRPC status codes a retry policy may name ({@code grpcRetryOn}), by the names gRPC gives them (the {@code
 * retryableStatusCodes} of a gRPC client's own retry policy use the same). OK is not one: a call that succeeded is
 * never retried.
 */
public enum GrpcStatus {
    CANCELLED(1),
    UNKNOWN(2),
    INVALID_ARGUMENT(3),
    DEADLINE_EXCEEDED(4),
    NOT_FOUND(5),
    ALREADY_EXISTS(6),
    PERMISSION_DENIED(7),
    RESOURCE_EXHAUSTED(8),
    FAILED_PRECONDITION(9),
    ABORTED(10),
    OUT_OF_RANGE(11),
    UNIMPLEMENTED(12),
    INTERNAL(13),
    UNAVAILABLE(14),
    DATA_LOSS(15),
    UNAUTHENTICATED(16);

    /** The highest code gRPC defines. */
    public static final int MAX_CODE = 16;

    private final int code;

    GrpcStatus(int code) {
        this.code = code;
    }

    /** The number on the wire, in {@code grpc-status}. */
    public int code() {
        return code;
    }
}
