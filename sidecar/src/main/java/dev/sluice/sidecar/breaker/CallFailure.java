package dev.sluice.sidecar.breaker;

/**
 * What Resilience4j records for a call that failed: a response status counted as a failure, or an
 * error. No stack trace: it is created per failed call and only its kind matters.
 */
final class CallFailure extends RuntimeException {
    CallFailure(String what) {
        super(what, null, false, false);
    }
}
